/* /api/v1/members: create, list and search, read, update, and the status
 * machine pending → active → suspended ↔ active, any → terminated. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/handlers.h"
#include "api/member_access.h"
#include "api/paging.h"
#include "ca/revoke.h"
#include "audit/audit.h"
#include "db/db.h"
#include "http/http.h"
#include "http/json_body.h"
#include "member/member.h"
#include "util/validate.h"

const char *member_param(struct req *r)
{
    const char *id = req_param(r, "id");
    if (!id_valid(id) ||
        (r->who.role == ROLE_MEMBER && strcmp(id, r->who.member_id) != 0)) {
        reply_member_not_found(r, id);
        return NULL;
    }
    return id;
}

bool caller_is_staff(const struct req *r)
{
    return (r->who.role & ROLES_STAFF) != 0;
}

void reply_member_not_found(struct req *r, const char *id)
{
    reply_problem(r, PK_MEMBER_NOT_FOUND, NULL, "no member %.40s", id);
}

void reply_member_list(struct req *r, struct db_stmt *list,
                       json_t *(*row)(PGresult *res, int i), bool desc)
{
    const char *id = member_param(r);
    struct page pg;
    if (!id || page_parse(r, &pg, desc))
        return;
    struct db *db = req_db(r);
    char status[16];
    enum db_rc rc = member_status(db, id, status);
    if (rc == DB_NOTFOUND) {
        reply_member_not_found(r, id);
        return;
    }
    PGresult *res = NULL;
    const char *p[] = {id, pg.after, pg.limit_plus_one};
    if (rc == DB_OK)
        rc = db_exec(db, list, &res, p);
    if (rc != DB_OK) {
        reply_db_failure(r, rc);
        return;
    }
    reply_json(r, 200, page_result(&pg, res, row));
    PQclear(res);
}

/* ---- field checks beyond json_check ---- */

static int check_npi(struct req *r, const json_t *v)
{
    if (!v || json_is_null(v))
        return 0;
    if (!npi_valid(json_string_value(v))) {
        reply_problem(r, PK_INVALID_FIELD, "npi",
                      "npi must be 10 digits with a valid check digit "
                      "(Luhn with the 80840 prefix)");
        return -1;
    }
    return 0;
}

static const struct jfield contact_fields[] = {
    {"email", JT_STRING, true, EMAIL_MAX, 0, 0},
    {"name", JT_STRING, false, 256, 0, 0},
    {"role", JT_STRING, false, 128, 0, 0},
};

static int check_contacts(struct req *r, const json_t *v)
{
    if (!v || json_is_null(v))
        return 0;
    size_t i;
    json_t *c;
    json_array_foreach(v, i, c)
    {
        struct json_err e;
        if (json_check(c, contact_fields, 3, &e)) {
            char field[96];
            snprintf(field, sizeof field, "contacts[%zu]%s%s", i,
                     e.field[0] ? "." : "", e.field);
            reply_problem(r, PK_INVALID_FIELD, field, "%s: %s", field,
                          e.detail);
            return -1;
        }
        char why[128];
        if (email_check(json_string_value(json_object_get(c, "email")), why,
                        sizeof why)) {
            char field[64];
            snprintf(field, sizeof field, "contacts[%zu].email", i);
            reply_problem(r, PK_INVALID_FIELD, field, "%s: %s", field, why);
            return -1;
        }
    }
    return 0;
}

/* The legal name becomes the certificates' O: refused here when longer than
 * X.520 allows, rather than at every issuance. */
static int check_name(struct req *r, const json_t *v)
{
    if (v && json_is_string(v) && utf8_length(json_string_value(v)) > ORG_NAME_MAX_CHARS) {
        reply_problem(r, PK_INVALID_FIELD, "name",
                      "name: a legal name is at most %d characters: it is the "
                      "certificates' organizationName (X.520 ub-organization-name)",
                      ORG_NAME_MAX_CHARS);
        return -1;
    }
    return 0;
}

/* organization_id is an opaque identifier: "namespace#value" is the IG's
 * preferred code format, so a fragment is allowed */
static int check_uri_field(struct req *r, const char *field, const char *uri)
{
    char why[200];
    if (uri_check_opts(uri, NULL, URI_FRAGMENT_OK, why, sizeof why)) {
        reply_problem(r, PK_INVALID_FIELD, field, "%s: %s", field, why);
        return -1;
    }
    return 0;
}

/* ---- POST /api/v1/members ---- */

struct create_ctx {
    struct audit_actor actor;
    struct member_new m;
    PGresult *row;
};

static enum db_rc create_tx(struct db *db, void *arg)
{
    struct create_ctx *c = arg;
    PQclear(c->row);
    c->row = NULL;
    return member_insert(db, &c->actor, &c->m, &c->row);
}

void h_member_create(struct req *r)
{
    const json_t *b = r->json;
    if (check_name(r, json_object_get(b, "name")) ||
        check_uri_field(r, "organization_id", json_get_str(b, "organization_id")) ||
        check_npi(r, json_object_get(b, "npi")) ||
        check_contacts(r, json_object_get(b, "contacts")))
        return;
    char *contacts = NULL;
    json_t *cv = json_object_get(b, "contacts");
    if (cv && !json_is_null(cv))
        contacts = json_dumps(cv, JSON_COMPACT);
    struct create_ctx c = {
        .actor = audit_actor_of(&r->who, r->client_ip),
        .m = {json_get_str(b, "name"), json_get_str(b, "organization_id"),
              json_get_str(b, "npi"), contacts, json_get_str(b, "notes")},
    };
    enum db_rc rc = db_tx(req_db(r), DB_READ_COMMITTED, create_tx, &c);
    free(contacts);
    if (rc == DB_OK)
        reply_json(r, 201, member_json(c.row, 0));
    else if (rc == DB_CONFLICT)
        reply_problem(r, PK_ORGANIZATION_ID_TAKEN, "organization_id",
                      "another member already has this organization_id");
    else
        reply_db_failure(r, rc);
    PQclear(c.row);
}

/* ---- GET /api/v1/members ---- */

/* $1 the search, $2 status, $3 only this member (a member user) */
#define MEMBER_FILTERS                                                     \
    "($1::text IS NULL "                                                   \
    "   OR strpos(lower(m.name), lower($1)) > 0 "                          \
    "   OR strpos(lower(m.organization_id), lower($1)) > 0 "               \
    "   OR EXISTS (SELECT 1 FROM member_uris u WHERE u.member_id = m.id "  \
    "              AND strpos(lower(u.uri), lower($1)) > 0)) "             \
    "AND ($2::text IS NULL OR m.status = $2) "                             \
    "AND ($3::bigint IS NULL OR m.id = $3::bigint) "

/* One page in one order; the cursor ($4) is the last row's id and its key
 * is read back, so the keyset holds in every order; $5 the limit. "created"
 * is the id's order (ids are handed out as members are created). */
#define MEMBER_PAGE(keyset, order)                                         \
    "SELECT " MEMBER_COLUMNS " FROM members m WHERE " MEMBER_FILTERS       \
    "AND ($4::bigint IS NULL OR " keyset ") ORDER BY " order " LIMIT $5::int"
#define NAME_KEYSET(cmp)                                                   \
    "(lower(m.name), m.id) " cmp " (SELECT lower(k.name), k.id FROM members k " \
    "WHERE k.id = $4::bigint)"

DB_STMT(q_list, 5, MEMBER_PAGE("m.id > $4::bigint", "m.id"));
DB_STMT(q_list_created_desc, 5, MEMBER_PAGE("m.id < $4::bigint", "m.id DESC"));
DB_STMT(q_list_name, 5, MEMBER_PAGE(NAME_KEYSET(">"), "lower(m.name), m.id"));
DB_STMT(q_list_name_desc, 5,
        MEMBER_PAGE(NAME_KEYSET("<"), "lower(m.name) DESC, m.id DESC"));
DB_STMT(q_count, 3, "SELECT count(*)::text FROM members m WHERE " MEMBER_FILTERS);

static const struct {
    const char *name;
    struct db_stmt *stmt;
} member_sorts[] = {
    {"created", &q_list}, {"-created", &q_list_created_desc},
    {"name", &q_list_name}, {"-name", &q_list_name_desc},
};

void h_member_list(struct req *r)
{
    struct page pg;
    if (page_parse(r, &pg, false))
        return;
    const char *q = req_query(r, "q"), *status = req_query(r, "status");
    const char *sort = req_query(r, "sort");
    if (q && !*q)
        q = NULL; /* an empty search box searches nothing */
    if (q) {
        json_t *qs = json_string(q);
        struct json_err e;
        int bad = json_check_string(qs, "q", false, 256, &e);
        json_decref(qs);
        if (!qs || bad) {
            reply_problem(r, PK_INVALID_FIELD, "q", "%s",
                          qs ? e.detail : "q is not valid UTF-8");
            return;
        }
    }
    if (status && !*status)
        status = NULL;
    if (status && strcmp(status, "pending") && strcmp(status, "active") &&
        strcmp(status, "suspended") && strcmp(status, "terminated")) {
        reply_problem(r, PK_INVALID_FIELD, "status",
                      "status must be pending, active, suspended or terminated");
        return;
    }
    struct db_stmt *stmt = &q_list;
    if (sort && *sort) {
        size_t i = 0, n = sizeof member_sorts / sizeof member_sorts[0];
        while (i < n && strcmp(sort, member_sorts[i].name))
            i++;
        if (i == n) {
            reply_problem(r, PK_INVALID_FIELD, "sort",
                          "sort must be name, -name, created or -created");
            return;
        }
        stmt = member_sorts[i].stmt;
    }
    const char *only = r->who.role == ROLE_MEMBER ? r->who.member_id : NULL;
    const char *p[] = {q, status, only, req_query(r, "cursor") ? pg.after : NULL,
                       pg.limit_plus_one};
    PGresult *res, *total;
    struct db *db = req_db(r);
    enum db_rc rc = db_exec(db, stmt, &res, p);
    if (rc == DB_OK && (rc = db_exec(db, &q_count, &total, p)) != DB_OK)
        PQclear(res);
    if (rc != DB_OK) {
        reply_db_failure(r, rc);
        return;
    }
    json_t *out = page_result(&pg, res, member_json);
    json_object_set_new(out, "total", json_integer(atoll(PQgetvalue(total, 0, 0))));
    PQclear(total);
    reply_json(r, 200, out);
    PQclear(res);
}

/* ---- GET /api/v1/members/{id} ---- */

DB_STMT(q_get, 1, "SELECT " MEMBER_COLUMNS " FROM members m WHERE m.id = $1");

void h_member_get(struct req *r)
{
    const char *id = member_param(r);
    if (!id)
        return;
    const char *p[] = {id};
    PGresult *res;
    enum db_rc rc = db_exec(req_db(r), &q_get, &res, p);
    if (rc != DB_OK) {
        reply_db_failure(r, rc);
        return;
    }
    if (PQntuples(res) == 0)
        reply_member_not_found(r, id);
    else
        reply_json(r, 200, member_json(res, 0));
    PQclear(res);
}

/* ---- PATCH /api/v1/members/{id} ---- */

DB_STMT(q_patch, 9,
        "UPDATE members m SET "
        "name = CASE WHEN $2::bool THEN $3 ELSE m.name END, "
        "npi = CASE WHEN $4::bool THEN $5 ELSE m.npi END, "
        "contacts = CASE WHEN $6::bool THEN $7::jsonb ELSE m.contacts END, "
        "notes = CASE WHEN $8::bool THEN $9 ELSE m.notes END, "
        "updated_at = now() "
        "WHERE m.id = $1 RETURNING " MEMBER_COLUMNS);

struct patch_ctx {
    struct audit_actor actor;
    const char *p[9];
    json_t *fields;
    PGresult *row;
};

static enum db_rc patch_tx(struct db *db, void *arg)
{
    struct patch_ctx *c = arg;
    PQclear(c->row);
    c->row = NULL;
    enum db_rc rc = db_exec(db, &q_patch, &c->row, c->p);
    if (rc != DB_OK)
        return rc;
    if (PQntuples(c->row) == 0)
        return DB_NOTFOUND;
    return audit_write(db, &c->actor, "member.update", "member", c->p[0],
                       json_pack("{s:O}", "fields", c->fields));
}

void h_member_update(struct req *r)
{
    const char *id = member_param(r);
    if (!id)
        return;
    const json_t *b = r->json;
    if (json_object_size(b) == 0) {
        reply_problem(r, PK_INVALID_FIELD, NULL,
                      "the body names no field to change (name, npi, "
                      "contacts, notes)");
        return;
    }
    json_t *name = json_object_get(b, "name");
    if (name && json_is_null(name)) {
        reply_problem(r, PK_INVALID_FIELD, "name", "name cannot be null");
        return;
    }
    if (name && json_string_length(name) == 0) {
        reply_problem(r, PK_INVALID_FIELD, "name", "name must not be empty");
        return;
    }
    json_t *notes = json_object_get(b, "notes");
    if (check_name(r, name) || check_npi(r, json_object_get(b, "npi")) ||
        check_contacts(r, json_object_get(b, "contacts")))
        return;
    char *contacts = NULL;
    json_t *cv = json_object_get(b, "contacts");
    if (cv)
        contacts = json_is_null(cv) ? strdup("[]") : json_dumps(cv, JSON_COMPACT);
    struct patch_ctx c = {.actor = audit_actor_of(&r->who, r->client_ip),
                          .fields = json_array()};
    c.p[0] = id;
    c.p[1] = name ? "true" : "false";
    c.p[2] = json_string_value(name);
    c.p[3] = json_object_get(b, "npi") ? "true" : "false";
    c.p[4] = json_get_str(b, "npi"); /* null clears */
    c.p[5] = cv ? "true" : "false";
    c.p[6] = contacts;
    c.p[7] = notes ? "true" : "false";
    c.p[8] = notes && !json_is_null(notes) ? json_string_value(notes) : "";
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)b, key, v)
        json_array_append_new(c.fields, json_string(key));
    enum db_rc rc = db_tx(req_db(r), DB_READ_COMMITTED, patch_tx, &c);
    free(contacts);
    json_decref(c.fields);
    if (rc == DB_OK)
        reply_json(r, 200, member_json(c.row, 0));
    else if (rc == DB_NOTFOUND)
        reply_member_not_found(r, id);
    else
        reply_db_failure(r, rc);
    PQclear(c.row);
}

/* ---- POST /api/v1/members/{id}/{activate,suspend,reinstate,terminate} ---- */

DB_STMT(q_lock_status, 1,
        "SELECT status FROM members WHERE id = $1 FOR UPDATE");
DB_STMT(q_set_status, 2,
        "UPDATE members m SET status = $2, updated_at = now() "
        "WHERE m.id = $1 RETURNING " MEMBER_COLUMNS);

struct status_ctx {
    struct audit_actor actor;
    const char *id, *action;
    const char *reason; /* suspend, terminate: why, for the audit event */
    char old[16];
    PGresult *row;
};

static enum db_rc status_tx(struct db *db, void *arg)
{
    struct status_ctx *c = arg;
    PQclear(c->row);
    c->row = NULL;
    c->old[0] = 0;
    const char *p[] = {c->id};
    PGresult *res;
    enum db_rc rc = db_exec(db, &q_lock_status, &res, p);
    if (rc != DB_OK)
        return rc;
    if (PQntuples(res) == 0) {
        PQclear(res);
        return DB_NOTFOUND;
    }
    snprintf(c->old, sizeof c->old, "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
    const char *next = member_next_status(c->action, c->old);
    if (!next)
        return DB_CONFLICT;
    const char *p2[] = {c->id, next};
    if ((rc = db_exec(db, &q_set_status, &c->row, p2)) != DB_OK)
        return rc;
    if ((rc = ca_member_status_changed(db, c->id, c->old, next, &c->actor)) != DB_OK)
        return rc;
    char action[32];
    snprintf(action, sizeof action, "member.%s", c->action);
    json_t *details = json_pack("{s:s, s:s}", "from", c->old, "to", next);
    if (c->reason)
        json_object_set_new(details, "reason", json_string(c->reason));
    return audit_write(db, &c->actor, action, "member", c->id, details);
}

/* suspend and terminate take an optional {reason} (issue 14 §6; their
 * routes' body spec) */
static void status_action(struct req *r, const char *action)
{
    const char *id = member_param(r);
    if (!id)
        return;
    bool takes_reason = !strcmp(action, "suspend") || !strcmp(action, "terminate");
    const char *reason = takes_reason ? json_get_str(r->json, "reason") : NULL;
    if (reason && !*reason)
        reason = NULL; /* an empty reason is no reason */
    struct status_ctx c = {.actor = audit_actor_of(&r->who, r->client_ip),
                           .id = id, .action = action, .reason = reason};
    enum db_rc rc = db_tx(req_db(r), DB_READ_COMMITTED, status_tx, &c);
    if (rc == DB_OK)
        reply_json(r, 200, member_json(c.row, 0));
    else if (rc == DB_NOTFOUND && !c.old[0])
        reply_member_not_found(r, id);
    else if (rc == DB_CONFLICT && c.old[0])
        reply_problem(r, PK_INVALID_STATUS_TRANSITION, "status",
                      "cannot %s a member whose status is %s", action, c.old);
    else
        reply_db_failure(r, rc);
    PQclear(c.row);
}

void h_member_activate(struct req *r) { status_action(r, "activate"); }
void h_member_suspend(struct req *r) { status_action(r, "suspend"); }
void h_member_reinstate(struct req *r) { status_action(r, "reinstate"); }
void h_member_terminate(struct req *r) { status_action(r, "terminate"); }

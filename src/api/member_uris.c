/* /api/v1/members/{id}/uris: the client URIs, FHIR base URLs and IdP URIs
 * a member owns. Operators add approved URIs; member users propose pending
 * ones for their own member; one URI is approved for at most one member.
 * Proposals are scoped to their member: a member user learns nothing of
 * other members' URIs (issue 13), and staff adding or approving a URI
 * decline the other members' proposals of it. */
#include <stdio.h>
#include <string.h>

#include "api/handlers.h"
#include "api/member_access.h"
#include "api/paging.h"
#include "audit/audit.h"
#include "db/db.h"
#include "http/http.h"
#include "http/json_body.h"
#include "member/member.h"
#include "util/validate.h"

/* Locks the member against a concurrent status change. DB_NOTFOUND if it
 * does not exist; *terminated tells whether it is terminated. */
static enum db_rc lock_member(struct db *db, const char *id, bool *terminated)
{
    char status[16];
    enum db_rc rc = member_lock(db, id, status, NULL);
    *terminated = rc == DB_OK && !strcmp(status, "terminated");
    return rc;
}

/* ---- GET /api/v1/members/{id}/uris ---- */

DB_STMT(q_uris_list, 3,
        "SELECT " URI_COLUMNS " FROM member_uris u "
        "WHERE u.member_id = $1 AND u.id > $2::bigint "
        "ORDER BY u.id LIMIT $3::int");
void h_member_uris_list(struct req *r)
{
    reply_member_list(r, &q_uris_list, member_uri_json, false);
}

/* ---- POST /api/v1/members/{id}/uris ---- */

struct add_ctx {
    struct audit_actor actor;
    struct uri_new u;
    bool member_missing, terminated;
};

static enum db_rc add_tx(struct db *db, void *arg)
{
    struct add_ctx *c = arg;
    PQclear(c->u.row);
    c->u.row = NULL;
    json_decref(c->u.lookalikes);
    c->u.lookalikes = NULL;
    c->member_missing = c->terminated = false;
    enum db_rc rc = lock_member(db, c->u.member_id, &c->terminated);
    if (rc == DB_NOTFOUND)
        c->member_missing = true;
    if (rc != DB_OK)
        return rc;
    if (c->terminated)
        return DB_CONFLICT;
    return member_uri_insert(db, &c->actor, &c->u);
}

/* A member user sees look-alikes of its own member's URIs only: nothing of
 * other members' URIs, neither whose nor which (issue 13). */
static json_t *lookalikes_for(const struct req *r, json_t *all)
{
    json_t *out = json_array();
    size_t i;
    json_t *l;
    json_array_foreach(all, i, l)
    {
        if (caller_is_staff(r)) {
            json_array_append(out, l);
            continue;
        }
        if (strcmp(json_string_value(json_object_get(l, "member_id")),
                   r->who.member_id))
            continue;
        json_array_append_new(out, json_pack("{s:O, s:b, s:O}", "uri",
                                             json_object_get(l, "uri"),
                                             "same_member", 1, "id",
                                             json_object_get(l, "id")));
    }
    return out;
}

/* 409 uri-lookalike: `uri` looks like the URIs in `looks` (as the caller
 * may see them: lookalikes_for); nothing was changed. Asks the caller to
 * repeat the request with "confirm_lookalike": true. */
static void reply_lookalikes(struct req *r, const char *uri, const char *member_id,
                             json_t *looks, const char *verb)
{
    json_t *first = json_array_get(looks, 0);
    const char *other = json_string_value(json_object_get(first, "uri"));
    const char *mid = json_string_value(json_object_get(first, "member_id"));
    const char *name = json_string_value(json_object_get(first, "member_name"));
    char whose[320];
    if (!mid || !strcmp(mid, member_id))
        snprintf(whose, sizeof whose, "this member");
    else
        snprintf(whose, sizeof whose, "member %s (%.256s)", mid, name ? name : "");
    size_t more = json_array_size(looks) - 1;
    char also[64] = "";
    if (more)
        snprintf(also, sizeof also, " and %zu other URI%s", more, more > 1 ? "s" : "");
    reply_problem_with(r, PK_URI_LOOKALIKE, "uri",
                       json_pack("{s:o}", "lookalikes", looks),
                       "%.200s looks like %.200s of %s%s; %s it anyway with "
                       "\"confirm_lookalike\": true",
                       uri, other ? other : "", whose, also, verb);
}

void h_member_uri_add(struct req *r)
{
    const char *id = member_param(r);
    if (!id)
        return;
    const char *uri = json_get_str(r->json, "uri");
    const char *kind = json_get_str(r->json, "kind");
    char why[256];
    if (!uri_kind_parse(kind)) {
        reply_problem(r, PK_INVALID_FIELD, "kind",
                      "kind must be client, server or idp");
        return;
    }
    if (uri_check_opts(uri, NULL, uri_kind_flags(kind), why, sizeof why)) {
        reply_problem(r, PK_INVALID_FIELD, "uri", "uri: %s", why);
        return;
    }
    bool staff = caller_is_staff(r);
    struct add_ctx c = {
        .actor = audit_actor_of(&r->who, r->client_ip),
        .u = {.member_id = id, .uri = uri, .kind = kind, .approved = staff,
              .created_by = r->who.user_id[0] ? r->who.user_id : NULL,
              .ask = !json_is_true(json_object_get(r->json, "confirm_lookalike")),
              .own_only = !staff},
    };
    enum db_rc rc = db_tx(req_db(r), DB_READ_COMMITTED, add_tx, &c);
    if (rc == DB_OK) {
        json_t *body = member_uri_json(c.u.row, 0);
        json_object_set_new(body, "lookalikes", lookalikes_for(r, c.u.lookalikes));
        reply_json(r, 201, body);
    } else if (rc == DB_NOTFOUND && c.member_missing) {
        reply_member_not_found(r, id);
    } else if (rc == DB_CONFLICT && c.terminated) {
        reply_problem(r, PK_MEMBER_TERMINATED, NULL,
                      "member %s is terminated; it cannot get new URIs", id);
    } else if (rc == DB_CONFLICT && c.u.asked) {
        reply_lookalikes(r, uri, id, lookalikes_for(r, c.u.lookalikes), "add");
    } else if (rc == DB_CONFLICT) {
        if (c.u.owner_id[0] && !strcmp(c.u.owner_id, id))
            reply_problem(r, PK_URI_TAKEN, "uri",
                          "this URI is already registered for this member");
        else if (staff && c.u.owner_id[0])
            reply_problem(r, PK_URI_TAKEN, "uri",
                          "this URI is already registered by member %s (%s)",
                          c.u.owner_id, c.u.owner_name);
        else
            reply_problem(r, PK_URI_TAKEN, "uri", "this URI is not available");
    } else {
        reply_db_failure(r, rc);
    }
    PQclear(c.u.row);
    json_decref(c.u.lookalikes);
}

/* ---- POST /api/v1/members/{id}/uris/{uri_id}/approve ---- */

DB_STMT(q_uri_lock, 2,
        "SELECT " URI_COLUMNS " FROM member_uris u "
        "WHERE u.id = $1 AND u.member_id = $2 FOR UPDATE");
DB_STMT(q_uri_approve, 3,
        "UPDATE member_uris u SET status = 'approved', approved_by = $3, "
        "approved_at = now() WHERE u.id = $1 AND u.member_id = $2 "
        "RETURNING " URI_COLUMNS);
DB_STMT(q_uri_delete, 2,
        "DELETE FROM member_uris WHERE id = $1 AND member_id = $2");

struct uri_ctx {
    struct audit_actor actor;
    const char *member_id, *uri_id, *user_id;
    bool member_only; /* a member user: may only withdraw pending URIs */
    bool confirm_lookalike; /* approve even when look-alikes exist */
    struct problem why; /* why the transaction refused (DB_NOTFOUND, DB_CONFLICT) */
    char uri[URI_MAX + 1];  /* PK_URI_LOOKALIKE: the URI, and its look-alikes */
    json_t *lookalikes;
    char status[16];
    char owner_id[24], owner_name[260]; /* the member that has the URI */
    PGresult *row;
};

/* Locks member and URI; fills c->status. */
static enum db_rc lock_uri(struct db *db, struct uri_ctx *c, char *uri,
                           size_t urilen, char *kind, size_t kindlen)
{
    bool terminated;
    enum db_rc rc = lock_member(db, c->member_id, &terminated);
    if (rc == DB_NOTFOUND)
        problem_set(&c->why, PK_MEMBER_NOT_FOUND, NULL, "no member %.40s", c->member_id);
    if (rc != DB_OK)
        return rc;
    const char *p[] = {c->uri_id, c->member_id};
    PGresult *res;
    if ((rc = db_exec(db, &q_uri_lock, &res, p)) != DB_OK)
        return rc;
    if (PQntuples(res) == 0) {
        PQclear(res);
        problem_set(&c->why, PK_URI_NOT_FOUND, NULL, "member %s has no URI %s", c->member_id,
                    c->uri_id);
        return DB_NOTFOUND;
    }
    snprintf(c->status, sizeof c->status, "%s", PQgetvalue(res, 0, URI_COL_STATUS));
    snprintf(uri, urilen, "%s", PQgetvalue(res, 0, URI_COL_URI));
    snprintf(kind, kindlen, "%s", PQgetvalue(res, 0, URI_COL_KIND));
    PQclear(res);
    if (terminated) {
        problem_set(&c->why, PK_MEMBER_TERMINATED, NULL, "member %s is terminated",
                    c->member_id);
        return DB_CONFLICT;
    }
    return DB_OK;
}

static enum db_rc approve_tx(struct db *db, void *arg)
{
    struct uri_ctx *c = arg;
    PQclear(c->row);
    c->row = NULL;
    problem_clear(&c->why);
    c->owner_id[0] = c->owner_name[0] = 0;
    char uri[URI_MAX + 1], kind[16];
    enum db_rc rc = lock_uri(db, c, uri, sizeof uri, kind, sizeof kind);
    if (rc != DB_OK)
        return rc;
    if (strcmp(c->status, "pending")) {
        problem_set(&c->why, PK_INVALID_URI_STATUS, "status", "the URI is %s, not pending",
                    c->status);
        return DB_CONFLICT;
    }
    rc = member_uri_approved_elsewhere(db, uri, c->member_id, c->owner_id,
                                       c->owner_name);
    if (rc == DB_CONFLICT)
        problem_set(&c->why, PK_URI_TAKEN, NULL,
                    "this URI is already registered by member %s (%s); "
                    "remove it there first, or remove this proposal",
                    c->owner_id, c->owner_name);
    if (rc != DB_OK)
        return rc;
    if (!c->confirm_lookalike) {
        json_decref(c->lookalikes);
        if ((rc = member_uri_lookalikes(db, uri, c->member_id, &c->lookalikes)) != DB_OK)
            return rc;
        if (json_array_size(c->lookalikes)) {
            problem_set(&c->why, PK_URI_LOOKALIKE, "uri", "%s looks like another URI", uri);
            snprintf(c->uri, sizeof c->uri, "%s", uri);
            return DB_CONFLICT;
        }
    }
    const char *p[] = {c->uri_id, c->member_id, c->user_id};
    if ((rc = db_exec(db, &q_uri_approve, &c->row, p)) != DB_OK)
        return rc; /* DB_CONFLICT: a concurrent approval elsewhere won */
    rc = audit_write(db, &c->actor, "uri.approve", "member_uri", c->uri_id,
                     json_pack("{s:s, s:s, s:s}", "member_id", c->member_id,
                               "uri", uri, "kind", kind));
    if (rc == DB_OK)
        rc = member_uri_decline_others(db, &c->actor, uri, c->member_id);
    return rc;
}

static enum db_rc delete_tx(struct db *db, void *arg)
{
    struct uri_ctx *c = arg;
    problem_clear(&c->why);
    char uri[URI_MAX + 1], kind[16];
    enum db_rc rc = lock_uri(db, c, uri, sizeof uri, kind, sizeof kind);
    if (rc == DB_CONFLICT && c->why.kind == PK_MEMBER_TERMINATED) {
        rc = DB_OK; /* removing a terminated member's URIs is allowed */
        problem_clear(&c->why);
    }
    if (rc != DB_OK)
        return rc;
    if (c->member_only && !strcmp(c->status, "approved")) {
        problem_set(&c->why, PK_FORBIDDEN, NULL, "only an operator may remove an approved URI");
        return DB_CONFLICT;
    }
    const char *p[] = {c->uri_id, c->member_id};
    if ((rc = db_exec(db, &q_uri_delete, NULL, p)) != DB_OK)
        return rc;
    return audit_write(db, &c->actor, "uri.delete", "member_uri", c->uri_id,
                       json_pack("{s:s, s:s, s:s, s:s}", "member_id",
                                 c->member_id, "uri", uri, "kind", kind,
                                 "status", c->status));
}

static bool uri_params(struct req *r, struct uri_ctx *c)
{
    const char *id = member_param(r);
    if (!id)
        return false;
    const char *uri_id = req_param(r, "uri_id");
    if (!id_valid(uri_id)) {
        reply_problem(r, PK_URI_NOT_FOUND, NULL, "member %s has no URI %.40s",
                      id, uri_id);
        return false;
    }
    *c = (struct uri_ctx){.actor = audit_actor_of(&r->who, r->client_ip),
                          .member_id = id, .uri_id = uri_id,
                          .user_id = r->who.user_id[0] ? r->who.user_id : NULL,
                          .member_only = r->who.role == ROLE_MEMBER};
    return true;
}

static void reply_uri_failure(struct req *r, struct uri_ctx *c, enum db_rc rc)
{
    if (rc == DB_CONFLICT && c->why.kind == PK_URI_LOOKALIKE)
        reply_lookalikes(r, c->uri, c->member_id, json_incref(c->lookalikes),
                         "approve");
    else if ((rc == DB_NOTFOUND || rc == DB_CONFLICT) && problem_is_set(&c->why))
        reply_problem_of(r, &c->why);
    else if (rc == DB_CONFLICT)
        reply_problem(r, PK_URI_TAKEN, NULL,
                      "this URI was just approved for another member");
    else
        reply_db_failure(r, rc);
}

void h_member_uri_approve(struct req *r)
{
    struct uri_ctx c;
    if (!uri_params(r, &c))
        return;
    c.confirm_lookalike = json_is_true(json_object_get(r->json, "confirm_lookalike"));
    enum db_rc rc = db_tx(req_db(r), DB_READ_COMMITTED, approve_tx, &c);
    if (rc == DB_OK)
        reply_json(r, 200, member_uri_json(c.row, 0));
    else
        reply_uri_failure(r, &c, rc);
    PQclear(c.row);
    json_decref(c.lookalikes);
}

void h_member_uri_delete(struct req *r)
{
    struct uri_ctx c;
    if (!uri_params(r, &c))
        return;
    enum db_rc rc = db_tx(req_db(r), DB_READ_COMMITTED, delete_tx, &c);
    if (rc == DB_OK)
        reply_empty(r, 204);
    else
        reply_uri_failure(r, &c, rc);
}

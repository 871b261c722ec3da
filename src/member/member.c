#include "member/member.h"


#include <stdio.h>
#include <string.h>

#include "audit/audit.h"
#include "util/validate.h"

static const struct row_col member_cols[] = {MEMBER_ROW(ROW_COL, )};

json_t *member_json(PGresult *res, int row)
{
    return row_json(member_cols, MEMBER_COL_COUNT, res, row);
}

DB_STMT(q_member_insert, 5,
        "INSERT INTO members AS m (name, organization_id, npi, contacts, notes) "
        "VALUES ($1, $2, $3, coalesce($4::jsonb, '[]'), coalesce($5, '')) "
        "RETURNING " MEMBER_COLUMNS);

enum db_rc member_insert(struct db *db, const struct audit_actor *actor,
                         const struct member_new *m, PGresult **row)
{
    const char *p[] = {m->name, m->organization_id, m->npi, m->contacts,
                       m->notes};
    PGresult *res;
    enum db_rc rc = db_exec(db, &q_member_insert, &res, p);
    if (rc != DB_OK)
        return rc;
    json_t *d = json_pack("{s:s, s:s, s:o}", "name", m->name,
                          "organization_id", m->organization_id, "npi",
                          m->npi ? json_string(m->npi) : json_null());
    rc = audit_write(db, actor, "member.create", "member",
                     PQgetvalue(res, 0, MEMBER_COL_ID), d);
    if (rc == DB_OK && row)
        *row = res;
    else
        PQclear(res);
    return rc;
}

const char *member_next_status(const char *action, const char *current)
{
    if (!action || !current || !strcmp(current, "terminated"))
        return NULL;
    if (!strcmp(action, "activate"))
        return !strcmp(current, "pending") ? "active" : NULL;
    if (!strcmp(action, "suspend"))
        return !strcmp(current, "active") ? "suspended" : NULL;
    if (!strcmp(action, "reinstate"))
        return !strcmp(current, "suspended") ? "active" : NULL;
    if (!strcmp(action, "terminate"))
        return "terminated";
    return NULL;
}

/* ---- URIs ---- */

unsigned uri_kind_parse(const char *s)
{
    if (!s)
        return 0;
    if (!strcmp(s, "client"))
        return URI_KIND_CLIENT;
    if (!strcmp(s, "server"))
        return URI_KIND_SERVER;
    if (!strcmp(s, "idp"))
        return URI_KIND_IDP;
    return 0;
}

static const struct row_col uri_cols[] = {URI_ROW(ROW_COL, )};

json_t *member_uri_json(PGresult *res, int row)
{
    return row_json(uri_cols, URI_COL_COUNT, res, row);
}

/* The member's own row of the URI (any status) first, else, for an
 * approved add ($3), the approved owner; other members' proposals do not
 * count (scoped to their member), nor, for a proposal, anything of others */
DB_STMT(q_uri_owner, 3,
        "SELECT m.id::text, m.name FROM member_uris u "
        "JOIN members m ON m.id = u.member_id WHERE u.uri = $1 "
        "AND (u.member_id = $2::bigint OR ($3::bool AND u.status = 'approved')) "
        "ORDER BY u.member_id = $2::bigint DESC LIMIT 1");
DB_STMT(q_uri_approved_other, 2,
        "SELECT m.id::text, m.name FROM member_uris u "
        "JOIN members m ON m.id = u.member_id WHERE u.uri = $1 "
        "AND u.status = 'approved' AND u.member_id <> $2::bigint");
DB_STMT(q_uri_decline, 2,
        "UPDATE member_uris u SET status = 'declined' WHERE u.uri = $1 "
        "AND u.member_id <> $2::bigint AND u.status = 'pending' "
        "RETURNING " URI_COLUMNS);
/* $1 the key, $3 the key without fragment: a URI with a fragment looks like
 * the same URI without one ($3) and the other way round (keys "$3#...",
 * a byte range in the "C" collation: '$' follows '#') */
/* what a look-alike shows of another URI */
#define LOOKALIKE_ROW(X, S)                                                    \
    X(LOOKALIKE_COL_ID, "u.id::text", "id", TEXT) S                            \
    X(LOOKALIKE_COL_URI, "u.uri", "uri", TEXT) S                               \
    X(LOOKALIKE_COL_MEMBER, "u.member_id::text", "member_id", TEXT) S          \
    X(LOOKALIKE_COL_KIND, "u.kind", "kind", TEXT) S                            \
    X(LOOKALIKE_COL_STATUS, "u.status", "status", TEXT) S                      \
    X(LOOKALIKE_COL_MEMBER_NAME, "m.name", "member_name", TEXT)
enum { LOOKALIKE_ROW(ROW_ENUM, ) LOOKALIKE_COL_COUNT };
static const struct row_col lookalike_cols[] = {LOOKALIKE_ROW(ROW_COL, )};
/* $1 the URI's key, $3 its key without fragment, $4 its member: the same
 * key, or (of another member only) the same URI with and without a
 * fragment. A member's own URI with purpose fragments (TEFCA's #T-TREAT)
 * is registered on purpose. */
DB_STMT(q_uri_lookalikes, 4,
        "SELECT " LOOKALIKE_ROW(ROW_SQL, ", ") " FROM member_uris u "
        "JOIN members m ON m.id = u.member_id "
        "WHERE (u.lookalike_key = $1 OR (u.member_id <> $4::bigint AND "
        "(u.lookalike_key = $3 OR "
        "($1 = $3 AND u.lookalike_key COLLATE \"C\" > $3 || '#' "
        "AND u.lookalike_key COLLATE \"C\" < $3 || '$')))) "
        "AND u.uri <> $2 AND u.status <> 'declined' ORDER BY u.id LIMIT 20");
DB_STMT(q_uri_insert, 6,
        "INSERT INTO member_uris AS u (member_id, uri, lookalike_key, kind, "
        "status, created_by, approved_by, approved_at) "
        "VALUES ($1, $2, $3, $4, "
        "CASE WHEN $5::bool THEN 'approved' ELSE 'pending' END, $6::bigint, "
        "CASE WHEN $5::bool THEN $6::bigint END, "
        "CASE WHEN $5::bool THEN now() END) "
        "RETURNING " URI_COLUMNS);

enum db_rc member_uri_lookalikes(struct db *db, const char *uri,
                                 const char *member_id, json_t **out)
{
    *out = NULL;
    char key[URI_MAX + 1];
    if (uri_lookalike_key(uri, key, sizeof key))
        return DB_ERROR; /* longer than URI_MAX: the caller checked */
    char base[URI_MAX + 1];
    snprintf(base, sizeof base, "%.*s", (int)strcspn(key, "#"), key);
    const char *p2[] = {key, uri, base, member_id};
    PGresult *res;
    enum db_rc rc = db_exec(db, &q_uri_lookalikes, &res, p2);
    if (rc != DB_OK)
        return rc;
    json_t *looks = json_array();
    for (int i = 0; i < PQntuples(res); i++)
        json_array_append_new(looks, row_json(lookalike_cols, LOOKALIKE_COL_COUNT, res, i));
    PQclear(res);
    *out = looks;
    return DB_OK;
}

enum db_rc member_uri_insert(struct db *db, const struct audit_actor *actor,
                             struct uri_new *u)
{
    u->row = NULL;
    u->lookalikes = NULL;
    u->asked = false;
    u->owner_id[0] = u->owner_name[0] = 0;
    PGresult *res;
    const char *p1[] = {u->uri, u->member_id, u->approved ? "true" : "false"};
    enum db_rc rc = db_exec(db, &q_uri_owner, &res, p1);
    if (rc != DB_OK)
        return rc;
    if (PQntuples(res) > 0) {
        snprintf(u->owner_id, sizeof u->owner_id, "%s", PQgetvalue(res, 0, 0));
        snprintf(u->owner_name, sizeof u->owner_name, "%s",
                 PQgetvalue(res, 0, 1));
        PQclear(res);
        return DB_CONFLICT;
    }
    PQclear(res);

    char key[URI_MAX + 1];
    if (uri_lookalike_key(u->uri, key, sizeof key))
        return DB_ERROR; /* longer than URI_MAX: the caller checked */
    json_t *looks;
    if ((rc = member_uri_lookalikes(db, u->uri, u->member_id, &looks)) != DB_OK)
        return rc;
    bool counts = false;
    size_t i;
    json_t *l;
    json_array_foreach(looks, i, l)
    {
        counts |= !u->own_only ||
                  !strcmp(json_string_value(json_object_get(l, "member_id")),
                          u->member_id);
    }
    if (u->ask && counts) {
        u->asked = true; /* nothing stored: the caller asks first */
        u->lookalikes = looks;
        return DB_CONFLICT;
    }

    const char *p3[] = {u->member_id, u->uri, key, u->kind,
                        u->approved ? "true" : "false", u->created_by};
    if ((rc = db_exec(db, &q_uri_insert, &res, p3)) != DB_OK) {
        json_decref(looks);
        return rc; /* DB_CONFLICT: a concurrent insert of the same URI won */
    }
    json_t *d = json_pack("{s:s, s:s, s:s, s:s, s:I}", "member_id",
                          u->member_id, "uri", u->uri, "kind", u->kind,
                          "status", u->approved ? "approved" : "pending",
                          "lookalikes", (json_int_t)json_array_size(looks));
    rc = audit_write(db, actor, "uri.create", "member_uri",
                     PQgetvalue(res, 0, URI_COL_ID), d);
    if (rc == DB_OK && u->approved)
        rc = member_uri_decline_others(db, actor, u->uri, u->member_id);
    if (rc != DB_OK) {
        PQclear(res);
        json_decref(looks);
        return rc;
    }
    u->row = res;
    u->lookalikes = looks;
    return DB_OK;
}

enum db_rc member_uri_approved_elsewhere(struct db *db, const char *uri,
                                        const char *member_id, char owner_id[24],
                                        char owner_name[260])
{
    PGresult *res;
    enum db_rc rc = db_exec(db, &q_uri_approved_other, &res,
                            (const char *[]){uri, member_id});
    if (rc != DB_OK)
        return rc;
    if (PQntuples(res) > 0) {
        snprintf(owner_id, 24, "%s", PQgetvalue(res, 0, 0));
        snprintf(owner_name, 260, "%s", PQgetvalue(res, 0, 1));
        rc = DB_CONFLICT;
    }
    PQclear(res);
    return rc;
}

enum db_rc member_uri_decline_others(struct db *db, const struct audit_actor *actor,
                                     const char *uri, const char *member_id)
{
    PGresult *res;
    enum db_rc rc = db_exec(db, &q_uri_decline, &res, (const char *[]){uri, member_id});
    if (rc != DB_OK)
        return rc;
    for (int i = 0; rc == DB_OK && i < PQntuples(res); i++)
        rc = audit_write(db, actor, "uri.decline", "member_uri",
                         PQgetvalue(res, i, URI_COL_ID),
                         json_pack("{s:s, s:s, s:s, s:s}", "member_id",
                                   PQgetvalue(res, i, URI_COL_MEMBER), "uri", uri, "kind",
                                   PQgetvalue(res, i, URI_COL_KIND), "approved_for", member_id));
    PQclear(res);
    return rc;
}

DB_STMT(q_member_status, 1, "SELECT status FROM members WHERE id = $1");
DB_STMT(q_member_lock, 1,
        "SELECT status, name FROM members WHERE id = $1 FOR SHARE");

static enum db_rc status_of(struct db *db, struct db_stmt *st,
                            const char *member_id, char out[16], char *name)
{
    const char *p[] = {member_id};
    PGresult *res;
    enum db_rc rc = db_exec(db, st, &res, p);
    if (rc != DB_OK)
        return rc;
    if (PQntuples(res) == 0) {
        PQclear(res);
        return DB_NOTFOUND;
    }
    snprintf(out, 16, "%s", PQgetvalue(res, 0, 0));
    if (name)
        snprintf(name, MEMBER_NAME_MAX, "%s", PQgetvalue(res, 0, 1));
    PQclear(res);
    return DB_OK;
}

enum db_rc member_status(struct db *db, const char *member_id, char out[16])
{
    return status_of(db, &q_member_status, member_id, out, NULL);
}

enum db_rc member_lock(struct db *db, const char *member_id, char out[16], char *name)
{
    return status_of(db, &q_member_lock, member_id, out, name);
}

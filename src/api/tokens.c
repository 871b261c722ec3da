/* API tokens: POST/GET /api/v1/tokens, DELETE /api/v1/tokens/{id}.
 * The secret is shown once; only its SHA-256 is stored. A user manages its
 * own tokens; an admin may list and revoke anyone's and create for others. */
#include "api/handlers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/paging.h"
#include "audit/audit.h"
#include "auth/token.h"
#include "auth/tokens.h"
#include "config.h"
#include "http/http.h"
#include "db/row.h"
#include "http/json_body.h"

/* The columns of a token (t = api_tokens, u = its user); db/row.h. */
#define TOKEN_ROW(X, S)                                                        \
    X(TOKEN_COL_ID, "t.id::text", "id", TEXT) S                                \
    X(TOKEN_COL_NAME, "t.name", "name", TEXT) S                                \
    X(TOKEN_COL_USER, "t.user_id::text", "user_id", TEXT) S                    \
    X(TOKEN_COL_USERNAME, "u.username", "username", TEXT) S                    \
    X(TOKEN_COL_CREATED_AT, "t.created_at", "created_at", TIME) S              \
    X(TOKEN_COL_EXPIRES_AT, "t.expires_at", "expires_at", TIME) S              \
    X(TOKEN_COL_LAST_USED_AT, "t.last_used_at", "last_used_at", TIME) S        \
    X(TOKEN_COL_REVOKED_AT, "t.revoked_at", "revoked_at", TIME)
enum token_col { TOKEN_ROW(ROW_ENUM, ) TOKEN_COL_COUNT };
#define TOKEN_COLUMNS TOKEN_ROW(ROW_SQL, ", ")
static const struct row_col token_cols[] = {TOKEN_ROW(ROW_COL, )};

static json_t *token_json(PGresult *res, int i)
{
    return row_json(token_cols, TOKEN_COL_COUNT, res, i);
}

struct create_arg {
    struct audit_actor actor;
    const char *user_id, *name;
    int days;
    char token[TOKEN_MAX + 1], id[24], expires[32];
};

static enum db_rc create_tx(struct db *db, void *arg)
{
    struct create_arg *a = arg;
    return tokens_insert(db, &a->actor, a->user_id, a->name, a->days, a->token,
                         sizeof a->token, a->id, a->expires);
}

void h_tokens_create(struct req *r)
{
    const struct config *cfg = config_current();
    json_t *days = json_object_get(r->json, "days");
    const char *user = json_get_str(r->json, "user_id");
    if (user && r->who.role != ROLE_ADMIN && strcmp(user, r->who.user_id)) {
        reply_problem(r, PK_FORBIDDEN, "user_id",
                      "only an admin creates tokens for others");
        return;
    }
    struct create_arg a = {
        .actor = audit_actor_of(&r->who, r->client_ip),
        .user_id = user ? user : r->who.user_id,
        .name = json_get_str(r->json, "name"),
        .days = days ? (int)json_integer_value(days) : 90,
    };
    if (a.days > (int)cfg->token_max_days) {
        reply_problem(r, PK_INVALID_FIELD, "days",
                      "days must be at most %u", cfg->token_max_days);
        return;
    }
    if (!id_valid(a.user_id)) {
        reply_problem(r, PK_USER_NOT_FOUND, "user_id", "no such user");
        return;
    }
    enum db_rc rc = db_tx(req_db(r), DB_READ_COMMITTED, create_tx, &a);
    if (rc == DB_NOTFOUND) {
        reply_problem(r, PK_USER_NOT_FOUND, "user_id",
                      "no such user, or the user is disabled");
        return;
    }
    if (rc != DB_OK) {
        reply_db_failure(r, rc);
        return;
    }
    reply_json(r, 201, json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", a.id, "name",
                                 a.name, "user_id", a.user_id, "token", a.token,
                                 "expires_at", a.expires));
}

DB_STMT(q_list, 3,
        "SELECT " TOKEN_COLUMNS " FROM api_tokens t JOIN users u ON u.id = t.user_id "
        "WHERE t.id > $1::bigint AND ($3::bigint IS NULL OR t.user_id = $3::bigint) "
        "ORDER BY t.id LIMIT $2::int");

void h_tokens_list(struct req *r)
{
    struct page pg;
    if (page_parse(r, &pg, false))
        return;
    const char *user = r->who.role == ROLE_ADMIN ? req_query(r, "user_id")
                                                 : r->who.user_id;
    if (user && !id_valid(user)) {
        reply_problem(r, PK_INVALID_FIELD, "user_id", "user_id must be an id");
        return;
    }
    const char *p[] = {pg.after, pg.limit_plus_one, user};
    PGresult *res;
    enum db_rc rc = db_exec(req_db(r), &q_list, &res, p);
    if (rc != DB_OK) {
        reply_db_failure(r, rc);
        return;
    }
    reply_json(r, 200, page_result(&pg, res, token_json));
    PQclear(res);
}

DB_STMT(q_revoke, 2,
        "UPDATE api_tokens SET revoked_at = coalesce(revoked_at, now()) "
        "WHERE id = $1::bigint AND ($2::bigint IS NULL OR user_id = $2::bigint) "
        "RETURNING id");

struct revoke_arg {
    struct audit_actor actor;
    const char *id, *owner;
};

static enum db_rc revoke_tx(struct db *db, void *arg)
{
    struct revoke_arg *a = arg;
    const char *p[] = {a->id, a->owner};
    PGresult *res;
    enum db_rc rc = db_exec(db, &q_revoke, &res, p);
    if (rc != DB_OK)
        return rc;
    int n = PQntuples(res);
    PQclear(res);
    if (n != 1)
        return DB_NOTFOUND;
    return audit_write(db, &a->actor, "token.revoke", "token", a->id, NULL);
}

void h_tokens_delete(struct req *r)
{
    const char *id = req_param(r, "id");
    struct revoke_arg a = {audit_actor_of(&r->who, r->client_ip), id,
                           r->who.role == ROLE_ADMIN ? NULL : r->who.user_id};
    enum db_rc rc = id_valid(id) ? db_tx(req_db(r), DB_READ_COMMITTED, revoke_tx, &a)
                        : DB_NOTFOUND;
    if (rc == DB_NOTFOUND)
        reply_problem(r, PK_NOT_FOUND, NULL, "no such token");
    else if (rc != DB_OK)
        reply_db_failure(r, rc);
    else
        reply_empty(r, 204);
}

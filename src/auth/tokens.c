#include "auth/tokens.h"

#include <stdio.h>

#include "audit/audit.h"

/* columns: user id, username, role, member_id, token id, (no csrf), stale */
DB_STMT(q_lookup, 1,
        "SELECT u.id, u.username, u.role, coalesce(u.member_id::text, ''), t.id, '', "
        "t.last_used_at IS NULL OR t.last_used_at < now() - interval '1 minute', "
        "false " /* a token is not the password: made by an admin, or in a session */
        "FROM api_tokens t JOIN users u ON u.id = t.user_id "
        "WHERE t.token_hash = $1::bytea AND t.revoked_at IS NULL "
        "AND t.expires_at > now() AND NOT u.disabled");
DB_STMT(q_touch, 1, "UPDATE api_tokens SET last_used_at = now() WHERE id = $1");

enum db_rc tokens_lookup(struct db *db, const char *secret, struct credential *out)
{
    char hash[TOKEN_HASH_PARAM];
    token_hash_param(secret, hash);
    PGresult *res;
    enum db_rc rc = db_exec(db, &q_lookup, &res, (const char *[]){hash});
    if (rc != DB_OK)
        return rc;
    if (PQntuples(res) == 1)
        credential_fill(out, res);
    else
        rc = DB_NOTFOUND;
    PQclear(res);
    return rc;
}

enum db_rc tokens_touch(struct db *db, const char *id)
{
    return db_exec(db, &q_touch, NULL, (const char *[]){id});
}

DB_STMT(q_insert, 4,
        "INSERT INTO api_tokens (user_id, name, token_hash, expires_at) "
        "SELECT id, $2, $3::bytea, now() + make_interval(days => $4::int) "
        "FROM users WHERE id = $1::bigint AND NOT disabled "
        "RETURNING id, " SQL_TIME("expires_at") ", " SQL_TIME("created_at"));

enum db_rc tokens_insert(struct db *db, const struct audit_actor *actor,
                         const char *user_id, const char *name, int days,
                         char *token, size_t token_len, char id[24],
                         char expires[32])
{
    char hash[TOKEN_HASH_PARAM], d[16];
    token_new("troth_", token, token_len);
    token_hash_param(token, hash);
    snprintf(d, sizeof d, "%d", days);
    const char *p[] = {user_id, name, hash, d};
    PGresult *res;
    enum db_rc rc = db_exec(db, &q_insert, &res, p);
    if (rc != DB_OK)
        return rc;
    if (PQntuples(res) != 1) {
        PQclear(res);
        return DB_NOTFOUND;
    }
    snprintf(id, 24, "%s", PQgetvalue(res, 0, 0));
    snprintf(expires, 32, "%s", PQgetvalue(res, 0, 1));
    PQclear(res);
    return audit_write(db, actor, "token.create", "token", id,
                       json_pack("{s:s, s:s, s:i}", "name", name, "user_id",
                                 user_id, "days", days));
}

#include "auth/sessions.h"

#include <stdio.h>
#include <stdlib.h>

#include "audit/audit.h"

/* columns: user id, username, role, member_id, session id, csrf, stale */
DB_STMT(q_lookup, 2,
        "SELECT u.id, u.username, u.role, coalesce(u.member_id::text, ''), s.id, "
        "s.csrf_token, s.last_seen_at < now() - interval '1 minute', u.must_change_password "
        "FROM sessions s JOIN users u ON u.id = s.user_id "
        "WHERE s.token_hash = $1::bytea AND s.ended_at IS NULL "
        "AND s.expires_at > now() "
        "AND s.last_seen_at > now() - make_interval(mins => $2::int) "
        "AND NOT u.disabled");
DB_STMT(q_touch, 1, "UPDATE sessions SET last_seen_at = now() WHERE id = $1");
DB_STMT(q_insert, 5,
        "INSERT INTO sessions (user_id, token_hash, csrf_token, source_ip, expires_at) "
        "VALUES ($1, $2::bytea, $3, $4, now() + make_interval(hours => $5::int)) "
        "RETURNING id");
DB_STMT(q_end, 1,
        "UPDATE sessions SET ended_at = now() WHERE id = $1 AND ended_at IS NULL");

enum db_rc sessions_lookup(struct db *db, const char *secret, unsigned idle_minutes,
                           struct credential *out)
{
    char hash[TOKEN_HASH_PARAM], idle[16];
    token_hash_param(secret, hash);
    snprintf(idle, sizeof idle, "%u", idle_minutes);
    PGresult *res;
    enum db_rc rc = db_exec(db, &q_lookup, &res, (const char *[]){hash, idle});
    if (rc != DB_OK)
        return rc;
    if (PQntuples(res) == 1)
        credential_fill(out, res);
    else
        rc = DB_NOTFOUND;
    PQclear(res);
    return rc;
}

enum db_rc sessions_touch(struct db *db, const char *id)
{
    return db_exec(db, &q_touch, NULL, (const char *[]){id});
}

enum db_rc sessions_insert(struct db *db, const struct audit_actor *actor,
                           const char *user_id, const char *secret_hash,
                           const char *csrf, const char *ip, const char *hours,
                           char id_out[24])
{
    const char *p[] = {user_id, secret_hash, csrf, ip, hours};
    PGresult *res;
    enum db_rc rc = db_exec(db, &q_insert, &res, p);
    if (rc != DB_OK)
        return rc;
    snprintf(id_out, 24, "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
    return audit_write(db, actor, "session.login", "session", id_out, NULL);
}

enum db_rc sessions_end(struct db *db, const struct audit_actor *actor, const char *id)
{
    enum db_rc rc = db_exec(db, &q_end, NULL, (const char *[]){id});
    if (rc != DB_OK)
        return rc;
    return audit_write(db, actor, "session.logout", "session", id, NULL);
}

/* Who is calling: an API token (Authorization: Bearer) or a session cookie
 * with its CSRF token. Only the admin listener authenticates; the public
 * listener never touches the database for it. */
#include "http/auth.h"

#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth/token.h"
#include "config.h"
#include "db/db.h"
#include "http/http.h"

unsigned auth_role_bit(const char *role)
{
    if (!strcmp(role, "admin")) return ROLE_ADMIN;
    if (!strcmp(role, "operator")) return ROLE_OPERATOR;
    if (!strcmp(role, "auditor")) return ROLE_AUDITOR;
    if (!strcmp(role, "member")) return ROLE_MEMBER;
    return 0;
}

/* columns: user id, username, role, member_id, credential id, extra, stale */
DB_STMT(q_token, 1,
        "SELECT u.id, u.username, u.role, coalesce(u.member_id::text, ''), t.id, '', "
        "t.last_used_at IS NULL OR t.last_used_at < now() - interval '1 minute' "
        "FROM api_tokens t JOIN users u ON u.id = t.user_id "
        "WHERE t.token_hash = $1::bytea AND t.revoked_at IS NULL "
        "AND t.expires_at > now() AND NOT u.disabled");
DB_STMT(q_token_touch, 1, "UPDATE api_tokens SET last_used_at = now() WHERE id = $1");
DB_STMT(q_session, 2,
        "SELECT u.id, u.username, u.role, coalesce(u.member_id::text, ''), s.id, "
        "s.csrf_token, s.last_seen_at < now() - interval '1 minute' "
        "FROM sessions s JOIN users u ON u.id = s.user_id "
        "WHERE s.token_hash = $1::bytea AND s.ended_at IS NULL "
        "AND s.expires_at > now() "
        "AND s.last_seen_at > now() - make_interval(mins => $2::int) "
        "AND NOT u.disabled");
DB_STMT(q_session_touch, 1, "UPDATE sessions SET last_seen_at = now() WHERE id = $1");

static void fill(struct principal *who, PGresult *res)
{
    snprintf(who->user_id, sizeof who->user_id, "%s", PQgetvalue(res, 0, 0));
    snprintf(who->username, sizeof who->username, "%s", PQgetvalue(res, 0, 1));
    who->role = auth_role_bit(PQgetvalue(res, 0, 2));
    snprintf(who->member_id, sizeof who->member_id, "%s", PQgetvalue(res, 0, 3));
}

static bool is_safe_method(const char *m)
{
    return !strcmp(m, "GET") || !strcmp(m, "HEAD") || !strcmp(m, "OPTIONS");
}

/* Constant-time string equality (CSRF tokens). */
static bool same(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    unsigned char d = (unsigned char)(la != lb);
    for (size_t i = 0; i < la && i < lb; i++)
        d |= (unsigned char)(a[i] ^ b[i]);
    return d == 0;
}

static int by_token(struct req *r, const char *token)
{
    char hash[TOKEN_HASH_PARAM];
    token_hash_param(token, hash);
    const char *p[] = {hash};
    PGresult *res;
    struct db *db = req_db(r);
    enum db_rc rc = db_exec(db, &q_token, &res, p);
    if (rc == DB_UNAVAILABLE) {
        reply_db_unavailable(r);
        return 1;
    }
    if (rc != DB_OK || PQntuples(res) != 1) {
        if (rc == DB_OK)
            PQclear(res);
        reply_problem(r, 401, "invalid-token", NULL,
                      "the API token is unknown, expired or revoked");
        reply_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                     "Bearer error=\"invalid_token\"");
        return 1;
    }
    fill(&r->who, res);
    snprintf(r->who.token_id, sizeof r->who.token_id, "%s", PQgetvalue(res, 0, 4));
    bool stale = PQgetvalue(res, 0, 6)[0] == 't';
    PQclear(res);
    if (stale) {
        const char *tp[] = {r->who.token_id};
        db_exec(db, &q_token_touch, NULL, tp);
    }
    return 0;
}

static int by_session(struct req *r, const char *cookie)
{
    const struct config *cfg = config_current();
    char hash[TOKEN_HASH_PARAM], idle[16];
    token_hash_param(cookie, hash);
    snprintf(idle, sizeof idle, "%u", cfg ? cfg->session_idle_minutes : 30);
    const char *p[] = {hash, idle};
    PGresult *res;
    struct db *db = req_db(r);
    enum db_rc rc = db_exec(db, &q_session, &res, p);
    if (rc == DB_UNAVAILABLE) {
        reply_db_unavailable(r);
        return 1;
    }
    if (rc != DB_OK)
        return 0; /* treated as anonymous */
    if (PQntuples(res) != 1) {
        PQclear(res);
        return 0; /* expired or ended: anonymous, so 401 where it matters */
    }
    bool csrf_ok = is_safe_method(r->method);
    if (!csrf_ok) {
        const char *sent = req_header(r, "X-CSRF-Token");
        csrf_ok = sent && same(sent, PQgetvalue(res, 0, 5));
    }
    if (!csrf_ok) {
        PQclear(res);
        reply_problem(r, 403, "csrf-token-missing", NULL,
                      "this request needs the X-CSRF-Token header of the session");
        return 1;
    }
    fill(&r->who, res);
    snprintf(r->who.session_id, sizeof r->who.session_id, "%s", PQgetvalue(res, 0, 4));
    bool stale = PQgetvalue(res, 0, 6)[0] == 't';
    PQclear(res);
    if (stale) {
        const char *sp[] = {r->who.session_id};
        db_exec(db, &q_session_touch, NULL, sp);
    }
    return 0;
}

int auth_resolve(struct req *r)
{
    r->who = (struct principal){.role = ROLE_ANON};
    if (r->listener != LISTENER_ADMIN)
        return 0;
    const char *authz = req_header(r, MHD_HTTP_HEADER_AUTHORIZATION);
    if (authz) {
        if (strncasecmp(authz, "Bearer ", 7) != 0 || strlen(authz + 7) == 0 ||
            strlen(authz + 7) > TOKEN_MAX) {
            reply_problem(r, 401, "invalid-token", NULL,
                          "use Authorization: Bearer <API token>");
            reply_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
            return 1;
        }
        return by_token(r, authz + 7);
    }
    const char *cookie =
        MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, AUTH_COOKIE);
    if (cookie && *cookie && strlen(cookie) <= TOKEN_MAX)
        return by_session(r, cookie);
    return 0;
}

const char *auth_role_name(unsigned role)
{
    switch (role) {
    case ROLE_ADMIN: return "admin";
    case ROLE_OPERATOR: return "operator";
    case ROLE_AUDITOR: return "auditor";
    case ROLE_MEMBER: return "member";
    default: return "anonymous";
    }
}

/* Who is calling: an API token (Authorization: Bearer) or a session cookie
 * with its CSRF token. Only the admin listener authenticates; the public
 * listener never touches the database for it. */
#include "http/auth.h"

#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth/sessions.h"
#include "auth/tokens.h"
#include "config.h"
#include "http/http.h"

static void fill(struct principal *who, const struct credential *c)
{
    snprintf(who->user_id, sizeof who->user_id, "%s", c->user_id);
    snprintf(who->username, sizeof who->username, "%s", c->username);
    who->role = c->role;
    snprintf(who->member_id, sizeof who->member_id, "%s", c->member_id);
    who->must_change_password = c->must_change_password;
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

/* A database failure while finding the caller is the server's fault, not
 * the caller's: 503 when the database is down, 500 (logged) otherwise. */
static int by_token(struct req *r, const char *token)
{
    struct credential c;
    struct db *db = req_db(r);
    enum db_rc rc = tokens_lookup(db, token, &c);
    if (rc == DB_NOTFOUND) {
        reply_problem(r, PK_INVALID_TOKEN, NULL,
                      "the API token is unknown, expired or revoked");
        reply_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                     "Bearer error=\"invalid_token\"");
        return 1;
    }
    if (rc != DB_OK) {
        reply_db_failure(r, rc);
        return 1;
    }
    fill(&r->who, &c);
    snprintf(r->who.token_id, sizeof r->who.token_id, "%s", c.id);
    if (c.stale)
        tokens_touch(db, c.id);
    return 0;
}

static int by_session(struct req *r, const char *cookie)
{
    const struct config *cfg = config_current();
    struct credential c;
    struct db *db = req_db(r);
    enum db_rc rc = sessions_lookup(db, cookie, cfg ? cfg->session_idle_minutes : 30, &c);
    if (rc == DB_NOTFOUND)
        return 0; /* expired or ended: anonymous, so 401 where it matters */
    if (rc != DB_OK) {
        reply_db_failure(r, rc);
        return 1;
    }
    bool csrf_ok = is_safe_method(r->method);
    if (!csrf_ok) {
        const char *sent = req_header(r, "X-CSRF-Token");
        csrf_ok = sent && same(sent, c.csrf);
    }
    if (!csrf_ok) {
        reply_problem(r, PK_CSRF_TOKEN_MISSING, NULL,
                      "this request needs the X-CSRF-Token header of the session");
        return 1;
    }
    fill(&r->who, &c);
    snprintf(r->who.session_id, sizeof r->who.session_id, "%s", c.id);
    snprintf(r->who.csrf, sizeof r->who.csrf, "%s", c.csrf);
    if (c.stale)
        sessions_touch(db, c.id);
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
            reply_problem(r, PK_INVALID_TOKEN, NULL,
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

struct audit_actor audit_actor_of(const struct principal *who, const char *ip)
{
    struct audit_actor a = {
        .user_id = who->user_id[0] ? who->user_id : NULL,
        .token_id = who->token_id[0] ? who->token_id : NULL,
        .name = who->username[0] ? who->username : "anonymous",
        .ip = ip ? ip : "",
    };
    return a;
}

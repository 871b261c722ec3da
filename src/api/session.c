/* Sign in, sign out, who am I: POST/DELETE /api/v1/session, GET /api/v1/me. */
#include "api/handlers.h"

#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "auth/login_limits.h"
#include "auth/password.h"
#include "auth/roles.h"
#include "auth/sessions.h"
#include "auth/token.h"
#include "auth/users.h"
#include "config.h"
#include "db/db.h"
#include "http/auth.h"
#include "http/http.h"
#include "http/json_body.h"
#include "counters/counters.h"

DB_STMT(q_login_user, 1,
        "SELECT " USER_COLUMNS ", password_hash FROM users WHERE username = $1");
void reply_too_many_attempts(struct req *r, long wait)
{
    metrics_signin(SIGNIN_LIMITED);
    char ra[24];
    snprintf(ra, sizeof ra, "%ld", wait);
    reply_problem(r, PK_TOO_MANY_ATTEMPTS, NULL,
                  "too many failed sign-ins; try again in %ld seconds", wait);
    reply_header(r, MHD_HTTP_HEADER_RETRY_AFTER, ra);
}

void reply_hash_busy(struct req *r)
{
    metrics_signin(SIGNIN_BUSY);
    reply_problem(r, PK_BUSY_429, NULL,
                  "too many sign-ins at once; try again in a second");
    reply_header(r, MHD_HTTP_HEADER_RETRY_AFTER, "1");
}

/* Takes an attempt for the address and for (username, address): 0 to go
 * on, else the reply is made (429, or 503 when the database failed). */
static int take_attempts(struct req *r, const char *username)
{
    const struct config *cfg = config_current();
    struct db *db = req_db(r);
    long wait = 0;
    enum db_rc rc = login_limit_take(db, LIMIT_IP, "", r->client_ip,
                                     cfg->login_failures_per_ip,
                                     cfg->login_window_minutes, &wait);
    if (rc == DB_OK && !wait) {
        rc = login_limit_take(db, LIMIT_LOGIN, username, r->client_ip,
                              cfg->login_failures_per_user,
                              cfg->login_window_minutes, &wait);
        if (rc == DB_OK && wait)
            login_limit_release(db, LIMIT_IP, "", r->client_ip, false);
    }
    if (rc != DB_OK) {
        reply_db_failure(r, rc);
        return 1;
    }
    if (wait) {
        reply_too_many_attempts(r, wait);
        return 1;
    }
    return 0;
}

/* Gives back the attempts taken (the sign-in succeeded, or never hashed). */
static void give_back(struct req *r, const char *username, bool success)
{
    struct db *db = req_db(r);
    login_limit_release(db, LIMIT_IP, "", r->client_ip, false);
    login_limit_release(db, LIMIT_LOGIN, username, r->client_ip, success);
}

struct login_arg {
    struct audit_actor actor;
    const char *user_id, *hash, *csrf, *ip, *hours;
    char session_id[24];
};

static enum db_rc create_session(struct db *db, void *arg)
{
    struct login_arg *a = arg;
    return sessions_insert(db, &a->actor, a->user_id, a->hash, a->csrf, a->ip,
                           a->hours, a->session_id);
}

void h_session_create(struct req *r)
{
    const struct config *cfg = config_current();
    const char *username = json_get_str(r->json, "username");
    const char *password = json_get_str(r->json, "password");
    struct db *db = req_db(r);
    /* the global bound on argon2 work first: beyond it 429 at once, with no
     * hash and no database write (a flood from rotating addresses costs
     * nothing); the slot is held for the limits' check and the hash */
    if (!password_gate_enter()) {
        reply_hash_busy(r);
        return;
    }
    if (take_attempts(r, username)) {
        password_gate_leave();
        return;
    }
    PGresult *res;
    const char *p[] = {username};
    enum db_rc rc = db_exec(db, &q_login_user, &res, p);
    if (rc != DB_OK) {
        password_gate_leave();
        give_back(r, username, false);
        reply_db_failure(r, rc);
        return;
    }
    bool found = PQntuples(res) == 1;
    const char *hash = found && !PQgetisnull(res, 0, USER_COL_COUNT)
                           ? PQgetvalue(res, 0, USER_COL_COUNT)
                           : NULL;
    bool disabled = found && PQgetvalue(res, 0, USER_COL_DISABLED)[0] == 't';
    bool ok = password_verify(hash, password) && !disabled;
    password_gate_leave();
    if (!ok) {
        PQclear(res);
        /* tallied, audited once per account per window (auth/login_limits.h) */
        login_failure_record(db, found ? username : "", r->client_ip,
                             !found     ? "unknown user"
                             : disabled ? "user disabled"
                                        : "wrong password",
                             cfg->login_window_minutes);
        metrics_signin(SIGNIN_FAILED);
        reply_problem(r, PK_INVALID_CREDENTIALS, NULL,
                      "invalid username or password");
        return;
    }
    metrics_signin(SIGNIN_OK);
    give_back(r, username, true);
    char token[TOKEN_MAX + 1], thash[TOKEN_HASH_PARAM], csrf[TOKEN_MAX + 1];
    char hours[16];
    token_new("", token, sizeof token);
    token_new("", csrf, sizeof csrf);
    token_hash_param(token, thash);
    snprintf(hours, sizeof hours, "%u", cfg->session_max_hours);
    struct login_arg la = {
        .actor = {PQgetvalue(res, 0, USER_COL_ID), NULL, PQgetvalue(res, 0, USER_COL_USERNAME),
                  r->client_ip},
        .user_id = PQgetvalue(res, 0, USER_COL_ID), .hash = thash, .csrf = csrf,
        .ip = r->client_ip, .hours = hours};
    rc = db_tx(db, DB_READ_COMMITTED, create_session, &la);
    if (rc != DB_OK) {
        PQclear(res);
        reply_db_failure(r, rc);
        return;
    }
    json_t *user = user_json(res, 0);
    PQclear(res);
    reply_json(r, 200, json_pack("{s:o, s:s}", "user", user, "csrf_token", csrf));
    char cookie[256];
    snprintf(cookie, sizeof cookie,
             AUTH_COOKIE "=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%u%s",
             token, cfg->session_max_hours * 3600,
             cfg->tls_cert || cfg->trusted_proxy ? "; Secure" : "");
    reply_header(r, MHD_HTTP_HEADER_SET_COOKIE, cookie);
}

struct logout_arg {
    struct audit_actor actor;
    const char *session_id;
};

static enum db_rc end_session(struct db *db, void *arg)
{
    struct logout_arg *a = arg;
    return sessions_end(db, &a->actor, a->session_id);
}

void h_session_delete(struct req *r)
{
    if (r->who.session_id[0]) {
        struct logout_arg a = {audit_actor_of(&r->who, r->client_ip),
                               r->who.session_id};
        enum db_rc rc = db_tx(req_db(r), DB_READ_COMMITTED, end_session, &a);
        if (rc != DB_OK) {
            reply_db_failure(r, rc);
            return;
        }
    }
    reply_empty(r, 204);
    reply_header(r, MHD_HTTP_HEADER_SET_COOKIE,
                 AUTH_COOKIE "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
}

void h_me(struct req *r)
{
    json_t *me = json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", r->who.user_id,
                           "username", r->who.username, "role",
                           auth_role_name(r->who.role), "auth",
                           r->who.token_id[0] ? "token" : "session", "member_id",
                           r->who.member_id);
    if (!r->who.member_id[0])
        json_object_set_new(me, "member_id", json_null());
    json_object_set_new(me, "must_change_password", json_boolean(r->who.must_change_password));
    /* A session's CSRF token, so that every tab of the browser can make
     * changes (a cross-origin page cannot read this answer: no CORS, and the
     * cookie is SameSite=Strict). Tokens need no CSRF token. */
    if (r->who.session_id[0])
        json_object_set_new(me, "csrf_token", json_string(r->who.csrf));
    reply_json(r, 200, me);
}

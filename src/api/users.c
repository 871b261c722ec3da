/* Users (admin only): GET/POST /api/v1/users, GET/PATCH /api/v1/users/{id};
 * a user's own password: POST /api/v1/me/password. */
#include "api/handlers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/paging.h"
#include "audit/audit.h"
#include "auth/login_limits.h"
#include "auth/password.h"
#include "auth/roles.h"
#include "auth/users.h"
#include "config.h"
#include "http/http.h"
#include "http/json_body.h"
#include "counters/counters.h"

/* ---- POST /api/v1/users ---- */

struct create_arg {
    struct audit_actor actor;
    const char *username, *role, *member_id, *hash;
    char id[24];
    bool generated; /* the password was generated: to be changed at first sign-in */
};

/* a generated password must be changed at first sign-in */
DB_STMT(q_must_change, 1,
        "UPDATE users SET must_change_password = true WHERE id = $1::bigint");

static enum db_rc create_tx(struct db *db, void *arg)
{
    struct create_arg *a = arg;
    enum db_rc rc = users_insert(db, &a->actor, a->username, a->role, a->member_id,
                                 a->hash, a->id);
    if (rc == DB_OK && a->generated)
        rc = db_exec(db, &q_must_change, NULL, (const char *[]){a->id});
    return rc;
}

DB_STMT(q_get, 1, "SELECT " USER_COLUMNS " FROM users WHERE id = $1::bigint");

/* Replies with the user `id` (status given), or 404. */
static void reply_user(struct req *r, unsigned status, const char *id,
                       const char *password)
{
    PGresult *res;
    const char *p[] = {id};
    enum db_rc rc = id_valid(id) ? db_exec(req_db(r), &q_get, &res, p) : DB_NOTFOUND;
    if (rc == DB_OK && PQntuples(res) == 0) {
        PQclear(res);
        rc = DB_NOTFOUND;
    }
    if (rc == DB_NOTFOUND) {
        reply_problem(r, PK_NOT_FOUND, NULL, "no such user");
        return;
    }
    if (rc != DB_OK) {
        reply_db_failure(r, rc);
        return;
    }
    json_t *u = user_json(res, 0);
    PQclear(res);
    if (password)
        json_object_set_new(u, "password", json_string(password));
    reply_json(r, status, u);
}

void h_users_create(struct req *r)
{
    const char *role = json_get_str(r->json, "role");
    const char *member = json_get_str(r->json, "member_id");
    const char *pw = json_get_str(r->json, "password");
    if (!auth_role_bit(role)) {
        reply_problem(r, PK_INVALID_FIELD, "role",
                      "role must be admin, operator, auditor or member");
        return;
    }
    if (!strcmp(role, "member") != (member != NULL)) {
        reply_problem(r, PK_INVALID_FIELD, "member_id",
                      "member_id is required for role member and only for it");
        return;
    }
    if (member && !id_valid(member)) {
        reply_problem(r, PK_MEMBER_NOT_FOUND_422, "member_id", "no such member");
        return;
    }
    const char *why = pw ? password_policy(pw) : NULL;
    if (why) {
        reply_problem(r, PK_PASSWORD_TOO_SHORT, "password", "%s", why);
        return;
    }
    char generated[25] = "";
    if (!pw) {
        password_generate(generated);
        pw = generated;
    }
    char hash[PASSWORD_HASH_MAX];
    if (password_hash(pw, hash, sizeof hash)) {
        reply_problem(r, PK_INTERNAL, NULL, "cannot hash the password");
        return;
    }
    struct create_arg a = {audit_actor_of(&r->who, r->client_ip),
                           json_get_str(r->json, "username"), role, member, hash, "",
                           generated[0] != 0};
    enum db_rc rc = db_tx(req_db(r), DB_READ_COMMITTED, create_tx, &a);
    if (rc == DB_CONFLICT)
        reply_problem(r, PK_USERNAME_TAKEN, "username",
                      "the username %s is taken", a.username);
    else if (rc == DB_NOTFOUND)
        reply_problem(r, PK_MEMBER_NOT_FOUND_422, "member_id", "no such member");
    else if (rc != DB_OK)
        reply_db_failure(r, rc);
    else
        reply_user(r, 201, a.id, generated[0] ? generated : NULL);
}

void h_users_get(struct req *r) { reply_user(r, 200, req_param(r, "id"), NULL); }

/* ---- GET /api/v1/users ---- */

DB_STMT(q_list, 2,
        "SELECT " USER_COLUMNS " FROM users WHERE id > $1::bigint "
        "ORDER BY id LIMIT $2::int");

void h_users_list(struct req *r)
{
    struct page pg;
    if (page_parse(r, &pg, false))
        return;
    const char *p[] = {pg.after, pg.limit_plus_one};
    PGresult *res;
    enum db_rc rc = db_exec(req_db(r), &q_list, &res, p);
    if (rc != DB_OK) {
        reply_db_failure(r, rc);
        return;
    }
    reply_json(r, 200, page_result(&pg, res, user_json));
    PQclear(res);
}

/* ---- PATCH /api/v1/users/{id} ---- */

DB_STMT(q_patch, 5,
        "UPDATE users SET role = coalesce($2, role), "
        "member_id = CASE WHEN coalesce($2, role) = 'member' "
        "  THEN coalesce($3::bigint, member_id) ELSE NULL END, "
        "disabled = coalesce($4::boolean, disabled), "
        "password_hash = coalesce($5, password_hash), "
        "must_change_password = must_change_password AND $5 IS NULL, updated_at = now() "
        "WHERE id = $1::bigint RETURNING disabled");
/* the session and token kept ($2, NULL for none): the caller's own */
DB_STMT(q_end_sessions, 2,
        "UPDATE sessions SET ended_at = now() WHERE user_id = $1::bigint "
        "AND ended_at IS NULL AND id IS DISTINCT FROM $2::bigint");
DB_STMT(q_revoke_tokens, 2,
        "UPDATE api_tokens SET revoked_at = now() WHERE user_id = $1::bigint "
        "AND revoked_at IS NULL AND id IS DISTINCT FROM $2::bigint");

struct patch_arg {
    struct audit_actor actor;
    const char *id, *role, *member, *disabled, *hash;
    const char *keep_session, *keep_token; /* the caller's, when it is the user */
};

static const char *own_id(const char *id)
{
    return id[0] ? id : NULL;
}

static enum db_rc patch_tx(struct db *db, void *arg)
{
    struct patch_arg *a = arg;
    const char *p[] = {a->id, a->role, a->member, a->disabled, a->hash};
    PGresult *res;
    enum db_rc rc = db_exec(db, &q_patch, &res, p);
    if (rc != DB_OK)
        return rc;
    int n = PQntuples(res);
    bool disabled = n && PQgetvalue(res, 0, 0)[0] == 't';
    PQclear(res);
    if (n == 0)
        return DB_NOTFOUND;
    /* disabling, or a new password, ends every session and API token at
     * once (whoever knew the old password, or holds a token made with it),
     * but the caller's own when the user changes their own password */
    if (disabled || a->hash) {
        if ((rc = db_exec(db, &q_end_sessions, NULL,
                          (const char *[]){a->id, a->keep_session})) != DB_OK ||
            (rc = db_exec(db, &q_revoke_tokens, NULL,
                          (const char *[]){a->id, a->keep_token})) != DB_OK)
            return rc;
    }
    json_t *d = json_object();
    if (a->role)
        json_object_set_new(d, "role", json_string(a->role));
    if (a->member)
        json_object_set_new(d, "member_id", json_string(a->member));
    if (a->disabled)
        json_object_set_new(d, "disabled", json_boolean(a->disabled[0] == 't'));
    if (a->hash)
        json_object_set_new(d, "password", json_string("changed"));
    return audit_write(db, &a->actor, "user.update", "user", a->id, d);
}

void h_users_patch(struct req *r)
{
    if (json_object_size(r->json) == 0) {
        /* nothing to change: no update, no audit event */
        reply_problem(r, PK_INVALID_FIELD, NULL,
                      "the body names no field to change (role, member_id, "
                      "disabled, password)");
        return;
    }
    const char *id = req_param(r, "id");
    const char *role = json_get_str(r->json, "role");
    const char *member = json_get_str(r->json, "member_id");
    const char *pw = json_get_str(r->json, "password");
    json_t *dis = json_object_get(r->json, "disabled");
    if (role && !auth_role_bit(role)) {
        reply_problem(r, PK_INVALID_FIELD, "role",
                      "role must be admin, operator, auditor or member");
        return;
    }
    if (role && !strcmp(role, "member") && !member) {
        reply_problem(r, PK_INVALID_FIELD, "member_id",
                      "member_id is required for role member");
        return;
    }
    if (member && !id_valid(member)) {
        reply_problem(r, PK_MEMBER_NOT_FOUND_422, "member_id", "no such member");
        return;
    }
    if (!strcmp(id, r->who.user_id) && json_is_true(dis)) {
        reply_problem(r, PK_CANNOT_DISABLE_SELF, "disabled",
                      "you cannot disable your own account");
        return;
    }
    const char *why = pw ? password_policy(pw) : NULL;
    if (why) {
        reply_problem(r, PK_PASSWORD_TOO_SHORT, "password", "%s", why);
        return;
    }
    char hash[PASSWORD_HASH_MAX];
    if (pw && password_hash(pw, hash, sizeof hash)) {
        reply_problem(r, PK_INTERNAL, NULL, "cannot hash the password");
        return;
    }
    struct patch_arg a = {audit_actor_of(&r->who, r->client_ip), id, role, member,
                          dis ? (json_is_true(dis) ? "t" : "f") : NULL,
                          pw ? hash : NULL, NULL, NULL};
    if (!strcmp(id, r->who.user_id)) {
        a.keep_session = own_id(r->who.session_id);
        a.keep_token = own_id(r->who.token_id);
    }
    enum db_rc rc = id_valid(id) ? db_tx(req_db(r), DB_READ_COMMITTED, patch_tx, &a) : DB_NOTFOUND;
    if (rc == DB_NOTFOUND)
        reply_problem(r, PK_NOT_FOUND, NULL, "no such user (or member)");
    else if (rc == DB_ERROR)
        reply_problem(r, PK_INVALID_CHANGE, NULL,
                      "the change is not consistent (a member user needs a member)");
    else if (rc != DB_OK)
        reply_db_failure(r, rc);
    else
        reply_user(r, 200, id, NULL);
}

/* ---- POST /api/v1/me/password ---- */

DB_STMT(q_hash_of, 1, "SELECT password_hash FROM users WHERE id = $1::bigint");
void h_me_password(struct req *r)
{
    const struct config *cfg = config_current();
    const char *cur = json_get_str(r->json, "current_password");
    const char *pw = json_get_str(r->json, "new_password");
    const char *why = password_policy(pw);
    if (why) {
        reply_problem(r, PK_PASSWORD_TOO_SHORT, "new_password", "%s", why);
        return;
    }
    struct db *db = req_db(r);
    /* the argon2 bound first (429 busy, nothing written), then wrong current
     * passwords are limited per user, like sign-ins */
    if (!password_gate_enter()) {
        reply_hash_busy(r);
        return;
    }
    long wait = 0;
    enum db_rc rc = login_limit_take(db, LIMIT_PASSWORD, r->who.user_id, "",
                                     cfg->login_failures_per_user,
                                     cfg->login_window_minutes, &wait);
    PGresult *res = NULL;
    if (rc == DB_OK && !wait)
        rc = db_exec(db, &q_hash_of, &res, (const char *[]){r->who.user_id});
    if (rc != DB_OK || wait) {
        password_gate_leave();
        if (rc != DB_OK)
            reply_db_failure(r, rc);
        else
            reply_too_many_attempts(r, wait);
        return;
    }
    bool ok = PQntuples(res) == 1 &&
              password_verify(PQgetisnull(res, 0, 0) ? NULL : PQgetvalue(res, 0, 0),
                              cur);
    PQclear(res);
    char hash[PASSWORD_HASH_MAX];
    int hrc = ok ? password_hash(pw, hash, sizeof hash) : 0;
    password_gate_leave();
    if (!ok) {
        login_failure_record(db, r->who.username, r->client_ip,
                             "wrong current password", cfg->login_window_minutes);
        metrics_signin(SIGNIN_FAILED);
        reply_problem(r, PK_WRONG_PASSWORD, "current_password",
                      "the current password is wrong");
        return;
    }
    if (hrc) {
        reply_problem(r, PK_INTERNAL, NULL, "cannot hash the password");
        return;
    }
    struct patch_arg a = {audit_actor_of(&r->who, r->client_ip), r->who.user_id,
                          NULL, NULL, NULL, hash, own_id(r->who.session_id),
                          own_id(r->who.token_id)};
    rc = db_tx(db, DB_READ_COMMITTED, patch_tx, &a);
    if (rc != DB_OK) {
        reply_db_failure(r, rc);
        return;
    }
    login_limit_release(db, LIMIT_PASSWORD, r->who.user_id, "", true);
    reply_empty(r, 204);
}

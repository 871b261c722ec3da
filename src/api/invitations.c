/* Invitations: an operator invites a member user; the invitee accepts with
 * the one-time token and a password, and lands in its organisation. Only
 * the SHA-256 of a token is stored; a token works once, until it expires. */
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

#include "api/handlers.h"
#include "api/member_access.h"
#include "audit/audit.h"
#include "auth/password.h"
#include "auth/token.h"
#include "auth/users.h"
#include "db/db.h"
#include "http/http.h"
#include "http/json_body.h"
#include "member/member.h"
#include "util/validate.h"

#define INVITATION_DAYS_DEFAULT 7

/* The columns of an invitation (i = invitations); db/row.h. */
#define INVITATION_ROW(X, S)                                                   \
    X(INV_COL_ID, "i.id::text", "id", TEXT) S                                  \
    X(INV_COL_MEMBER, "i.member_id::text", "member_id", TEXT) S                \
    X(INV_COL_USERNAME, "i.username", "username", TEXT) S                      \
    X(INV_COL_EMAIL, "i.email", "email", TEXT) S                               \
    X(INV_COL_CREATED_AT, "i.created_at", "created_at", TIME) S                \
    X(INV_COL_EXPIRES_AT, "i.expires_at", "expires_at", TIME) S                \
    X(INV_COL_ACCEPTED_AT, "i.accepted_at", "accepted_at", TIME) S             \
    X(INV_COL_ACCEPTED_USER, "i.accepted_user_id::text", "accepted_user_id", TEXT) S \
    X(INV_COL_STATUS, "CASE WHEN i.accepted_at IS NOT NULL THEN 'accepted' "   \
      "WHEN i.revoked_at IS NOT NULL THEN 'revoked' "                          \
      "WHEN i.expires_at <= now() THEN 'expired' ELSE 'pending' END", "status", TEXT)
enum inv_col { INVITATION_ROW(ROW_ENUM, ) INV_COL_COUNT };
#define INVITATION_COLUMNS INVITATION_ROW(ROW_SQL, ", ")
static const struct row_col invitation_cols[] = {INVITATION_ROW(ROW_COL, )};

static json_t *invitation_json(PGresult *res, int row)
{
    return row_json(invitation_cols, INV_COL_COUNT, res, row);
}

/* ---- GET /api/v1/members/{id}/invitations ---- */

DB_STMT(q_list, 3,
        "SELECT " INVITATION_COLUMNS " FROM invitations i "
        "WHERE i.member_id = $1 AND i.id < $2::bigint "
        "ORDER BY i.id DESC LIMIT $3::int");

void h_invitations_list(struct req *r)
{
    reply_member_list(r, &q_list, invitation_json, true);
}

/* ---- POST /api/v1/members/{id}/invitations ---- */

DB_STMT(q_user_exists, 1, "SELECT 1 FROM users WHERE username = $1");
DB_STMT(q_insert, 6,
        "INSERT INTO invitations AS i (member_id, username, email, token_hash, "
        "created_by, expires_at) "
        "VALUES ($1, $2, $3, $4::bytea, $5, now() + make_interval(days => $6::int)) "
        "RETURNING " INVITATION_COLUMNS);

struct create_ctx {
    struct audit_actor actor;
    const char *member_id, *username, *email, *hash, *user_id, *days;
    struct problem why; /* why the transaction refused (DB_CONFLICT) */
    PGresult *row;
};

static enum db_rc create_tx(struct db *db, void *arg)
{
    struct create_ctx *c = arg;
    PQclear(c->row);
    c->row = NULL;
    problem_clear(&c->why);
    char status[16];
    enum db_rc rc = member_lock(db, c->member_id, status, NULL);
    if (rc == DB_NOTFOUND) {
        problem_set(&c->why, PK_MEMBER_NOT_FOUND, NULL, "no member %.40s", c->member_id);
        return DB_CONFLICT;
    }
    if (rc != DB_OK)
        return rc;
    if (!strcmp(status, "terminated")) {
        problem_set(&c->why, PK_MEMBER_TERMINATED, NULL, "member %s is terminated",
                    c->member_id);
        return DB_CONFLICT;
    }
    PGresult *res;
    const char *p1[] = {c->username};
    if ((rc = db_exec(db, &q_user_exists, &res, p1)) != DB_OK)
        return rc;
    int taken = PQntuples(res);
    PQclear(res);
    if (taken) {
        problem_set(&c->why, PK_USERNAME_TAKEN, "username", "the username %s is taken",
                    c->username);
        return DB_CONFLICT;
    }
    const char *p[] = {c->member_id, c->username, c->email, c->hash,
                       c->user_id, c->days};
    if ((rc = db_exec(db, &q_insert, &c->row, p)) != DB_OK)
        return rc;
    json_t *d = json_pack("{s:s, s:s, s:s}", "member_id", c->member_id,
                          "username", c->username, "expires_at",
                          PQgetvalue(c->row, 0, INV_COL_EXPIRES_AT));
    if (c->email)
        json_object_set_new(d, "email", json_string(c->email));
    return audit_write(db, &c->actor, "invitation.create", "invitation",
                       PQgetvalue(c->row, 0, INV_COL_ID), d);
}

void h_invitations_create(struct req *r)
{
    const char *id = member_param(r);
    if (!id)
        return;
    const char *email = json_get_str(r->json, "email");
    char why[160];
    if (email && email_check(email, why, sizeof why)) {
        reply_problem(r, PK_INVALID_FIELD, "email", "email: %s", why);
        return;
    }
    json_t *dv = json_object_get(r->json, "days");
    char days[8];
    snprintf(days, sizeof days, "%lld",
             json_is_integer(dv) ? (long long)json_integer_value(dv)
                                 : (long long)INVITATION_DAYS_DEFAULT);
    char token[TOKEN_MAX], hash[TOKEN_HASH_PARAM];
    token_new("trinv_", token, sizeof token);
    token_hash_param(token, hash);
    struct create_ctx c = {
        .actor = audit_actor_of(&r->who, r->client_ip),
        .member_id = id, .username = json_get_str(r->json, "username"),
        .email = email, .hash = hash,
        .user_id = r->who.user_id[0] ? r->who.user_id : NULL, .days = days,
    };
    enum db_rc rc = db_tx(req_db(r), DB_READ_COMMITTED, create_tx, &c);
    if (rc == DB_OK) {
        json_t *body = invitation_json(c.row, 0);
        json_object_set_new(body, "token", json_string(token));
        char path[TOKEN_MAX + 40];
        /* the token rides in the fragment: browsers never send it, so it
         * stays out of access logs and Referer headers */
        snprintf(path, sizeof path, "/accept-invitation#token=%s", token);
        json_object_set_new(body, "accept_url_path", json_string(path));
        reply_json(r, 201, body);
        reply_header(r, "Cache-Control", "no-store");
    } else if (rc == DB_CONFLICT && problem_is_set(&c.why)) {
        reply_problem_of(r, &c.why);
    } else {
        reply_db_failure(r, rc);
    }
    PQclear(c.row);
    OPENSSL_cleanse(token, sizeof token);
}

/* ---- POST /api/v1/invitations/accept ---- */

/* what accepting reads of an invitation (m = its member) */
#define FIND_ROW(X, S)                                                         \
    X(FIND_COL_ID, "i.id::text", "id", HIDDEN) S                               \
    X(FIND_COL_MEMBER, "i.member_id::text", "member_id", HIDDEN) S             \
    X(FIND_COL_USERNAME, "i.username", "username", HIDDEN) S                   \
    X(FIND_COL_USED, "i.accepted_at IS NOT NULL", "used", HIDDEN) S            \
    X(FIND_COL_REVOKED, "i.revoked_at IS NOT NULL", "revoked", HIDDEN) S       \
    X(FIND_COL_EXPIRED, "i.expires_at <= now()", "expired", HIDDEN) S          \
    X(FIND_COL_MEMBER_STATUS, "m.status", "member_status", HIDDEN) S       \
    X(FIND_COL_MEMBER_NAME, "m.name", "member_name", HIDDEN) S               \
    X(FIND_COL_EXPIRES_AT, "i.expires_at", "expires_at", TIME)
enum find_col { FIND_ROW(ROW_ENUM, ) FIND_COL_COUNT };
#define FIND_SQL                                                           \
    "SELECT " FIND_ROW(ROW_SQL, ", ") " "                                  \
    "FROM invitations i JOIN members m ON m.id = i.member_id "              \
    "WHERE i.token_hash = $1::bytea"
DB_STMT(q_find, 1, FIND_SQL);
DB_STMT(q_find_lock, 1, FIND_SQL " FOR UPDATE OF i");
DB_STMT(q_user_insert, 3,
        "INSERT INTO users (username, role, member_id, password_hash) "
        "VALUES ($1, 'member', $2, $3) RETURNING " USER_COLUMNS);
DB_STMT(q_accepted, 2,
        "UPDATE invitations SET accepted_at = now(), accepted_user_id = $2 "
        "WHERE id = $1");

enum inv_state { I_OK, I_UNKNOWN, I_USED, I_REVOKED, I_EXPIRED, I_TERMINATED,
                 I_USERNAME };

/* Classifies a q_find / q_find_lock row set. */
static enum inv_state classify(PGresult *res)
{
    if (PQntuples(res) == 0)
        return I_UNKNOWN;
    if (!strcmp(PQgetvalue(res, 0, FIND_COL_USED), "t"))
        return I_USED;
    if (!strcmp(PQgetvalue(res, 0, FIND_COL_REVOKED), "t"))
        return I_REVOKED;
    if (!strcmp(PQgetvalue(res, 0, FIND_COL_EXPIRED), "t"))
        return I_EXPIRED;
    if (!strcmp(PQgetvalue(res, 0, FIND_COL_MEMBER_STATUS), "terminated"))
        return I_TERMINATED;
    return I_OK;
}

struct accept_ctx {
    const char *hash, *pw_hash, *ip;
    enum inv_state state;
    PGresult *user;
};

static enum db_rc accept_tx(struct db *db, void *arg)
{
    struct accept_ctx *c = arg;
    PQclear(c->user);
    c->user = NULL;
    const char *p0[] = {c->hash};
    PGresult *inv;
    enum db_rc rc = db_exec(db, &q_find_lock, &inv, p0);
    if (rc != DB_OK)
        return rc;
    if ((c->state = classify(inv)) != I_OK) {
        PQclear(inv);
        return DB_CONFLICT;
    }
    const char *inv_id = PQgetvalue(inv, 0, FIND_COL_ID),
               *member = PQgetvalue(inv, 0, FIND_COL_MEMBER),
               *username = PQgetvalue(inv, 0, FIND_COL_USERNAME);
    const char *p1[] = {username, member, c->pw_hash};
    rc = db_exec(db, &q_user_insert, &c->user, p1);
    if (rc == DB_CONFLICT)
        c->state = I_USERNAME;
    if (rc == DB_OK) {
        const char *uid = PQgetvalue(c->user, 0, USER_COL_ID);
        const char *p2[] = {inv_id, uid};
        rc = db_exec(db, &q_accepted, NULL, p2);
        struct audit_actor actor = {uid, NULL, username, c->ip};
        if (rc == DB_OK)
            rc = audit_write(db, &actor, "invitation.accept", "invitation",
                             inv_id,
                             json_pack("{s:s, s:s, s:s}", "member_id", member,
                                       "user_id", uid, "username", username));
    }
    PQclear(inv);
    return rc;
}

static void reply_state(struct req *r, enum inv_state s)
{
    switch (s) {
    case I_UNKNOWN:
        reply_problem(r, PK_INVITATION_NOT_FOUND, "token",
                      "no invitation has this token");
        break;
    case I_USED:
        reply_problem(r, PK_INVITATION_USED, "token",
                      "this invitation was accepted already");
        break;
    case I_REVOKED:
        reply_problem(r, PK_INVITATION_REVOKED, "token",
                      "this invitation was revoked; ask for a new one");
        break;
    case I_EXPIRED:
        reply_problem(r, PK_INVITATION_EXPIRED, "token",
                      "this invitation has expired; ask for a new one");
        break;
    case I_TERMINATED:
        reply_problem(r, PK_MEMBER_TERMINATED_410, "token",
                      "the member of this invitation is terminated");
        break;
    case I_USERNAME:
        reply_problem(r, PK_USERNAME_TAKEN, NULL,
                      "the invitation's username was taken meanwhile; ask "
                      "for a new invitation");
        break;
    case I_OK:
        break;
    }
}

void h_invitation_accept(struct req *r)
{
    const char *token = json_get_str(r->json, "token");
    const char *pw = json_get_str(r->json, "password");
    if (strlen(pw) < PASSWORD_MIN) {
        reply_problem(r, PK_PASSWORD_TOO_SHORT, "password",
                      "the password must have at least %d characters",
                      PASSWORD_MIN);
        return;
    }
    const char *why = password_policy(pw);
    if (why) {
        reply_problem(r, PK_PASSWORD_TOO_SHORT, "password", "%s", why);
        return;
    }
    char hash[TOKEN_HASH_PARAM];
    token_hash_param(token, hash);
    /* refuse bad tokens before spending an argon2id hash on them */
    struct db *db = req_db(r);
    const char *p[] = {hash};
    PGresult *res;
    enum db_rc rc = db_exec(db, &q_find, &res, p);
    if (rc != DB_OK) {
        reply_db_failure(r, rc);
        return;
    }
    enum inv_state s = classify(res);
    PQclear(res);
    if (s != I_OK) {
        reply_state(r, s);
        return;
    }
    char pw_hash[PASSWORD_HASH_MAX];
    if (password_hash(pw, pw_hash, sizeof pw_hash)) {
        reply_problem(r, PK_INTERNAL, NULL, "cannot hash the password");
        return;
    }
    struct accept_ctx c = {.hash = hash, .pw_hash = pw_hash, .ip = r->client_ip};
    rc = db_tx(db, DB_READ_COMMITTED, accept_tx, &c);
    if (rc == DB_OK)
        reply_json(r, 201,
                   json_pack("{s:{s:s, s:s, s:s, s:s}}", "user", "id",
                             PQgetvalue(c.user, 0, USER_COL_ID), "username",
                             PQgetvalue(c.user, 0, USER_COL_USERNAME), "role",
                             PQgetvalue(c.user, 0, USER_COL_ROLE), "member_id",
                             PQgetvalue(c.user, 0, USER_COL_MEMBER)));
    else if (rc == DB_CONFLICT && c.state != I_OK)
        reply_state(r, c.state);
    else
        reply_db_failure(r, rc);
    PQclear(c.user);
}

/* ---- POST /api/v1/invitations/lookup ---- */

/* What the accept page shows before a password is chosen: the member one
 * joins and the username, for the holder of the token only (the token is
 * the secret; it travels in the body, never in a URL). Changes nothing. */
void h_invitation_lookup(struct req *r)
{
    char hash[TOKEN_HASH_PARAM];
    token_hash_param(json_get_str(r->json, "token"), hash);
    const char *p[] = {hash};
    PGresult *res;
    enum db_rc rc = db_exec(req_db(r), &q_find, &res, p);
    if (rc != DB_OK) {
        reply_db_failure(r, rc);
        return;
    }
    enum inv_state s = classify(res);
    if (s != I_OK) {
        PQclear(res);
        reply_state(r, s);
        return;
    }
    json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "username",
                          PQgetvalue(res, 0, FIND_COL_USERNAME), "member_name",
                          PQgetvalue(res, 0, FIND_COL_MEMBER_NAME), "member_status",
                          PQgetvalue(res, 0, FIND_COL_MEMBER_STATUS), "expires_at",
                          PQgetvalue(res, 0, FIND_COL_EXPIRES_AT));
    PQclear(res);
    reply_json(r, 200, o);
}

/* ---- POST /api/v1/members/{id}/invitations/{inv_id}/{revoke,resend} ---- */

DB_STMT(q_inv_lock, 2,
        "SELECT " INVITATION_COLUMNS " FROM invitations i "
        "WHERE i.id = $1 AND i.member_id = $2 FOR UPDATE");
DB_STMT(q_inv_revoke, 1,
        "UPDATE invitations i SET revoked_at = now() WHERE i.id = $1 "
        "RETURNING " INVITATION_COLUMNS);
DB_STMT(q_inv_resend, 3,
        "UPDATE invitations i SET token_hash = $2::bytea, "
        "expires_at = now() + make_interval(days => $3::int) WHERE i.id = $1 "
        "RETURNING " INVITATION_COLUMNS);
/* the invitee is told by e-mail (when the invitation has an address) that
 * the invitation was renewed; the link itself only the operator sees (the
 * token is not kept, not even in the outbox) */
DB_STMT(q_inv_notice, 4,
        "INSERT INTO outbox (channel, event, order_key, recipients, payload) "
        "SELECT 'email', 'invitation.resent', 'invitation:' || $1::text, ARRAY[i.email], "
        "  jsonb_build_object('member', m.name, 'username', i.username, "
        "    'expires_at', $4::text) "
        "FROM invitations i JOIN members m ON m.id = i.member_id "
        "WHERE i.id = $1::bigint AND i.member_id = $2::bigint AND i.email IS NOT NULL "
        "AND $3::bool");

struct upkeep_ctx {
    struct audit_actor actor;
    const char *member_id, *inv_id, *hash, *days;
    bool resend;
    struct problem why;
    PGresult *row;
};

static enum db_rc upkeep_tx(struct db *db, void *arg)
{
    struct upkeep_ctx *c = arg;
    PQclear(c->row);
    c->row = NULL;
    problem_clear(&c->why);
    char status[16];
    enum db_rc rc = member_lock(db, c->member_id, status, NULL);
    if (rc == DB_NOTFOUND) {
        problem_set(&c->why, PK_MEMBER_NOT_FOUND, NULL, "no member %s", c->member_id);
        return DB_CONFLICT;
    }
    if (rc != DB_OK)
        return rc;
    if (c->resend && !strcmp(status, "terminated")) {
        problem_set(&c->why, PK_MEMBER_TERMINATED, NULL,
                    "member %s is terminated", c->member_id);
        return DB_CONFLICT;
    }
    PGresult *res;
    if ((rc = db_exec(db, &q_inv_lock, &res, (const char *[]){c->inv_id, c->member_id})) != DB_OK)
        return rc;
    if (PQntuples(res) == 0) {
        PQclear(res);
        problem_set(&c->why, PK_INVITATION_NOT_FOUND, NULL,
                    "member %s has no invitation %s", c->member_id, c->inv_id);
        return DB_CONFLICT;
    }
    const char *st = PQgetvalue(res, 0, INV_COL_STATUS);
    if (!strcmp(st, "accepted"))
        problem_set(&c->why, PK_INVITATION_USED, NULL, "the invitation was accepted already");
    else if (!strcmp(st, "revoked"))
        problem_set(&c->why, PK_INVITATION_REVOKED, NULL, "the invitation was revoked already");
    else if (!c->resend && strcmp(st, "pending"))
        problem_set(&c->why, PK_INVITATION_EXPIRED, NULL,
                    "the invitation has expired already: nothing to revoke");
    char was[16];
    snprintf(was, sizeof was, "%s", st);
    PQclear(res);
    if (problem_is_set(&c->why))
        return DB_CONFLICT;
    if (c->resend)
        rc = db_exec(db, &q_inv_resend, &c->row, (const char *[]){c->inv_id, c->hash, c->days});
    else
        rc = db_exec(db, &q_inv_revoke, &c->row, (const char *[]){c->inv_id});
    if (rc != DB_OK)
        return rc;
    const char *exp = PQgetvalue(c->row, 0, INV_COL_EXPIRES_AT);
    rc = audit_write(db, &c->actor, c->resend ? "invitation.resend" : "invitation.revoke",
                     "invitation", c->inv_id,
                     json_pack("{s:s, s:s, s:s, s:s}", "member_id", c->member_id,
                               "username", PQgetvalue(c->row, 0, INV_COL_USERNAME),
                               "was", was, "expires_at", exp));
    if (rc == DB_OK && c->resend)
        rc = db_exec(db, &q_inv_notice, NULL,
                     (const char *[]){c->inv_id, c->member_id, "true", exp});
    return rc;
}

static void invitation_upkeep(struct req *r, bool resend)
{
    const char *id = member_param(r);
    if (!id)
        return;
    const char *inv_id = req_param(r, "inv_id");
    if (!id_valid(inv_id)) {
        reply_problem(r, PK_INVITATION_NOT_FOUND, NULL,
                      "member %s has no invitation %.40s", id, inv_id);
        return;
    }
    char token[TOKEN_MAX], hash[TOKEN_HASH_PARAM], days[8];
    token_new("trinv_", token, sizeof token);
    token_hash_param(token, hash);
    json_t *dv = r->json ? json_object_get(r->json, "days") : NULL;
    snprintf(days, sizeof days, "%lld",
             json_is_integer(dv) ? (long long)json_integer_value(dv)
                                 : (long long)INVITATION_DAYS_DEFAULT);
    struct upkeep_ctx c = {.actor = audit_actor_of(&r->who, r->client_ip),
                           .member_id = id, .inv_id = inv_id, .hash = hash,
                           .days = days, .resend = resend};
    enum db_rc rc = db_tx(req_db(r), DB_READ_COMMITTED, upkeep_tx, &c);
    if (rc == DB_OK) {
        json_t *body = invitation_json(c.row, 0);
        if (resend) {
            char path[TOKEN_MAX + 40];
            snprintf(path, sizeof path, "/accept-invitation#token=%s", token);
            json_object_set_new(body, "token", json_string(token));
            json_object_set_new(body, "accept_url_path", json_string(path));
        }
        reply_json(r, 200, body);
        reply_header(r, "Cache-Control", "no-store");
    } else if (rc == DB_CONFLICT && problem_is_set(&c.why)) {
        reply_problem_of(r, &c.why);
    } else {
        reply_db_failure(r, rc);
    }
    PQclear(c.row);
    OPENSSL_cleanse(token, sizeof token);
}

void h_invitation_revoke(struct req *r)
{
    invitation_upkeep(r, false);
}

void h_invitation_resend(struct req *r)
{
    invitation_upkeep(r, true);
}

/* ---- GET /api/v1/members/{id}/users ---- */

DB_STMT(q_member_users, 3,
        "SELECT " USER_COLUMNS " FROM users WHERE member_id = $1::bigint AND id > $2::bigint ORDER BY id LIMIT $3::int");

/* The member's users (staff, or a user of that member): who signs in for it. */
void h_member_users_list(struct req *r)
{
    reply_member_list(r, &q_member_users, user_json, false);
}

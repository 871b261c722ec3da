/* User accounts: the columns every user query returns, and creating one
 * (the API and `troth user add`). */
#ifndef TROTH_AUTH_USERS_H
#define TROTH_AUTH_USERS_H
#include <jansson.h>
#include <libpq-fe.h>

#include "db/db.h"
#include "db/row.h"

struct audit_actor;

/* The columns of a user, in the order every user query returns them (from
 * users, unqualified); db/row.h says how the list is used. */
#define USER_ROW(X, S)                                                         \
    X(USER_COL_ID, "id::text", "id", TEXT) S                                   \
    X(USER_COL_USERNAME, "username", "username", TEXT) S                       \
    X(USER_COL_ROLE, "role", "role", TEXT) S                                   \
    X(USER_COL_MEMBER, "member_id::text", "member_id", TEXT) S                 \
    X(USER_COL_DISABLED, "disabled", "disabled", BOOL) S                       \
    X(USER_COL_MUST_CHANGE, "must_change_password", "must_change_password", BOOL) S \
    X(USER_COL_CREATED_AT, "created_at", "created_at", TIME) S                 \
    X(USER_COL_UPDATED_AT, "updated_at", "updated_at", TIME)
enum user_col { USER_ROW(ROW_ENUM, ) USER_COL_COUNT };
#define USER_COLUMNS USER_ROW(ROW_SQL, ", ")

/* The JSON of one row selected with USER_COLUMNS. */
json_t *user_json(PGresult *res, int row);

/* Inserts a user and its audit event in the caller's transaction.
 * DB_CONFLICT: the username is taken; DB_NOTFOUND: no such member. */
enum db_rc users_insert(struct db *db, const struct audit_actor *actor,
                        const char *username, const char *role,
                        const char *member_id, const char *password_hash,
                        char id_out[24]);

/* The id of the enabled user `username`; DB_NOTFOUND if none. */
enum db_rc users_id_by_name(struct db *db, const char *username, char id_out[24]);

#endif

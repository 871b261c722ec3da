/* User accounts: the columns every user query returns, and creating one
 * (the API and `troth user add`). */
#ifndef TROTH_AUTH_USERS_H
#define TROTH_AUTH_USERS_H
#include <jansson.h>
#include <libpq-fe.h>

#include "db/db.h"

struct audit_actor;

#define USER_COLUMNS                                                         \
    "id, username, role, coalesce(member_id::text, ''), disabled, "          \
    SQL_TIME("created_at") ", " SQL_TIME("updated_at")
#define USER_NCOLS 7
#define USER_COL_DISABLED 4

/* {id, username, role, member_id, disabled, created_at, updated_at} */
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

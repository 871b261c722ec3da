/* API tokens: creating one (the API and `troth token create`) and finding
 * the user behind one (the admin listener's authentication). */
#ifndef TROTH_AUTH_TOKENS_H
#define TROTH_AUTH_TOKENS_H
#include <stddef.h>

#include "auth/credential.h"
#include "db/db.h"

struct audit_actor;

/* Creates a token for an enabled user, in the caller's transaction, with its
 * audit event. The secret goes to `token` (shown once). DB_NOTFOUND: no such
 * enabled user. */
enum db_rc tokens_insert(struct db *db, const struct audit_actor *actor,
                         const char *user_id, const char *name, int days,
                         char *token, size_t token_len, char id[24],
                         char expires[32]);

/* The live token `secret` (not revoked, not expired, user enabled).
 * DB_NOTFOUND if none. */
enum db_rc tokens_lookup(struct db *db, const char *secret, struct credential *out);

/* Records that token `id` was just used. */
enum db_rc tokens_touch(struct db *db, const char *id);

#endif

/* Creating API tokens (the API and `troth token create`). */
#ifndef TROTH_TOKENS_H
#define TROTH_TOKENS_H
#include <stddef.h>

#include "db/db.h"

struct audit_actor;

/* Creates a token for an enabled user, in the caller's transaction, with its
 * audit event. The secret goes to `token` (shown once). DB_NOTFOUND: no such
 * enabled user. */
enum db_rc tokens_insert(struct db *db, const struct audit_actor *actor,
                         const char *user_id, const char *name, int days,
                         char *token, size_t token_len, char id[24],
                         char expires[32]);

#endif

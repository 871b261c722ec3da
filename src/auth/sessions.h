/* Browser sessions: the rows behind the session cookie. */
#ifndef TROTH_SESSIONS_H
#define TROTH_SESSIONS_H

#include "auth/credential.h"
#include "db/db.h"

struct audit_actor;

/* The live session whose cookie is `secret` (not ended, not expired, seen
 * in the last idle_minutes, user enabled). DB_NOTFOUND if none. */
enum db_rc sessions_lookup(struct db *db, const char *secret, unsigned idle_minutes,
                           struct credential *out);

/* Records that session `id` was just used. */
enum db_rc sessions_touch(struct db *db, const char *id);

/* Starts a session (with its "session.login" audit event, in the caller's
 * transaction) for `hours`; its id into id_out. */
enum db_rc sessions_insert(struct db *db, const struct audit_actor *actor,
                           const char *user_id, const char *secret_hash,
                           const char *csrf, const char *ip, const char *hours,
                           char id_out[24]);

/* Ends session `id` with its "session.logout" event (caller's transaction). */
enum db_rc sessions_end(struct db *db, const struct audit_actor *actor, const char *id);

#endif

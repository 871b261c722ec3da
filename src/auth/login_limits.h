/* Sign-in limits and failed sign-in tallies (tables login_limits and
 * login_failures). An attempt is taken before its password is hashed, in
 * one statement (check and count at once: parallel guesses cannot pass);
 * a successful one gives it back. Failures are tallied per account and
 * window, and audited as one event per account per window when it closes. */
#ifndef TROTH_LOGIN_LIMITS_H
#define TROTH_LOGIN_LIMITS_H
#include "db/db.h"

#define LIMIT_LOGIN "login"       /* per (username, address) */
#define LIMIT_IP "ip"             /* per address, every account */
#define LIMIT_PASSWORD "password" /* per user id: POST /api/v1/me/password */

/* Takes one attempt of (kind, subject, ip) in the current window of
 * `window_minutes`. *wait = 0 when within `limit`, else the seconds until
 * the window ends (>= 1). */
enum db_rc login_limit_take(struct db *db, const char *kind, const char *subject,
                            const char *ip, unsigned limit, unsigned window_minutes,
                            long *wait);

/* Gives back an attempt that was taken: `forget` removes the row (a
 * successful sign-in ends its pair's count), else one attempt is returned. */
enum db_rc login_limit_release(struct db *db, const char *kind, const char *subject,
                               const char *ip, bool forget);

/* Tallies a failed sign-in of `username` ("" for a name that is no
 * account) from `ip` for `reason`, in its own transaction. A tally of a
 * closed window is audited first. */
enum db_rc login_failure_record(struct db *db, const char *username, const char *ip,
                                const char *reason, unsigned window_minutes);

/* Audits and removes the tallies of closed windows, and removes limits of
 * closed windows. Returns the number of events written, or -1. */
long login_limits_sweep(struct db *db, unsigned window_minutes);

#endif

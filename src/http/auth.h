/* Resolves who is calling from the Authorization header or session cookie. */
#ifndef TROTH_AUTH_H
#define TROTH_AUTH_H

struct req;

#define AUTH_COOKIE "troth_session"

/* Fills r->who. Returns 0 to go on (anonymous included), or 1 after replying
 * (an invalid or expired token, a missing CSRF token, database down). */
int auth_resolve(struct req *r);

#endif

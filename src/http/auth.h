/* Resolves who is calling from the Authorization header or session cookie. */
#ifndef TROTH_AUTH_H
#define TROTH_AUTH_H

struct req;

#define AUTH_COOKIE "troth_session"

/* Fills r->who. Returns 0 to go on (anonymous included), or 1 after replying
 * (an invalid or expired token, a missing CSRF token, database down). */
int auth_resolve(struct req *r);

/* The ROLE_* bit of a role name, or 0. */
unsigned auth_role_bit(const char *role);

/* The name of one ROLE_* bit ("admin", ...), or "anonymous". */
const char *auth_role_name(unsigned role);

#endif

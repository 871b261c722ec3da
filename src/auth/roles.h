/* The roles of a user account, as bits (route tables hold sets of them) and
 * as the names stored in users.role and shown by the API. */
#ifndef TROTH_ROLES_H
#define TROTH_ROLES_H

enum role_bit {
    ROLE_ANON = 1u << 0, /* no credentials: only for routes, never stored */
    ROLE_MEMBER = 1u << 1,
    ROLE_AUDITOR = 1u << 2,
    ROLE_OPERATOR = 1u << 3,
    ROLE_ADMIN = 1u << 4,
};
#define ROLES_STAFF (ROLE_AUDITOR | ROLE_OPERATOR | ROLE_ADMIN)
#define ROLES_USER (ROLE_MEMBER | ROLES_STAFF)

/* The ROLE_* bit of a role name, or 0. */
unsigned auth_role_bit(const char *role);

/* The name of one ROLE_* bit ("admin", ...), or "anonymous". */
const char *auth_role_name(unsigned role);

#endif

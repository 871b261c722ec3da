#include "auth/roles.h"

#include <string.h>

unsigned auth_role_bit(const char *role)
{
    if (!strcmp(role, "admin")) return ROLE_ADMIN;
    if (!strcmp(role, "operator")) return ROLE_OPERATOR;
    if (!strcmp(role, "auditor")) return ROLE_AUDITOR;
    if (!strcmp(role, "member")) return ROLE_MEMBER;
    return 0;
}

const char *auth_role_name(unsigned role)
{
    switch (role) {
    case ROLE_ADMIN: return "admin";
    case ROLE_OPERATOR: return "operator";
    case ROLE_AUDITOR: return "auditor";
    case ROLE_MEMBER: return "member";
    default: return "anonymous";
    }
}

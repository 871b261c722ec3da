/* A user as found from a bearer secret (API token or session cookie). */
#ifndef TROTH_CREDENTIAL_H
#define TROTH_CREDENTIAL_H
#include <libpq-fe.h>
#include <stdbool.h>

#include "auth/token.h"

struct credential {
    char user_id[24];
    char username[128];
    unsigned role;             /* one ROLE_* bit (auth/roles.h) */
    char member_id[24];        /* "" unless the user belongs to a member */
    char id[24];               /* api_tokens.id or sessions.id */
    char csrf[TOKEN_MAX + 1];  /* sessions only: the CSRF token */
    bool stale;                /* last use recorded over a minute ago */
    bool must_change_password; /* a generated password not yet changed */
};

/* Fills c from row 0 of: user id, username, role, member_id, credential
 * id, csrf, stale, must_change_password (the lookups of auth/tokens.c and auth/sessions.c). */
void credential_fill(struct credential *c, PGresult *res);

#endif

#include "auth/credential.h"

#include <stdio.h>

#include "auth/roles.h"

void credential_fill(struct credential *c, PGresult *res)
{
    snprintf(c->user_id, sizeof c->user_id, "%s", PQgetvalue(res, 0, 0));
    snprintf(c->username, sizeof c->username, "%s", PQgetvalue(res, 0, 1));
    c->role = auth_role_bit(PQgetvalue(res, 0, 2));
    snprintf(c->member_id, sizeof c->member_id, "%s", PQgetvalue(res, 0, 3));
    snprintf(c->id, sizeof c->id, "%s", PQgetvalue(res, 0, 4));
    snprintf(c->csrf, sizeof c->csrf, "%s", PQgetvalue(res, 0, 5));
    c->stale = PQgetvalue(res, 0, 6)[0] == 't';
    c->must_change_password = PQgetvalue(res, 0, 7)[0] == 't';
}

#include "api/pki_reply.h"

#include <stdio.h>

#include "ca/cert_view.h"
#include "ca/issue.h"
#include "http/http.h"

void reply_ca_problem(struct req *r, const struct problem *err)
{
    struct problem p = *err;
    if (!p.field)
        p.field = ca_problem_field(p.kind);
    reply_problem_of(r, &p);
}

const char *req_only_member(const struct req *r)
{
    return r->who.role == ROLE_MEMBER ? r->who.member_id : NULL;
}

PGresult *req_certificate(struct req *r)
{
    const char *serial = req_param(r, "serial");
    PGresult *res = NULL;
    enum db_rc rc = ca_serial_valid(serial)
                        ? cert_fetch(req_db(r), serial, req_only_member(r), &res)
                        : DB_NOTFOUND;
    if (rc == DB_NOTFOUND)
        reply_problem(r, PK_CERTIFICATE_NOT_FOUND, NULL, "no such certificate");
    else if (rc != DB_OK)
        reply_db_failure(r, rc);
    return rc == DB_OK ? res : NULL;
}

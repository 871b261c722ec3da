#include "api/pki_reply.h"

#include <stdio.h>

#include "ca/cert_view.h"
#include "ca/issue.h"
#include "http/http.h"

void reply_pki_err(struct req *r, const struct pki_err *err)
{
    char kind[48];
    size_t i = 0;
    for (; err->code[i] && i < sizeof kind - 1; i++)
        kind[i] = err->code[i] == '_' ? '-' : err->code[i];
    kind[i] = 0;
    unsigned status = err->status >= 400 && err->status < 600 ? (unsigned)err->status : 500;
    reply_problem(r, status, i ? kind : "internal", ca_err_field(err->code), "%s",
                  err->detail[0] ? err->detail : "internal error");
    if (status == 503)
        reply_header(r, "Retry-After", "5");
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
        reply_problem(r, 404, "certificate-not-found", NULL, "no such certificate");
    else if (rc != DB_OK)
        reply_db_failure(r, rc);
    return rc == DB_OK ? res : NULL;
}

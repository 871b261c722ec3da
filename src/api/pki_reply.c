#include "api/pki_reply.h"

#include <stdio.h>

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

/* GET /api/v1/cas/{id}/signatures: everything a CA key was asked to sign
 * (src/ca/signatures.h), newest first, for staff. */
#include "api/handlers.h"

#include "api/paging.h"
#include "ca/registry.h"
#include "ca/signatures.h"
#include "http/http.h"

void h_cas_signatures(struct req *r)
{
    const char *id = req_param(r, "id");
    if (!ca_find(ca_current(), id)) {
        reply_problem(r, PK_NOT_FOUND, NULL, "no such CA");
        return;
    }
    struct page pg;
    if (page_parse(r, &pg, true))
        return;
    const char *state = req_query(r, "state"), *kind = req_query(r, "kind");
    if (state && !sig_state_valid(state)) {
        reply_problem(r, PK_INVALID_FIELD, "state",
                      "state must be reserved, issued or abandoned");
        return;
    }
    if (kind && !sig_kind_valid(kind)) {
        reply_problem(r, PK_INVALID_FIELD, "kind", "kind must be certificate or crl");
        return;
    }
    PGresult *res;
    enum db_rc rc = sig_list(req_db(r), id, pg.after, pg.limit_plus_one, state, kind, &res);
    if (rc != DB_OK) {
        reply_db_failure(r, rc);
        return;
    }
    reply_json(r, 200, page_result(&pg, res, sig_json));
    PQclear(res);
}

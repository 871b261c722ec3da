/* Revoking and holding: POST /api/v1/certificates/{serial}/revoke {reason}
 * and /unhold. Members may revoke their own certificates, not hold them. */
#include "api/handlers.h"

#include "api/pki_reply.h"
#include "audit/audit.h"
#include "ca/cert_view.h"
#include "ca/revoke.h"
#include "http/http.h"
#include "http/json_body.h"

static void reply_cert(struct req *r, const char *serial)
{
    PGresult *res;
    enum db_rc rc = cert_fetch(req_db(r), serial, NULL, &res);
    if (rc != DB_OK) {
        reply_db_failure(r, rc);
        return;
    }
    reply_json(r, 200, cert_json(res, 0, false));
    PQclear(res);
}

void h_certificates_revoke(struct req *r)
{
    struct audit_actor actor = audit_actor_of(&r->who, r->client_ip);
    struct problem err;
    const char *serial = req_param(r, "serial");
    if (ca_revoke(req_db(r), serial, json_get_str(r->json, "reason"), req_only_member(r),
                  &actor, &err)) {
        reply_ca_problem(r, &err);
        return;
    }
    reply_cert(r, serial);
}

void h_certificates_unhold(struct req *r)
{
    struct audit_actor actor = audit_actor_of(&r->who, r->client_ip);
    struct problem err;
    const char *serial = req_param(r, "serial");
    if (ca_unhold(req_db(r), serial, &actor, &err)) {
        reply_ca_problem(r, &err);
        return;
    }
    reply_cert(r, serial);
}

/* POST /api/v1/udap/validate: checks a member's signed JWT (software
 * statement, signed metadata, authentication JWT) as a relying party of
 * this community would, for any signed-in user. Malformed JWTs are failed
 * checks in a 200 answer; only a malformed request body is 400. Nothing is
 * stored but the audit event (verdict, kind, iss). */
#include "api/handlers.h"

#include <ctype.h>
#include <string.h>
#include <time.h>

#include "audit/audit.h"
#include "http/http.h"
#include "http/json_body.h"
#include "sandbox/sandbox.h"
#include "udap/community.h"

void h_udap_validate(struct req *r)
{
    const char *kind = json_get_str(r->json, "kind");
    int k = kind ? udap_kind_parse(kind) : UDAP_AUTO;
    if (k < 0) {
        reply_problem(r, PK_INVALID_FIELD, "kind",
                      "kind must be software_statement, signed_metadata, "
                      "client_assertion or auto");
        return;
    }
    const char *trust = json_get_str(r->json, "trust");
    bool sandbox = trust && !strcmp(trust, "sandbox");
    if (trust && !sandbox && strcmp(trust, "community")) {
        reply_problem(r, PK_INVALID_FIELD, "trust", "trust must be community or sandbox");
        return;
    }
    const char *jwt = json_get_str(r->json, "jwt");
    size_t len = strlen(jwt);
    while (len && isspace((unsigned char)*jwt)) /* pasted with a newline */
        jwt++, len--;
    while (len && isspace((unsigned char)jwt[len - 1]))
        len--;
    struct udap_input in = {
        .jwt = jwt,
        .jwt_len = len,
        .kind = (enum udap_kind)k,
        .audience = json_get_str(r->json, "audience"),
        .base_url = json_get_str(r->json, "base_url"),
        .show_owner = (r->who.role & ROLES_STAFF) != 0,
        .now = time(NULL),
    };
    struct audit_actor actor = audit_actor_of(&r->who, r->client_ip);
    json_t *out;
    enum db_rc rc;
    if (sandbox) {
        struct udap_trust t;
        if (sandbox_trust(&t)) {
            udap_trust_free(&t);
            reply_problem(r, PK_SANDBOX_MISSING_409, "trust",
                          "there is no sandbox: an admin initialises it (troth sandbox init)");
            return;
        }
        rc = udap_validate_audited(req_db(r), &t, &in, &actor, &out);
        udap_trust_free(&t);
    } else
        rc = udap_validate_community(req_db(r), &in, &actor, &out);
    if (rc != DB_OK) {
        reply_db_failure(r, rc);
        return;
    }
    reply_json(r, 200, out);
}

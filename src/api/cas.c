/* The CAs and profiles: GET /api/v1/cas, POST /api/v1/cas/{id}/crl (an
 * admin regenerates a CRL now), GET /api/v1/profiles. */
#include "api/handlers.h"

#include <stdio.h>
#include <time.h>

#include "api/pki_reply.h"
#include "audit/audit.h"
#include "ca/crl_gen.h"
#include "ca/crl_status.h"
#include "ca/profiles.h"
#include "ca/publish.h"
#include "ca/registry.h"
#include "ca/service.h"
#include "config.h"
#include "http/http.h"

static void fmt(time_t t, char *out, size_t len)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static json_t *ca_json(const struct ca_info *c)
{
    char nb[32], na[32];
    fmt(c->not_before, nb, sizeof nb);
    fmt(c->not_after, na, sizeof na);
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b}", "id", c->id,
                          "kind", c->kind, "subject", c->subject, "fingerprint_sha256",
                          c->fingerprint, "not_before", nb, "not_after", na,
                          "certificate_url", c->cert_url, "crl_url", c->crl_url,
                          "issues_members", c->issues_members);
    json_object_set_new(o, "key_store", json_string(c->key_store));
    json_object_set_new(o, "key_uri", c->key_uri ? json_string(c->key_uri) : json_null());
    char why[512];
    json_object_set_new(o, "crl_warning",
                        ca_crl_status(c, time(NULL), config_current()->root_crl_warn_days,
                                      why, sizeof why) != 0 && why[0]
                            ? json_string(why) : json_null());
    uint64_t number;
    time_t tu, nu;
    if (publish_crl_info(c->id, &number, &tu, &nu) == 0) {
        char a[32], b[32];
        fmt(tu, a, sizeof a);
        fmt(nu, b, sizeof b);
        json_object_set_new(o, "crl_number", json_integer((json_int_t)number));
        json_object_set_new(o, "this_update", json_string(a));
        json_object_set_new(o, "next_update", json_string(b));
    } else {
        json_object_set_new(o, "crl_number", json_null());
        json_object_set_new(o, "this_update", json_null());
        json_object_set_new(o, "next_update", json_null());
    }
    return o;
}

void h_cas_list(struct req *r)
{
    const struct ca_set *set = ca_current();
    json_t *items = json_array();
    for (size_t i = 0; set && i < set->n; i++)
        json_array_append_new(items, ca_json(&set->cas[i]));
    reply_json(r, 200, json_pack("{s:o}", "items", items));
}

void h_cas_crl_now(struct req *r)
{
    const struct ca_info *ca = ca_find(ca_current(), req_param(r, "id"));
    if (!ca) {
        reply_problem(r, PK_NOT_FOUND, NULL, "no such CA");
        return;
    }
    if (ca_is_offline(ca)) {
        reply_problem(r, PK_CA_KEY_OFFLINE, NULL,
                      "this CA's key is offline: sign its next CRL with `troth crl "
                      "sign-root` on the offline machine and load it with `troth crl import`");
        return;
    }
    struct audit_actor actor = audit_actor_of(&r->who, r->client_ip);
    struct crl_result out;
    struct pki_err err;
    int rc = crl_generate(req_db(r), ca, config_current()->crl_validity_hours,
                          ca_sign_crl_by_signer, ca_signer(), &actor, &out, &err);
    if (rc == 1) {
        reply_problem(r, PK_CRL_IN_PROGRESS, NULL,
                      "a CRL of this CA is being generated right now; try again");
        return;
    }
    if (rc < 0) {
        reply_pki_err(r, &err);
        return;
    }
    reply_json(r, 200, ca_json(ca));
}

void h_profiles_list(struct req *r) { reply_json(r, 200, profiles_json(config_current())); }

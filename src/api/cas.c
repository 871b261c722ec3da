/* The CAs and profiles: GET /api/v1/cas, POST /api/v1/cas/{id}/crl (an
 * admin regenerates a CRL now), GET /api/v1/profiles. */
#include "api/handlers.h"

#include <stdio.h>
#include <time.h>

#include "api/pki_reply.h"
#include "audit/audit.h"
#include "ca/ca_view.h"
#include "ca/crl_gen.h"
#include "ca/crl_status.h"
#include "ca/profiles.h"
#include "ca/publish.h"
#include "ca/registry.h"
#include "ca/service.h"
#include "config.h"
#include "http/http.h"

/* The public JSON of the CA (ca/ca_view.h), with what staff see: whether it
 * issues member certificates, where its key is, its CRL's state. */
static json_t *ca_staff_json(const struct ca_info *c)
{
    json_t *o = ca_json(c);
    json_object_set_new(o, "issues_members", json_boolean(c->issues_members));
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
        ca_json_add_crl(o, number, tu, nu);
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
        json_array_append_new(items, ca_staff_json(&set->cas[i]));
    reply_json(r, 200, json_pack("{s:o}", "items", items));
}

#define CRL_NOW_WAIT_MS 20000

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
    struct problem err;
    /* a build in progress (the CRL worker's after a revocation, another
     * node's) is waited for, then this one is made: the operator asked for a
     * CRL made from now on; the largest ones take a few seconds */
    int rc = 1;
    for (int i = 0; rc == 1 && i < CRL_NOW_WAIT_MS / 50; i++) {
        if (i) {
            struct timespec ts = {0, 50 * 1000000L};
            nanosleep(&ts, NULL);
        }
        rc = crl_generate(req_db(r), ca, config_current()->crl_validity_hours,
                          ca_sign_crl_by_signer, ca_signer(), &actor, &out, &err);
    }
    if (rc == 1) {
        reply_problem(r, PK_CRL_IN_PROGRESS, NULL,
                      "another CRL of this CA has been in the making for 20 s; try again");
        return;
    }
    if (rc < 0) {
        reply_ca_problem(r, &err);
        return;
    }
    reply_json(r, 200, ca_staff_json(ca));
}

void h_profiles_list(struct req *r) { reply_json(r, 200, profiles_json(config_current())); }

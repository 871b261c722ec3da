#include "ca/ca_view.h"

#include "ca/registry.h"

void ca_time_format(time_t t, char *out, size_t len)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

json_t *ca_json(const struct ca_info *c)
{
    char nb[32], na[32];
    ca_time_format(c->not_before, nb, sizeof nb);
    ca_time_format(c->not_after, na, sizeof na);
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "id", c->id, "kind",
                     c->kind, "subject", c->subject, "fingerprint_sha256", c->fingerprint,
                     "not_before", nb, "not_after", na, "certificate_url", c->cert_url,
                     "crl_url", c->crl_url);
}

void ca_json_add_crl(json_t *o, uint64_t number, time_t this_update, time_t next_update)
{
    char tu[32], nu[32];
    ca_time_format(this_update, tu, sizeof tu);
    ca_time_format(next_update, nu, sizeof nu);
    json_object_set_new(o, "crl_number", json_integer((json_int_t)number));
    json_object_set_new(o, "this_update", json_string(tu));
    json_object_set_new(o, "next_update", json_string(nu));
}

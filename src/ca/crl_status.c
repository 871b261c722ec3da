#include "ca/crl_status.h"

#include <stdio.h>

#include "ca/publish.h"
#include "ca/registry.h"

int ca_crl_status(const struct ca_info *ca, time_t now, unsigned warn_days, char *why,
                  size_t len)
{
    uint64_t number;
    time_t tu, nu;
    why[0] = 0;
    if (publish_crl_info(ca->id, &number, &tu, &nu) != 0) {
        snprintf(why, len, "no CRL for CA %s yet%s", ca->id,
                 ca_is_offline(ca) ? " (import one: troth crl import)" : "");
        return -1;
    }
    char when[32];
    struct tm tm;
    gmtime_r(&nu, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (nu <= now) {
        if (ca_is_offline(ca))
            snprintf(why, len, "the pre-signed CRL of offline CA %s is past its nextUpdate "
                               "(%s): sign the next with troth crl sign-root and load it "
                               "with troth crl import", ca->id, when);
        else
            snprintf(why, len, "the CRL of CA %s is past its nextUpdate", ca->id);
        return -1;
    }
    if (ca_is_offline(ca) && nu - now <= (time_t)warn_days * 86400) {
        snprintf(why, len, "the pre-signed CRL of offline CA %s expires at %s (in %lld "
                           "hours): sign and import the next one",
                 ca->id, when, (long long)((nu - now) / 3600));
        return 1;
    }
    return 0;
}

void ca_crl_health(const struct ca_set *set, unsigned warn_days, char *why, size_t len)
{
    why[0] = 0;
    time_t now = time(NULL);
    for (size_t i = 0; set && i < set->n; i++)
        if (ca_crl_status(&set->cas[i], now, warn_days, why, len) < 0)
            return;
    why[0] = 0;
}

json_t *ca_crl_warnings(const struct ca_set *set, unsigned warn_days)
{
    json_t *a = json_array();
    time_t now = time(NULL);
    char why[512];
    for (size_t i = 0; set && i < set->n; i++)
        if (ca_crl_status(&set->cas[i], now, warn_days, why, sizeof why) == 1)
            json_array_append_new(a, json_string(why));
    return a;
}

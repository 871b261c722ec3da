#include "ca/profiles.h"

#include <string.h>

#include "config.h"
#include "member/member.h"

const struct profile *profile_find(const struct config *cfg, const char *name,
                                   struct profile *p)
{
    if (!strcmp(name, "udap-client")) {
        *p = (struct profile){"udap-client",
                              "a client app: SAN URIs are the member's approved client "
                              "URIs (the app's iss); RSA >= 2048 or EC P-256/P-384",
                              URI_KIND_CLIENT, false, cfg->client_days,
                              cfg->client_eku_client_auth, false};
        return p;
    }
    if (!strcmp(name, "udap-server")) {
        *p = (struct profile){"udap-server",
                              "a FHIR server or identity provider: a SAN URI that is an "
                              "approved FHIR base URL or idp URI; RSA keys only (signed "
                              "metadata is RS256)",
                              URI_KIND_SERVER | URI_KIND_IDP, true, cfg->server_days,
                              cfg->server_eku_client_auth, cfg->server_eku_server_auth};
        return p;
    }
    return NULL;
}

json_t *profiles_json(const struct config *cfg)
{
    json_t *items = json_array();
    static const char *names[] = {"udap-client", "udap-server"};
    for (size_t i = 0; i < 2; i++) {
        struct profile p;
        profile_find(cfg, names[i], &p);
        json_t *kinds = json_array(), *eku = json_array(), *keys = json_array();
        if (p.uri_kinds & URI_KIND_CLIENT) json_array_append_new(kinds, json_string("client"));
        if (p.uri_kinds & URI_KIND_SERVER) json_array_append_new(kinds, json_string("server"));
        if (p.uri_kinds & URI_KIND_IDP) json_array_append_new(kinds, json_string("idp"));
        if (p.eku_client_auth) json_array_append_new(eku, json_string("clientAuth"));
        if (p.eku_server_auth) json_array_append_new(eku, json_string("serverAuth"));
        static const char *all[] = {"RSA-2048", "RSA-3072", "RSA-4096", "EC-P256", "EC-P384"};
        for (size_t k = 0; k < 5; k++)
            if (!p.rsa_only || !strncmp(all[k], "RSA", 3))
                json_array_append_new(keys, json_string(all[k]));
        json_array_append_new(items, json_pack("{s:s, s:s, s:o, s:o, s:i, s:o, s:s}",
                                               "name", p.name, "description", p.description,
                                               "uri_kinds", kinds, "key_types", keys,
                                               "days", (int)p.days, "extended_key_usage", eku,
                                               "key_usage", "digitalSignature"));
    }
    return json_pack("{s:o}", "items", items);
}

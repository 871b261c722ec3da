#include "ca/profiles.h"

#include <stdio.h>
#include <string.h>

#include "member/member.h"

_Static_assert((unsigned)PROFILE_URI_CLIENT == (unsigned)URI_KIND_CLIENT && (unsigned)PROFILE_URI_SERVER == (unsigned)URI_KIND_SERVER &&
                   (unsigned)PROFILE_URI_IDP == (unsigned)URI_KIND_IDP,
               "profile uri_kinds bits are member URI kinds");

const struct profile_conf *profile_find(const struct config *cfg, const char *name)
{
    return config_profile(cfg, name);
}

bool profile_takes_key(const struct profile_conf *p, unsigned key_type)
{
    return key_type && (p->key_types & key_type);
}

void profile_key_list(const struct profile_conf *p, char *out, size_t len)
{
    size_t used = 0;
    out[0] = 0;
    for (unsigned bit = 1; bit <= PROFILE_KEY_ALL; bit <<= 1)
        if (p->key_types & bit) {
            int n = snprintf(out + used, len - used, "%s%s", used ? ", " : "",
                             config_key_type_name(bit));
            if (n < 0 || (size_t)n >= len - used)
                return;
            used += (size_t)n;
        }
}

int profile_check_fragments(const struct profile_conf *p, const char *const *uris,
                            size_t n, struct problem *err)
{
    for (size_t i = 0; i < n; i++) {
        const char *hash = strchr(uris[i], '#');
        if (!hash && p->san_fragment == SAN_FRAGMENT_REQUIRE)
            return problem_set(err, PK_URI_FRAGMENT_REQUIRED, NULL,
                               "uris[%zu] has no fragment: every SAN URI of the %s profile "
                               "carries one (#%s)", i, p->name,
                               p->n_fragments ? p->fragments[0] : "value");
        if (hash && p->san_fragment == SAN_FRAGMENT_FORBID)
            return problem_set(err, PK_URI_FRAGMENT_NOT_ALLOWED, NULL,
                               "uris[%zu] has a fragment (#%.64s): the %s profile takes "
                               "URIs without one", i, hash + 1, p->name);
        if (!hash || !p->n_fragments)
            continue;
        bool listed = false;
        for (size_t k = 0; k < p->n_fragments; k++)
            listed |= !strcmp(hash + 1, p->fragments[k]); /* byte-exact, case too */
        if (!listed) {
            char list[512] = "";
            size_t used = 0;
            for (size_t k = 0; k < p->n_fragments && used < sizeof list; k++) {
                int w = snprintf(list + used, sizeof list - used, "%s#%s", k ? ", " : "",
                                 p->fragments[k]);
                if (w < 0)
                    break;
                used += (size_t)w;
            }
            return problem_set(err, PK_URI_FRAGMENT_NOT_ALLOWED, NULL,
                               "uris[%zu]: fragment #%.64s is not one the %s profile allows "
                               "(%s)", i, hash + 1, p->name, list);
        }
    }
    return 0;
}

static json_t *strings(char *const *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(v[i]));
    return a;
}

json_t *profiles_json(const struct config *cfg)
{
    json_t *items = json_array();
    static const char *fragment[] = {"forbid", "allow", "require"};
    for (size_t i = 0; cfg && i < cfg->n_profiles; i++) {
        const struct profile_conf *p = &cfg->profiles[i];
        json_t *kinds = json_array(), *eku = json_array(), *keys = json_array();
        if (p->uri_kinds & URI_KIND_CLIENT) json_array_append_new(kinds, json_string("client"));
        if (p->uri_kinds & URI_KIND_SERVER) json_array_append_new(kinds, json_string("server"));
        if (p->uri_kinds & URI_KIND_IDP) json_array_append_new(kinds, json_string("idp"));
        if (p->eku_client_auth) json_array_append_new(eku, json_string("clientAuth"));
        if (p->eku_server_auth) json_array_append_new(eku, json_string("serverAuth"));
        for (unsigned bit = 1; bit <= PROFILE_KEY_ALL; bit <<= 1)
            if (p->key_types & bit)
                json_array_append_new(keys, json_string(config_key_type_name(bit)));
        json_t *subject = p->subject_cn ? json_pack("[s,s]", "O", "CN") : json_pack("[s]", "O");
        json_array_append_new(
            items,
            json_pack("{s:s, s:s?, s:o, s:o, s:i, s:i, s:i, s:o, s:o, s:s, s:o, s:o, s:s}",
                      "name", p->name, "description", p->description, "uri_kinds", kinds,
                      "key_types", keys, "days", (int)p->validity_days, "validity_days",
                      (int)p->validity_days, "max_uris", (int)p->max_uris,
                      "extended_key_usage", eku, "certificate_policies",
                      strings(p->policies, p->n_policies), "san_fragment",
                      fragment[p->san_fragment], "san_fragment_values",
                      strings(p->fragments, p->n_fragments), "subject", subject,
                      "key_usage", "digitalSignature"));
    }
    return json_pack("{s:o}", "items", items);
}

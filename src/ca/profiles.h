/* The certificate profiles members are issued under. */
#ifndef TROTH_CA_PROFILES_H
#define TROTH_CA_PROFILES_H
#include <jansson.h>
#include <stdbool.h>

struct config;

struct profile {
    const char *name;
    const char *description;
    unsigned uri_kinds;  /* URI_KIND_* bits (member/member.h) a SAN URI may have */
    bool rsa_only;       /* udap-server: signed metadata is RS256 */
    unsigned days;
    bool eku_client_auth, eku_server_auth;
};

/* The profile named `name` under this configuration, or NULL. */
const struct profile *profile_find(const struct config *cfg, const char *name,
                                   struct profile *storage);

/* {items: [{name, description, uri_kinds, key_types, days, eku}]} */
json_t *profiles_json(const struct config *cfg);

#endif

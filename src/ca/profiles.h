/* The certificate profiles members are issued under: [profile NAME] in
 * troth.conf (config.h struct profile_conf), udap-client and udap-server
 * shipped as defaults. */
#ifndef TROTH_CA_PROFILES_H
#define TROTH_CA_PROFILES_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "pki/err.h"

/* The profile named `name` under this configuration, or NULL. */
const struct profile_conf *profile_find(const struct config *cfg, const char *name);

/* Whether the profile takes a key of this PROFILE_KEY_* type (0 = neither
 * RSA-2048/3072/4096 nor EC-P256/P384: never). */
bool profile_takes_key(const struct profile_conf *p, unsigned key_type);

/* The key types as "RSA-2048, EC-P256" (for messages). */
void profile_key_list(const struct profile_conf *p, char *out, size_t len);

/* The profile's rule for SAN URI fragments applied to uris[i] (400/422 with
 * the reason: forbid, require, values); 0 when every URI passes. */
int profile_check_fragments(const struct profile_conf *p, const char *const *uris,
                            size_t n, struct problem *err);

/* {items: [{name, description, uri_kinds, key_types, days, validity_days,
 * max_uris, extended_key_usage, certificate_policies, san_fragment,
 * san_fragment_values, subject, key_usage}]} */
json_t *profiles_json(const struct config *cfg);

#endif

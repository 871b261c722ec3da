/* Shared between config.c and config_profiles.c; not for other modules. */
#ifndef TROTH_CONFIG_INTERNAL_H
#define TROTH_CONFIG_INTERNAL_H
#include "config.h"

void config_fail(char *err, size_t errlen, const char *name, int line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* The shipped profiles (udap-client, udap-server), before any section. */
void config_profiles_defaults(struct config *c);
/* A "[profile NAME]" header: the profile it opens (index), or -1 with err. */
int config_profile_section(struct config *c, const char *section, const char *file,
                           int line, char *err, size_t errlen);
/* One key = value inside profile idx; 0 or -1 with err. */
int config_profile_key(struct config *c, size_t idx, const char *key, const char *value,
                       const char *file, int line, char *err, size_t errlen);
/* After the last line: applies [profiles] and checks every profile as a whole. */
int config_profiles_finish(struct config *c, const char *file, char *err, size_t errlen);
void config_profiles_free(struct config *c);

/* [profiles] legacy_set bits */
enum { LEGACY_CLIENT_DAYS = 1, LEGACY_SERVER_DAYS = 2, LEGACY_CLIENT_EKU = 4,
       LEGACY_SERVER_EKU = 8 };
#endif

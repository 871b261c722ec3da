/* Is each CA's published CRL usable, and for how long: for /readyz and
 * GET /api/v1/cas. An offline root's CRL is signed ahead of time at a
 * ceremony; from [ca] root_crl_warn_days before its nextUpdate it warns,
 * past it the service is not ready. */
#ifndef TROTH_CA_CRL_STATUS_H
#define TROTH_CA_CRL_STATUS_H
#include <jansson.h>
#include <stddef.h>
#include <time.h>

struct ca_info;
struct ca_set;

/* 0 fine, 1 a warning, -1 failing; why (a sentence naming the CA) for 1 and -1. */
int ca_crl_status(const struct ca_info *ca, time_t now, unsigned warn_days, char *why,
                  size_t len);

/* The first failing CA of set in why (empty when all are fine). */
void ca_crl_health(const struct ca_set *set, unsigned warn_days, char *why, size_t len);

/* The warnings of every CA of set, as a JSON array of strings. */
json_t *ca_crl_warnings(const struct ca_set *set, unsigned warn_days);

#endif

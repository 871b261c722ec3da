/* How a CA is shown: one JSON for anchors.json (ca/publish.c) and
 * GET /api/v1/cas (api/cas.c), which adds what only staff see. */
#ifndef TROTH_CA_CA_VIEW_H
#define TROTH_CA_CA_VIEW_H
#include <jansson.h>
#include <stdint.h>
#include <time.h>

struct ca_info;

/* {id, kind, subject, fingerprint_sha256, not_before, not_after,
 * certificate_url, crl_url}: what anyone may read of a CA. */
json_t *ca_json(const struct ca_info *c);

/* Adds crl_number, this_update and next_update of the CA's latest CRL. */
void ca_json_add_crl(json_t *o, uint64_t number, time_t this_update, time_t next_update);

/* t as RFC 3339 in UTC ("2026-01-02T03:04:05Z"), len >= 21. */
void ca_time_format(time_t t, char *out, size_t len);

#endif

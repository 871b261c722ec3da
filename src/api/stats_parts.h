/* The pictures of GET /api/v1/stats, also served per member (issue 14 §4):
 * the expiry timeline and each CA's CRL freshness, aggregated in SQL. */
#ifndef TROTH_STATS_PARTS_H
#define TROTH_STATS_PARTS_H
#include <jansson.h>

#include "db/db.h"

/* The next 13 weeks (Monday 00:00 UTC, the first holding today) of valid,
 * not yet expired certificates by the week of their notAfter, per profile,
 * renewed (a renewal not revoked exists) apart from not renewed; of one
 * member when member_id is not NULL. Returns DB_OK with *out set. */
enum db_rc stats_expiry_timeline(struct db *db, const char *member_id, json_t **out);

/* Per CA with a CRL: the latest CRL's number, thisUpdate, nextUpdate, the
 * refresh point (thisUpdate + crl_refresh_hours; null for an offline CA),
 * entry count, DER size, and the latest revocation in effect with its
 * revoke-to-publish latency. Returns DB_OK with *out set (an array). */
enum db_rc stats_crl_freshness(struct db *db, json_t **out);

#endif

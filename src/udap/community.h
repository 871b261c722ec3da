/* The trust context of this community, for the validator. */
#ifndef TROTH_UDAP_COMMUNITY_H
#define TROTH_UDAP_COMMUNITY_H
#include "db/db.h"
#include "udap/udap.h"

struct ca_set;
struct db;

/* Anchors, intermediates and current CRLs of `set` (CRLs from the
 * publication cache), member URIs looked up through `db`. Free with
 * udap_trust_free(). Returns 0 or -1 (out of memory). */
int udap_trust_community(struct udap_trust *t, const struct ca_set *set, struct db *db);

/* Frees the parsed-CRL cache (at shutdown; for leak checks). */
void udap_community_shutdown(void);

struct audit_actor;

/* Validates against the community (ca_current() and the publication cache)
 * and writes the "udap.validate" audit event (verdict, kind and iss only).
 * DB_OK with *out; DB_UNAVAILABLE / DB_ERROR when the database failed. */
enum db_rc udap_validate_community(struct db *db, const struct udap_input *in,
                                   const struct audit_actor *actor, json_t **out);

/* The same against any trust context (the sandbox's); the audit event
 * names it ("trust"). */
enum db_rc udap_validate_audited(struct db *db, const struct udap_trust *t,
                                 const struct udap_input *in,
                                 const struct audit_actor *actor, json_t **out);

#endif

/* Revoking and holding member certificates, and what a member's change of
 * status does to its certificates. Failures come back as a struct problem. */
#ifndef TROTH_CA_REVOKE_H
#define TROTH_CA_REVOKE_H

#include "db/db.h"
#include "pki/err.h"

struct audit_actor;

/* Revokes (or, with certificateHold, holds) a certificate. `only_member`
 * limits it to one member's certificates (others are 404); members may not
 * hold. Returns 0, or -1 with err. */
int ca_revoke(struct db *db, const char *serial, const char *reason,
              const char *only_member, const struct audit_actor *actor,
              struct problem *err);

/* Lifts a hold. Returns 0, or -1 with err. */
int ca_unhold(struct db *db, const char *serial, const struct audit_actor *actor,
              struct problem *err);

/* A member's status changed (inside the caller's transaction): suspended
 * puts its valid certificates on hold, active again lifts those holds,
 * terminated revokes everything with privilegeWithdrawn. */
enum db_rc ca_member_status_changed(struct db *db, const char *member_id,
                                    const char *old_status, const char *new_status,
                                    const struct audit_actor *actor);

#endif

/* The audit log: one event per change of state, written in the same
 * transaction as the change; sealed into a SHA-256 hash chain afterwards. */
#ifndef TROTH_AUDIT_H
#define TROTH_AUDIT_H
#include <jansson.h>
#include <stddef.h>

#include "db/db.h"

/* Who did it (for an HTTP request: audit_actor_of() in http/http.h). */
struct audit_actor {
    const char *user_id;  /* NULL or a users.id */
    const char *token_id; /* NULL or an api_tokens.id */
    const char *name;     /* username, "system", "cli:<os user>" */
    const char *ip;       /* "" when not from the network */
};

/* Writes one event inside the caller's transaction. `details` (may be NULL)
 * is taken; it must never hold a secret. Returns the db result. */
enum db_rc audit_write(struct db *db, const struct audit_actor *actor,
                       const char *action, const char *object_type,
                       const char *object_id, json_t *details);

/* Links unsealed events into the chain (at most `limit`). One instance at a
 * time (advisory lock). Returns the number sealed, or -1 on error. */
long audit_seal(struct db *db, long limit);

struct audit_verdict {
    long checked;       /* sealed events checked */
    long unsealed;      /* events not yet in the chain */
    long broken_seq;    /* chain_seq of the first broken link, or 0 */
    char broken_id[24]; /* its event id */
    char reason[128];   /* what is wrong with it */
};

/* Walks the chain from the start and reports the first broken link.
 * Returns 0 (check v->broken_seq), or -1 when the database failed. */
int audit_verify(struct db *db, struct audit_verdict *v);

#endif

/* `troth crl import FILE`: a CRL signed elsewhere (an offline root's, made
 * by `troth crl sign-root` at a ceremony) becomes the CA's published CRL
 * on every node at once (NOTIFY troth_crl), after strict checks. */
#ifndef TROTH_CA_CRL_IMPORT_H
#define TROTH_CA_CRL_IMPORT_H
#include <stddef.h>
#include <stdint.h>

#include "db/db.h"
#include "pki/err.h"

struct audit_actor;

/* data is the CRL in DER or PEM. The CA is the one whose subject is the
 * CRL's issuer and whose key verifies its signature; its key must be held
 * offline. Refused (422) unless the cRLNumber is above every stored one
 * and thisUpdate <= now < nextUpdate. ceremony_log (may be NULL): the
 * offline directory's log, imported into the audit log in the same
 * transaction. Fills ca_id (CA_ID_MAX) and *number. 0, or -1 with e. */
int crl_import(struct db *db, const unsigned char *data, size_t len,
               const char *ceremony_log, const struct audit_actor *actor, char *ca_id,
               uint64_t *number, struct problem *e);

#endif

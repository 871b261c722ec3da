/* Compromised keys stay dead: the SPKI SHA-256 of every certificate revoked
 * for keyCompromise is kept (table compromised_keys), and no certificate is
 * issued or renewed for such a key again, for any member. */
#ifndef TROTH_CA_COMPROMISED_H
#define TROTH_CA_COMPROMISED_H
#include <openssl/evp.h>

#include "db/db.h"

/* SHA-256 of the key's SubjectPublicKeyInfo in one canonical DER (EC points
 * uncompressed), so a key re-encoded in another form has the same hash.
 * Returns 0, or -1. */
int ca_spki_sha256(const EVP_PKEY *key, unsigned char out[32]);

/* Marks the key of certificate `serial` as compromised (inside the
 * revocation's transaction). */
enum db_rc ca_mark_compromised(struct db *db, const char *serial);


/* Marks the keys of keyCompromise revocations made before compromised_keys
 * existed (at start-up; a no-op once done). Returns the number marked, or
 * -1 on a database error. */
long ca_compromised_backfill(struct db *db);

#endif

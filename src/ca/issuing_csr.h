/* `troth ca issuing-csr`: a new issuing CA key, made and kept here
 * (encrypted under [ca] key_passphrase_file, or inside a PKCS#11 token;
 * table ca_pending_keys), and a
 * PKCS#10 request for it that a root held elsewhere signs; `troth ca import
 * --cert` of the result completes the CA. */
#ifndef TROTH_CA_ISSUING_CSR_H
#define TROTH_CA_ISSUING_CSR_H
#include <stddef.h>

struct db;
struct config;
struct audit_actor;

/* Makes the key (spec, e.g. "ec:P-256") for CA id, inside the token store
 * names ("pkcs11:token=LABEL[;object=NAME]", object default troth-<id>) or,
 * store NULL, encrypted in the database, and returns the request as PEM
 * (malloc'd), or NULL with err. The subject is O=<community name>,
 * CN=<community name> Issuing CA. */
char *ca_issuing_csr(struct db *db, const struct config *cfg, const char *id,
                     const char *spec, const char *store, const struct audit_actor *actor,
                     char *err, size_t errlen);

#endif

/* Creating a community's CA hierarchy in process (`troth init`): a root
 * and an issuing intermediate, keys encrypted under the CA passphrase,
 * stored with their first CRLs. The signer never signs CA certificates. */
#ifndef TROTH_CA_CREATE_H
#define TROTH_CA_CREATE_H
#include <stddef.h>

struct db;
struct config;
struct audit_actor;

#define CA_ROOT_DAYS 7305    /* 20 years */
#define CA_ISSUING_DAYS 3652 /* 10 years */

/* An offline root (`troth init --offline-root DIR`): its key is made in
 * dir, encrypted under pass, signs the issuing CA and the first root CRL
 * (valid crl_days) there; only its certificate and CRL reach the database. */
struct ca_offline_opts {
    const char *dir;
    const char *pass;
    unsigned crl_days;
};

/* Keys made inside a PKCS#11 token (`--root-key-store`, `--issuing-key-store`):
 * an RFC 7512 URI naming the token (and optionally the object label), or
 * NULL for a key encrypted in the database. */
struct ca_key_stores {
    const char *root;
    const char *issuing;
};

/* Creates root + issuing CA and their first CRLs unless the community has a
 * CA already; offline (may be NULL) keeps the root's key out of the system;
 * stores (may be NULL) puts keys in a token (the database gets its URI).
 * Returns 0 created, 1 already there, -1 with err. */
int ca_create_hierarchy(struct db *db, const struct config *cfg, const char *name,
                        const char *root_spec, const char *issuing_spec,
                        const struct ca_offline_opts *offline, const struct ca_key_stores *stores,
                        const struct audit_actor *actor, char *err, size_t errlen);

/* Imports an existing CA certificate and its key (PEM; key_pass for an
 * encrypted key, or NULL): a self-signed one as a root, another under the
 * community CA that issued it (the issuing CA if none issues members yet).
 * The key is stored encrypted under the CA passphrase; its first CRL is
 * made. Without key_path: the key `troth ca issuing-csr` made for this
 * certificate, or, for a self-signed certificate, none (a root held
 * elsewhere, key_store offline: its CRLs come with `troth crl import`).
 * log (may be NULL): an offline ceremony log brought into the audit log.
 * Returns 0, or -1 with err. */
int ca_import(struct db *db, const struct config *cfg, const char *id,
              const char *cert_path, const char *key_path, const char *key_pass,
              const char *log, const struct audit_actor *actor, char *err, size_t errlen);

#endif

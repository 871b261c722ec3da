/* An offline root's directory (`troth init --offline-root DIR`): the only
 * place its key exists. Used on the ceremony machine, without a database.
 *   root-key.pem   the key, encrypted PKCS#8 under the root passphrase (0600)
 *   root.pem       its certificate
 *   issued.txt     CA certificates it signed: serial TAB notAfter TAB subject
 *   revoked.txt    those revoked: serial TAB reason TAB revocation time
 *   crlnumber      the number of the last CRL it signed
 *   crls/root-N.crl  each CRL it signed (PEM)
 *   ceremony.log   one JSON record per key event (ceremony/ceremony.h) */
#ifndef TROTH_CA_OFFLINE_ROOT_H
#define TROTH_CA_OFFLINE_ROOT_H
#include <openssl/x509.h>
#include <stddef.h>
#include <stdint.h>

#include "pki/err.h"

struct offline_root {
    char dir[4096];
    char location[4200];  /* "offline:<absolute DIR>" for ceremony records */
    char log[4200];       /* DIR/ceremony.log */
    X509 *cert;
    EVP_PKEY *key;        /* NULL when opened without the passphrase */
};

/* Reads the root passphrase from file, or from the terminal (twice when
 * confirm), by the rule of passphrase_read (util/file.h). malloc'd
 * (passphrase_free) or NULL. */
char *offline_passphrase(const char *file, int confirm, char *err, size_t errlen);

/* Makes a new root in dir (created 0700 if missing; refused if it holds a
 * root already): key from spec, self-signed certificate subject O=name,
 * CN=<name> Root CA. Records key.generate and certificate.sign. */
int offline_root_create(struct offline_root *r, const char *dir, const char *spec,
                        const char *name, const char *pass, unsigned kdf_iterations,
                        struct problem *e);
/* Opens dir; decrypts the key when pass is not NULL. */
int offline_root_open(struct offline_root *r, const char *dir, const char *pass,
                      struct problem *e);
void offline_root_close(struct offline_root *r);

/* Notes a CA certificate the root signed, records certificate.sign. */
int offline_root_issued(struct offline_root *r, const X509 *ca_cert, const char *ca_id,
                        struct problem *e);
/* Adds serial (hex) to revoked.txt: it must be in issued.txt. */
int offline_root_revoke(struct offline_root *r, const char *serial, const char *reason,
                        struct problem *e);
/* Signs the next CRL (number = last + 1, nextUpdate = now + days) with every
 * revoked serial, stores it under crls/, records crl.sign. *der malloc'd. */
int offline_root_sign_crl(struct offline_root *r, unsigned days, unsigned char **der,
                          size_t *der_len, uint64_t *number, struct problem *e);

#endif

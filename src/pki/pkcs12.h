/* PKCS#12 bundles for members who let the CA generate their key. */
#ifndef TROTH_PKI_PKCS12_H
#define TROTH_PKI_PKCS12_H

#include <stddef.h>
#include <openssl/x509.h>
#include "pki/err.h"

/* PBKDF2-HMAC-SHA256 iterations for the bundle encryption and MAC. */
#define PKI_P12_ITER 600000

/* key + cert + chain (n certs, may be 0) -> PKCS#12 DER (*der malloc'd): cert and key bags
 * encrypted with AES-256-CBC under PBKDF2-HMAC-SHA256, SHA-256 MAC. */
int pki_pkcs12_create(EVP_PKEY *key, X509 *cert, X509 *const *chain, size_t n,
                      const char *passphrase, const char *friendly_name,
                      unsigned char **der, size_t *len, struct pki_err *err);

#endif

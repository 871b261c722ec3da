/* PKCS#12 bundles for members who let the CA generate their key. */
#ifndef TROTH_PKI_PKCS12_H
#define TROTH_PKI_PKCS12_H

#include <stddef.h>
#include <openssl/x509.h>
#include "pki/err.h"

/* Iterations of the MAC and of each PBKDF2-HMAC-SHA256 derivation (the
 * certificates' safe and the shrouded key: two derivations). 300,000 is the
 * most .NET 9 opens by default (Pkcs12LoaderLimits: 300,000 for the MAC and
 * per derivation, 1,000,000 for all derivations; 900,000 here even with the
 * MAC counted), and UDAP's reference implementation is .NET: with OWASP's
 * 600,000 X509Certificate2 threw Pkcs12LoadLimitExceededException. */
#define PKI_P12_ITER 300000

/* key + cert + chain (n certs, may be 0) -> PKCS#12 DER (*der malloc'd): cert and key bags
 * encrypted with AES-256-CBC under PBKDF2-HMAC-SHA256, SHA-256 MAC. */
int pki_pkcs12_create(EVP_PKEY *key, X509 *cert, X509 *const *chain, size_t n,
                      const char *passphrase, const char *friendly_name,
                      unsigned char **der, size_t *len, struct problem *err);

/* The same with another iteration count (the conformance sandbox: its
 * passphrase is published, so iterations would only cost time). */
int pki_pkcs12_create_iter(EVP_PKEY *key, X509 *cert, X509 *const *chain, size_t n,
                           const char *passphrase, const char *friendly_name, int iter,
                           unsigned char **der, size_t *len, struct problem *err);
#endif

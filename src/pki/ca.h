/* CA certificates: self-signed root, issuing intermediate, import checks.
 * Built in-process by `troth init` / `troth ca import` (offline operations). */
#ifndef TROTH_PKI_CA_H
#define TROTH_PKI_CA_H

#include <stddef.h>
#include <openssl/x509.h>
#include "pki/err.h"

/* Build "O=<org>, CN=<cn>" with UTF8String values (either may be NULL to omit, not both). */
X509_NAME *pki_name_org_cn(const char *org, const char *cn, struct problem *err);
/* Self-signed v3 root: random 16-byte serial, CA:TRUE and keyCertSign+cRLSign (both critical), SKI. */
X509 *pki_ca_make_root(EVP_PKEY *key, const X509_NAME *subject, int days, struct problem *err);
/* Issuing CA signed by root: CA:TRUE pathlen:0, keyCertSign+cRLSign (critical), SKI, AKI,
 * CDP root_crl_url, AIA caIssuers root_cert_url; notAfter clamped to the root's. */
X509 *pki_ca_make_issuing(EVP_PKEY *key, const X509_NAME *subject, int days,
                          const X509 *root, EVP_PKEY *root_key,
                          const char *root_crl_url, const char *root_cert_url, struct problem *err);
/* `ca import`: parse cert and key PEM (key may be encrypted: passphrase, or NULL if plain),
 * require the key to match and the cert to be a CA (CA:TRUE, keyCertSign). Outputs owned by caller. */
int pki_ca_import_check(const char *cert_pem, size_t cert_len, const char *key_pem, size_t key_len,
                        const char *passphrase, X509 **cert_out, EVP_PKEY **key_out, struct problem *err);
/* Check that cert is a usable CA certificate for key (both present). 0, or 422 with a code. */
int pki_ca_check_pair(X509 *cert, EVP_PKEY *key, struct problem *err);
/* The certificate alone: CA:TRUE, keyCertSign, an RSA or EC P-256/P-384 key. */
int pki_ca_check_cert(X509 *cert, struct problem *err);

#endif

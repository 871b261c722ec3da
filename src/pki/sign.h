/* Signature algorithms and signed-structure assembly: the parts shared by the
 * signer (which holds the keys) and the builders (which only know public keys). */
#ifndef TROTH_PKI_SIGN_H
#define TROTH_PKI_SIGN_H

#include <stddef.h>
#include <openssl/evp.h>
#include "pki/err.h"

/* Digest for a CA key: SHA-384 for EC P-384, SHA-256 for RSA and EC P-256; NULL if unsupported. */
const EVP_MD *pki_digest_for_key(const EVP_PKEY *key);
/* NID of the signature algorithm for key (sha256WithRSAEncryption, ecdsa-with-SHA256/384); NID_undef if unsupported. */
int pki_sigalg_nid(const EVP_PKEY *key);
/* DER AlgorithmIdentifier (static bytes) of the signature algorithm for key; NULL if unsupported. */
const unsigned char *pki_sigalg_der(const EVP_PKEY *key, size_t *len);
/* Sign data with key (PKCS#1 v1.5 or ECDSA over the key's digest); *sig malloc'd. */
int pki_sign_data(EVP_PKEY *key, const unsigned char *data, size_t len,
                  unsigned char **sig, size_t *siglen, struct problem *err);
/* Wrap SEQUENCE { tbs, alg, BIT STRING sig } (RFC 5280 §4.1 / §5.1); *out malloc'd. */
int pki_assemble_signed(const unsigned char *tbs, size_t tbs_len,
                        const unsigned char *alg, size_t alg_len,
                        const unsigned char *sig, size_t sig_len,
                        unsigned char **out, size_t *out_len, struct problem *err);
/* Sign tbs with key and assemble the signed structure (certificate or CRL); *out malloc'd. */
int pki_sign_tbs(EVP_PKEY *key, const unsigned char *tbs, size_t tbs_len,
                 unsigned char **out, size_t *out_len, struct problem *err);

#endif

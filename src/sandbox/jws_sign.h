/* Compact JWS signing for the sandbox's fixtures (RFC 7515): header
 * {alg, x5c}, RS256/RS384 (PKCS#1 v1.5) or ES256/ES384 (r||s, RFC 7518
 * §3.4), with OpenSSL. Verification is the validator's (libcjose). */
#ifndef TROTH_SANDBOX_JWS_SIGN_H
#define TROTH_SANDBOX_JWS_SIGN_H
#include <jansson.h>
#include <openssl/evp.h>

/* header.payload.signature, malloc'd; NULL on failure. */
char *sandbox_jws_sign(EVP_PKEY *key, const char *alg, json_t *x5c, json_t *claims);

#endif

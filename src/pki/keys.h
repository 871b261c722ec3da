/* Key generation, passphrase encryption (PKCS#8) and description. */
#ifndef TROTH_PKI_KEYS_H
#define TROTH_PKI_KEYS_H

#include <stddef.h>
#include <openssl/evp.h>
#include "pki/err.h"

/* PBKDF2-HMAC-SHA256 iterations for encrypted PKCS#8 keys at rest (OWASP 2023 figure). */
#define PKI_KEY_PBKDF2_ITER 600000

/* Generate a key from "rsa:2048|rsa:3072|rsa:4096|ec:P-256|ec:P-384" or
 * "RSA-2048|RSA-3072|RSA-4096|EC-P256|EC-P384"; NULL (err 400 key_spec_invalid) otherwise. */
EVP_PKEY *pki_key_generate(const char *spec, struct problem *err);
/* 1 if spec is one of the accepted key specs, else 0. */
int pki_key_spec_valid(const char *spec);
/* The spec's RSA modulus size (0 for EC) and curve ("P-256", "P-384"; NULL
 * for RSA). 0, or -1 for an unknown spec. */
int pki_key_spec_params(const char *spec, int *rsa_bits, const char **curve);
/* Encrypt key as PEM "ENCRYPTED PRIVATE KEY" (PKCS#8, PBES2: AES-256-CBC + PBKDF2-HMAC-SHA256); malloc'd NUL-terminated. */
char *pki_key_encrypt_pem(EVP_PKEY *key, const char *passphrase, struct problem *err);
/* pki_key_encrypt_pem with an explicit PBKDF2 iteration count (>= 1000; tests, tuning). */
char *pki_key_encrypt_pem_iter(EVP_PKEY *key, const char *passphrase, int iter, struct problem *err);
/* Decrypt an encrypted PKCS#8 PEM (len bytes); NULL with 422 key_decrypt_failed on a wrong passphrase. */
EVP_PKEY *pki_key_decrypt_pem(const char *pem, size_t len, const char *passphrase, struct problem *err);
/* Write "RSA 2048" / "EC P-256" / "Ed25519"... into buf. */
void pki_key_describe(const EVP_PKEY *key, char *buf, size_t size);

#endif

/* CA keys in a PKCS#11 token: RFC 7512 URIs, logging in to a token and
 * getting its private key as an EVP_PKEY (libp11), and making a key pair
 * inside the token (the PKCS#11 API of the module: libp11 0.4.12, Debian 12's,
 * can make only RSA keys and sets no CKA_EXTRACTABLE; see token.c).
 *
 * A process holds one module at a time; tokens opened on it are shared
 * (one login per token), closed when their last user closes them. */
#ifndef TROTH_PKI_TOKEN_H
#define TROTH_PKI_TOKEN_H

#include <stddef.h>

#include <openssl/evp.h>

#include "pki/err.h"

#define PKI_TOKEN_LABEL_MAX 32  /* CK_TOKEN_INFO.label */
#define PKI_TOKEN_OBJECT_MAX 64
#define PKI_TOKEN_ID_MAX 32
#define PKI_TOKEN_URI_MAX 512

/* The RFC 7512 subset Troth reads and writes:
 *   pkcs11:token=LABEL[;object=LABEL][;id=%XX...][;type=private]
 * token is required; a key is found by id and/or object (both when given).
 * Values are percent-decoded; a query (?pin-value=...) or any other
 * attribute is refused: the PIN comes from [pkcs11] pin_file only. */
struct pki_token_uri {
    char token[PKI_TOKEN_LABEL_MAX + 1];
    char object[PKI_TOKEN_OBJECT_MAX + 1];
    unsigned char id[PKI_TOKEN_ID_MAX];
    size_t id_len;
};

/* 0, or -1 with err (400 key_uri_invalid) naming the attribute. */
int pki_token_uri_parse(const char *uri, struct pki_token_uri *u, struct problem *err);
/* The canonical URI of u (type=private); 0, or -1 when out is too small. */
int pki_token_uri_format(const struct pki_token_uri *u, char *out, size_t len);

struct pki_token;

/* Load module (once per process), find the token labelled label, log in
 * as its user with pin. 503 token_unavailable when the module, the token
 * or the login fails. */
struct pki_token *pki_token_open(const char *module, const char *label, const char *pin,
                                 struct problem *err);
/* The private key u names, as an EVP_PKEY whose operations run in the
 * token (the caller frees it; it is usable while t is open). */
EVP_PKEY *pki_token_private_key(struct pki_token *t, const struct pki_token_uri *u,
                                struct problem *err);
void pki_token_close(struct pki_token *t);

/* Make a key pair of spec (pki/keys.h: rsa:3072, ec:P-256, ...) inside
 * u->token: the private key CKA_TOKEN, CKA_PRIVATE, CKA_SENSITIVE, not
 * CKA_EXTRACTABLE, CKA_SIGN only; labelled u->object, with a fresh random
 * CKA_ID written to u->id. 0, or -1 with err. Call with no token open. */
int pki_token_generate(const char *module, const char *pin, const char *spec,
                       struct pki_token_uri *u, struct problem *err);

#endif

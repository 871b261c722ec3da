/* CA keys made and found in a PKCS#11 token by the CLI's key ceremonies
 * (`troth init --*-key-store`, `troth ca issuing-csr --key-store`, `troth
 * ca import --cert` of a certificate for such a key): the PIN from [pkcs11]
 * pin_file (group and others may not read it), the module from [pkcs11]
 * module. The signer workers open their keys on their own (signer/keysource.c). */
#ifndef TROTH_CA_TOKEN_KEY_H
#define TROTH_CA_TOKEN_KEY_H

#include <openssl/evp.h>

#include "pki/err.h"
#include "pki/token.h"

struct config;

/* A key pair of spec made inside the token store names ("pkcs11:token=LABEL
 * [;object=NAME]"; object defaults to default_object): on success *token is
 * open, *key a handle to sign with in it, uri its canonical URI with the
 * fresh CKA_ID. 0, or -1 with e. */
int ca_token_key_make(const struct config *cfg, const char *store, const char *default_object,
                      const char *spec, struct pki_token **token, EVP_PKEY **key,
                      char uri[PKI_TOKEN_URI_MAX], struct problem *e);

/* The existing key uri names: *token open, *key its handle. 0, or -1 with e. */
int ca_token_key_open(const struct config *cfg, const char *uri, struct pki_token **token,
                      EVP_PKEY **key, struct problem *e);

#endif

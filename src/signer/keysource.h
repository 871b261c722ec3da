/* Where a CA's private key comes from: the one seam between the signer
 * supervisor (which prepares every key source once, before it forks a
 * worker) and a worker (which opens its key after the fork, before it is
 * confined). An encrypted PEM is decrypted by the supervisor and inherited;
 * a PKCS#11 key (an RFC 7512 "pkcs11:" URI) is opened by each worker: it
 * loads the module, logs in to the token with the PIN the supervisor read,
 * and gets the token's key handle as an EVP_PKEY (pki/token.h). */
#ifndef TROTH_SIGNER_KEYSOURCE_H
#define TROTH_SIGNER_KEYSOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <openssl/evp.h>

#include "pki/err.h"
#include "pki/token.h"

enum signer_key_kind {
    SIGNER_KEY_PEM = 0, /* encrypted PKCS#8 PEM, decrypted once by the supervisor */
    SIGNER_KEY_PKCS11,  /* an RFC 7512 "pkcs11:" URI */
};

/* The token settings ([pkcs11] module, the PIN from pin_file); the
 * supervisor keeps them for its life. */
struct signer_pkcs11 {
    const char *module;
    const char *pin;
};

struct signer_key_source {
    enum signer_key_kind kind;
    unsigned char *ref; /* PEM: the encrypted key (cleansed once prepared); PKCS#11: the URI */
    size_t ref_len;
    EVP_PKEY *key;      /* PEM: the decrypted key, shared by forked workers */
    struct pki_token_uri uri;      /* PKCS#11: the parsed URI */
    struct signer_pkcs11 p11;      /* PKCS#11: module and PIN (not owned) */
};

/* Take a copy of ref (as received from the web process) and classify it. 0 or -1. */
int signer_key_source_init(struct signer_key_source *s, const unsigned char *ref, size_t len,
                           struct problem *err);
/* In the supervisor, before any worker: PEM keys are decrypted with pass;
 * PKCS#11 URIs are parsed and need p11 (module and PIN). 0 or -1. */
int signer_key_prepare(struct signer_key_source *s, const char *pass, const struct signer_pkcs11 *p11,
                       struct problem *err);
/* In a worker, before the sandbox: the key to sign with (the caller frees
 * it). A PKCS#11 key stays usable until signer_key_close_tokens(). */
EVP_PKEY *signer_key_open(const struct signer_key_source *s, struct problem *err);
/* Log out of and close every token this process opened. */
void signer_key_close_tokens(void);
/* Cleanse and free what the source holds. */
void signer_key_source_clear(struct signer_key_source *s);

#endif

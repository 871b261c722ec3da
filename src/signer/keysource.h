/* Where a CA's private key comes from: the one seam between the signer
 * supervisor (which prepares every key source once, before it forks a
 * worker) and a worker (which opens its key after the fork, before it is
 * confined). A key source that is a PKCS#11 object plugs in here: its
 * prepare keeps the URI and PIN, its open logs in to the token inside the
 * worker and returns the token's key handle as an EVP_PKEY. */
#ifndef TROTH_SIGNER_KEYSOURCE_H
#define TROTH_SIGNER_KEYSOURCE_H

#include <stddef.h>
#include <openssl/evp.h>

#include "pki/err.h"

enum signer_key_kind {
    SIGNER_KEY_PEM = 0, /* encrypted PKCS#8 PEM, decrypted once by the supervisor */
    SIGNER_KEY_PKCS11,  /* an RFC 7512 "pkcs11:" URI */
};

struct signer_key_source {
    enum signer_key_kind kind;
    unsigned char *ref; /* PEM: the encrypted key (cleansed once prepared); PKCS#11: the URI */
    size_t ref_len;
    EVP_PKEY *key;      /* PEM: the decrypted key, shared by forked workers */
};

/* Take a copy of ref (as received from the web process) and classify it. 0 or -1. */
int signer_key_source_init(struct signer_key_source *s, const unsigned char *ref, size_t len,
                           struct pki_err *err);
/* In the supervisor, before any worker: PEM keys are decrypted with pass. 0 or -1. */
int signer_key_prepare(struct signer_key_source *s, const char *pass, struct pki_err *err);
/* In a worker, before the sandbox: the key to sign with (the caller frees it). */
EVP_PKEY *signer_key_open(const struct signer_key_source *s, struct pki_err *err);
/* Cleanse and free what the source holds. */
void signer_key_source_clear(struct signer_key_source *s);

#endif

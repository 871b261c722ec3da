/* Key sources: encrypted PEM today; the PKCS#11 branch is where a token plugs in. */
#include "signer/keysource.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "pki/keys.h"

#define PKCS11_PREFIX "pkcs11:"

int signer_key_source_init(struct signer_key_source *s, const unsigned char *ref, size_t len,
                           struct pki_err *err)
{
    memset(s, 0, sizeof *s);
    s->ref = malloc(len + 1);
    if (s->ref == NULL)
        return pki_err_set(err, 500, "signer_init_failed", "out of memory");
    memcpy(s->ref, ref, len);
    s->ref[len] = '\0';
    s->ref_len = len;
    s->kind = len > strlen(PKCS11_PREFIX) && memcmp(ref, PKCS11_PREFIX, strlen(PKCS11_PREFIX)) == 0
                  ? SIGNER_KEY_PKCS11
                  : SIGNER_KEY_PEM;
    return 0;
}

int signer_key_prepare(struct signer_key_source *s, const char *pass, struct pki_err *err)
{
    if (s->kind == SIGNER_KEY_PKCS11)
        return pki_err_set(err, 500, "signer_init_failed", "PKCS#11 key sources are not supported by this build");
    s->key = pki_key_decrypt_pem((const char *)s->ref, s->ref_len, pass, err);
    /* the encrypted copy is no longer needed: nothing but the decrypted key stays */
    OPENSSL_cleanse(s->ref, s->ref_len);
    return s->key != NULL ? 0 : -1;
}

EVP_PKEY *signer_key_open(const struct signer_key_source *s, struct pki_err *err)
{
    if (s->key == NULL || EVP_PKEY_up_ref(s->key) != 1) {
        pki_err_set(err, 500, "signer_init_failed", "key source not prepared");
        return NULL;
    }
    return s->key;
}

void signer_key_source_clear(struct signer_key_source *s)
{
    if (s->ref != NULL) {
        OPENSSL_cleanse(s->ref, s->ref_len);
        free(s->ref);
    }
    EVP_PKEY_free(s->key);
    memset(s, 0, sizeof *s);
}

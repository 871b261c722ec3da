/* Key sources: encrypted PEM (decrypted by the supervisor) or a PKCS#11 token (opened by each worker). */
#include "signer/keysource.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "pki/keys.h"

#define PKCS11_PREFIX "pkcs11:"
#define MAX_TOKENS 8

/* The tokens this worker opened: their sessions outlive signer_key_open. */
static struct pki_token *g_tokens[MAX_TOKENS];
static size_t g_n_tokens;

int signer_key_source_init(struct signer_key_source *s, const unsigned char *ref, size_t len,
                           struct problem *err)
{
    memset(s, 0, sizeof *s);
    s->ref = malloc(len + 1);
    if (s->ref == NULL)
        return problem_set(err, PK_SIGNER_INIT_FAILED, NULL, "out of memory");
    memcpy(s->ref, ref, len);
    s->ref[len] = '\0';
    s->ref_len = len;
    s->kind = len > strlen(PKCS11_PREFIX) && memcmp(ref, PKCS11_PREFIX, strlen(PKCS11_PREFIX)) == 0
                  ? SIGNER_KEY_PKCS11
                  : SIGNER_KEY_PEM;
    return 0;
}

int signer_key_prepare(struct signer_key_source *s, const char *pass, const struct signer_pkcs11 *p11,
                       struct problem *err)
{
    if (s->kind == SIGNER_KEY_PKCS11) {
        struct problem e = {0};
        if (memchr(s->ref, 0, s->ref_len) || pki_token_uri_parse((const char *)s->ref, &s->uri, &e) != 0)
            return problem_set(err, PK_SIGNER_INIT_MALFORMED, NULL, "invalid PKCS#11 key URI: %s",
                               e.detail[0] ? e.detail : "NUL byte");
        if (p11 == NULL || p11->module == NULL || !*p11->module || p11->pin == NULL)
            return problem_set(err, PK_SIGNER_INIT_FAILED, NULL,
                               "a CA key is in a PKCS#11 token: set [pkcs11] module and pin_file");
        s->p11 = *p11;
        return 0;
    }
    s->key = pki_key_decrypt_pem((const char *)s->ref, s->ref_len, pass, err);
    /* the encrypted copy is no longer needed: nothing but the decrypted key stays */
    OPENSSL_cleanse(s->ref, s->ref_len);
    return s->key != NULL ? 0 : -1;
}

static EVP_PKEY *open_token_key(const struct signer_key_source *s, struct problem *err)
{
    if (g_n_tokens == MAX_TOKENS) {
        problem_set(err, PK_SIGNER_INIT_FAILED, NULL, "too many PKCS#11 keys");
        return NULL;
    }
    struct pki_token *t = pki_token_open(s->p11.module, s->uri.token, s->p11.pin, err);
    if (t == NULL)
        return NULL;
    g_tokens[g_n_tokens++] = t; /* the token stays open (and shared) for the key's life */
    return pki_token_private_key(t, &s->uri, err);
}

EVP_PKEY *signer_key_open(const struct signer_key_source *s, struct problem *err)
{
    if (s->kind == SIGNER_KEY_PKCS11)
        return open_token_key(s, err);
    if (s->key == NULL || EVP_PKEY_up_ref(s->key) != 1) {
        problem_set(err, PK_SIGNER_INIT_FAILED, NULL, "key source not prepared");
        return NULL;
    }
    return s->key;
}

void signer_key_close_tokens(void)
{
    while (g_n_tokens > 0)
        pki_token_close(g_tokens[--g_n_tokens]);
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

#include "sandbox/jws_sign.h"

#include <openssl/ecdsa.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pki/encode.h"

/* base64url without padding of data, malloc'd. */
static char *b64url(const unsigned char *data, size_t len)
{
    char *s = pki_base64(data, len);
    if (!s)
        return NULL;
    size_t n = strlen(s);
    while (n && s[n - 1] == '=')
        s[--n] = 0;
    for (char *p = s; *p; p++)
        *p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
    return s;
}

static char *b64url_json(json_t *j)
{
    char *s = json_dumps(j, JSON_COMPACT);
    char *out = s ? b64url((const unsigned char *)s, strlen(s)) : NULL;
    free(s);
    return out;
}

/* ECDSA DER signature -> r||s of 2 * n bytes. */
static int der_to_raw(const unsigned char *der, size_t len, int n, unsigned char *out)
{
    const unsigned char *p = der;
    ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)len);
    if (!sig)
        return -1;
    const BIGNUM *r, *s;
    ECDSA_SIG_get0(sig, &r, &s);
    int ok = BN_bn2binpad(r, out, n) == n && BN_bn2binpad(s, out + n, n) == n;
    ECDSA_SIG_free(sig);
    return ok ? 0 : -1;
}

char *sandbox_jws_sign(EVP_PKEY *key, const char *alg, json_t *x5c, json_t *claims)
{
    json_t *hdr = json_pack("{s:s, s:O}", "alg", alg, "x5c", x5c);
    char *h = hdr ? b64url_json(hdr) : NULL, *p = b64url_json(claims), *out = NULL;
    json_decref(hdr);
    const EVP_MD *md = strstr(alg, "384") ? EVP_sha384() : EVP_sha256();
    bool ec = alg[0] == 'E';
    int n = strstr(alg, "384") ? 48 : 32;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char *sig = NULL, raw[96];
    size_t siglen = 0;
    if (h && p && ctx) {
        size_t ilen = strlen(h) + 1 + strlen(p);
        char *input = malloc(ilen + 1);
        if (input) {
            snprintf(input, ilen + 1, "%s.%s", h, p);
            if (EVP_DigestSignInit(ctx, NULL, md, NULL, key) == 1 &&
                EVP_DigestSign(ctx, NULL, &siglen, (unsigned char *)input, ilen) == 1 &&
                (sig = malloc(siglen)) != NULL &&
                EVP_DigestSign(ctx, sig, &siglen, (unsigned char *)input, ilen) == 1) {
                char *s = NULL;
                if (!ec)
                    s = b64url(sig, siglen);
                else if (!der_to_raw(sig, siglen, n, raw))
                    s = b64url(raw, (size_t)(2 * n));
                if (s && (out = malloc(ilen + 2 + strlen(s))) != NULL)
                    sprintf(out, "%s.%s", input, s);
                free(s);
            }
            free(input);
        }
    }
    free(sig);
    EVP_MD_CTX_free(ctx);
    free(h);
    free(p);
    return out;
}

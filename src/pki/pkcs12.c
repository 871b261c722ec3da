/* PKCS#12 (RFC 7292) with modern algorithms: PBES2/AES-256-CBC bags, SHA-256 MAC. */
#include "pki/pkcs12.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/pkcs12.h>

int pki_pkcs12_create(EVP_PKEY *key, X509 *cert, X509 *const *chain, size_t n,
                      const char *passphrase, const char *friendly_name,
                      unsigned char **der, size_t *len, struct problem *err)
{
    return pki_pkcs12_create_iter(key, cert, chain, n, passphrase, friendly_name,
                                  PKI_P12_ITER, der, len, err);
}

int pki_pkcs12_create_iter(EVP_PKEY *key, X509 *cert, X509 *const *chain, size_t n,
                           const char *passphrase, const char *friendly_name, int iter,
                           unsigned char **der, size_t *len, struct problem *err)
{
    *der = NULL;
    if (passphrase == NULL || passphrase[0] == '\0')
        return problem_set(err, PK_PASSPHRASE_MISSING, NULL, "a PKCS#12 passphrase is required");
    STACK_OF(X509) *ca = sk_X509_new_null();
    for (size_t i = 0; ca != NULL && i < n; i++)
        if (sk_X509_push(ca, chain[i]) <= 0) {
            sk_X509_free(ca);
            ca = NULL;
        }
    if (ca == NULL)
        return problem_set(err, PK_OUT_OF_MEMORY, NULL, "out of memory");
    /* NID_aes_256_cbc selects PBES2; OpenSSL 3 pairs it with PBKDF2-HMAC-SHA256.
     * mac_iter -1: no MAC here, a SHA-256 one is set below (the default would be SHA-1). */
    PKCS12 *p12 = PKCS12_create(passphrase, friendly_name, key, cert, ca, NID_aes_256_cbc,
                                NID_aes_256_cbc, iter, -1, 0);
    sk_X509_free(ca); /* the certificates stay the caller's */
    unsigned char *out = NULL;
    int n_out = 0;
    if (p12 == NULL ||
        !PKCS12_set_mac(p12, passphrase, -1, NULL, 0, iter, EVP_sha256()) ||
        (n_out = i2d_PKCS12(p12, &out)) <= 0) {
        PKCS12_free(p12);
        return pki_ossl_problem(err, PK_PKCS12_FAILED, "building the PKCS#12 bundle");
    }
    PKCS12_free(p12);
    *der = malloc((size_t)n_out);
    if (*der == NULL) {
        OPENSSL_free(out);
        return problem_set(err, PK_OUT_OF_MEMORY, NULL, "out of memory");
    }
    memcpy(*der, out, (size_t)n_out);
    *len = (size_t)n_out;
    OPENSSL_free(out);
    return 0;
}

/* Key generation and encryption at rest. */
#include "pki/keys.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

struct key_spec {
    const char *name, *alias;
    int rsa_bits;       /* 0 for EC */
    const char *curve;  /* NULL for RSA */
};

static const struct key_spec SPECS[] = {
    {"rsa:2048", "RSA-2048", 2048, NULL},
    {"rsa:3072", "RSA-3072", 3072, NULL},
    {"rsa:4096", "RSA-4096", 4096, NULL},
    {"ec:P-256", "EC-P256", 0, "P-256"},
    {"ec:P-384", "EC-P384", 0, "P-384"},
};

static const struct key_spec *find_spec(const char *spec)
{
    for (size_t i = 0; spec != NULL && i < sizeof SPECS / sizeof SPECS[0]; i++)
        if (strcmp(spec, SPECS[i].name) == 0 || strcmp(spec, SPECS[i].alias) == 0)
            return &SPECS[i];
    return NULL;
}

int pki_key_spec_valid(const char *spec)
{
    return find_spec(spec) != NULL;
}

int pki_key_spec_params(const char *spec, int *rsa_bits, const char **curve)
{
    const struct key_spec *s = find_spec(spec);
    if (s == NULL)
        return -1;
    *rsa_bits = s->rsa_bits;
    *curve = s->curve;
    return 0;
}

EVP_PKEY *pki_key_generate(const char *spec, struct problem *err)
{
    const struct key_spec *s = find_spec(spec);
    if (s == NULL) {
        problem_set(err, PK_KEY_SPEC_INVALID, NULL,
                    "key type must be one of RSA-2048, RSA-3072, RSA-4096, EC-P256, EC-P384");
        return NULL;
    }
    EVP_PKEY *key = s->rsa_bits ? EVP_RSA_gen((unsigned)s->rsa_bits) : EVP_EC_gen(s->curve);
    if (key == NULL)
        pki_ossl_problem(err, PK_KEYGEN_FAILED, "key generation failed");
    return key;
}

char *pki_key_encrypt_pem(EVP_PKEY *key, const char *passphrase, struct problem *err)
{
    return pki_key_encrypt_pem_iter(key, passphrase, PKI_KEY_PBKDF2_ITER, err);
}

char *pki_key_encrypt_pem_iter(EVP_PKEY *key, const char *passphrase, int iter, struct problem *err)
{
    if (iter < 1000 || passphrase == NULL || passphrase[0] == '\0') {
        problem_set(err, PK_KEY_ENCRYPT_PARAMS, NULL, "need a passphrase and at least 1000 iterations");
        return NULL;
    }
    PKCS8_PRIV_KEY_INFO *p8 = EVP_PKEY2PKCS8(key);
    X509_ALGOR *pbe = NULL;
    X509_SIG *enc = NULL;
    BIO *bio = NULL;
    char *out = NULL;
    if (p8 == NULL)
        goto ossl;
    /* PBES2 (RFC 8018 §6.2): AES-256-CBC keyed by PBKDF2-HMAC-SHA256, 16-byte random salt. */
    pbe = PKCS5_pbe2_set_iv(EVP_aes_256_cbc(), iter, NULL, 16, NULL,
                            NID_hmacWithSHA256);
    if (pbe == NULL)
        goto ossl;
    enc = PKCS8_set0_pbe(passphrase, (int)strlen(passphrase), p8, pbe);
    if (enc == NULL)
        goto ossl;
    pbe = NULL; /* owned by enc now */
    bio = BIO_new(BIO_s_mem());
    if (bio == NULL || !PEM_write_bio_PKCS8(bio, enc))
        goto ossl;
    char *data;
    long n = BIO_get_mem_data(bio, &data);
    out = malloc((size_t)n + 1);
    if (out == NULL)
        goto ossl;
    memcpy(out, data, (size_t)n);
    out[n] = '\0';
    goto done;
ossl:
    pki_ossl_problem(err, PK_KEY_ENCRYPT_FAILED, "encrypting the private key failed");
done:
    X509_ALGOR_free(pbe);
    X509_SIG_free(enc);
    PKCS8_PRIV_KEY_INFO_free(p8);
    BIO_free(bio);
    return out;
}

EVP_PKEY *pki_key_decrypt_pem(const char *pem, size_t len, const char *passphrase, struct problem *err)
{
    if (len > INT32_MAX) {
        problem_set(err, PK_KEY_MALFORMED, NULL, "key PEM too large");
        return NULL;
    }
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    if (bio == NULL) {
        pki_ossl_problem(err, PK_OUT_OF_MEMORY, "BIO_new_mem_buf");
        return NULL;
    }
    /* Only encrypted PKCS#8 is accepted: keys at rest must never be plain. */
    X509_SIG *enc = PEM_read_bio_PKCS8(bio, NULL, NULL, NULL);
    BIO_free(bio);
    if (enc == NULL) {
        ERR_clear_error();
        problem_set(err, PK_KEY_MALFORMED, NULL, "not a PEM encrypted PKCS#8 private key");
        return NULL;
    }
    PKCS8_PRIV_KEY_INFO *p8 = PKCS8_decrypt(enc, passphrase, (int)strlen(passphrase));
    X509_SIG_free(enc);
    if (p8 == NULL) {
        ERR_clear_error();
        problem_set(err, PK_KEY_DECRYPT_FAILED, NULL, "wrong passphrase or corrupt encrypted key");
        return NULL;
    }
    EVP_PKEY *key = EVP_PKCS82PKEY(p8);
    PKCS8_PRIV_KEY_INFO_free(p8);
    if (key == NULL)
        pki_ossl_problem(err, PK_KEY_MALFORMED, "decrypted key is not usable");
    return key;
}

void pki_key_describe(const EVP_PKEY *key, char *buf, size_t size)
{
    int id = key ? EVP_PKEY_get_base_id(key) : 0;
    char group[64] = "";
    size_t glen = 0;
    switch (id) {
    case EVP_PKEY_RSA:
        snprintf(buf, size, "RSA %d", EVP_PKEY_get_bits(key));
        return;
    case EVP_PKEY_RSA_PSS:
        snprintf(buf, size, "RSA-PSS %d", EVP_PKEY_get_bits(key));
        return;
    case EVP_PKEY_EC:
        if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &glen)) {
            const char *nist = EC_curve_nid2nist(OBJ_txt2nid(group));
            snprintf(buf, size, "EC %s", nist ? nist : group);
        } else {
            snprintf(buf, size, "EC (explicit parameters)");
        }
        return;
    case EVP_PKEY_ED25519: snprintf(buf, size, "Ed25519"); return;
    case EVP_PKEY_ED448: snprintf(buf, size, "Ed448"); return;
    case EVP_PKEY_DSA: snprintf(buf, size, "DSA %d", EVP_PKEY_get_bits(key)); return;
    default: snprintf(buf, size, "%s", key ? OBJ_nid2sn(id) : "none"); return;
    }
}

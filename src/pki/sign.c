/* Signature algorithm choice and signing of TBS structures (RFC 5280 §4.1.1.2, RFC 5758 §3.2). */
#include "pki/sign.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/obj_mac.h>

#include "pki/der.h"

/* sha256WithRSAEncryption with NULL parameters (RFC 4055 §5). */
static const unsigned char ALG_RSA_SHA256[] = {
    0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00};
/* ecdsa-with-SHA256 / -SHA384, parameters absent (RFC 5758 §3.2). */
static const unsigned char ALG_ECDSA_SHA256[] = {
    0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02};
static const unsigned char ALG_ECDSA_SHA384[] = {
    0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03};

/* 1 RSA, 256 / 384 for EC P-256 / P-384, 0 otherwise. */
static int key_kind(const EVP_PKEY *key)
{
    if (key == NULL)
        return 0;
    if (EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA)
        return 1;
    if (EVP_PKEY_get_base_id(key) != EVP_PKEY_EC)
        return 0;
    char group[64];
    size_t glen = 0;
    if (!EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &glen))
        return 0;
    int nid = OBJ_txt2nid(group);
    if (nid == NID_X9_62_prime256v1)
        return 256;
    if (nid == NID_secp384r1)
        return 384;
    return 0;
}

const EVP_MD *pki_digest_for_key(const EVP_PKEY *key)
{
    switch (key_kind(key)) {
    case 1: case 256: return EVP_sha256();
    case 384: return EVP_sha384();
    default: return NULL;
    }
}

int pki_sigalg_nid(const EVP_PKEY *key)
{
    switch (key_kind(key)) {
    case 1: return NID_sha256WithRSAEncryption;
    case 256: return NID_ecdsa_with_SHA256;
    case 384: return NID_ecdsa_with_SHA384;
    default: return NID_undef;
    }
}

const unsigned char *pki_sigalg_der(const EVP_PKEY *key, size_t *len)
{
    switch (key_kind(key)) {
    case 1: *len = sizeof ALG_RSA_SHA256; return ALG_RSA_SHA256;
    case 256: *len = sizeof ALG_ECDSA_SHA256; return ALG_ECDSA_SHA256;
    case 384: *len = sizeof ALG_ECDSA_SHA384; return ALG_ECDSA_SHA384;
    default: *len = 0; return NULL;
    }
}

int pki_sign_data(EVP_PKEY *key, const unsigned char *data, size_t len,
                  unsigned char **sig, size_t *siglen, struct problem *err)
{
    const EVP_MD *md = pki_digest_for_key(key);
    if (md == NULL)
        return problem_set(err, PK_CA_KEY_UNSUPPORTED, NULL, "CA key type is not supported for signing");
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char *out = NULL;
    size_t outlen = 0;
    int rc = -1;
    if (ctx == NULL || EVP_DigestSignInit(ctx, NULL, md, NULL, key) != 1 ||
        EVP_DigestSign(ctx, NULL, &outlen, data, len) != 1 ||
        (out = malloc(outlen)) == NULL ||
        EVP_DigestSign(ctx, out, &outlen, data, len) != 1) {
        pki_ossl_problem(err, PK_SIGN_FAILED, "signing failed");
        free(out);
        out = NULL;
    } else {
        rc = 0;
    }
    EVP_MD_CTX_free(ctx);
    *sig = out;
    *siglen = outlen;
    return rc;
}

int pki_assemble_signed(const unsigned char *tbs, size_t tbs_len,
                        const unsigned char *alg, size_t alg_len,
                        const unsigned char *sig, size_t sig_len,
                        unsigned char **out, size_t *out_len, struct problem *err)
{
    struct der_buf b;
    der_init(&b, tbs_len + alg_len + sig_len + 16);
    size_t m = der_begin(&b, DER_SEQUENCE);
    der_put(&b, tbs, tbs_len);
    der_put(&b, alg, alg_len);
    der_put_tl(&b, DER_BIT_STRING, sig_len + 1);
    der_put(&b, "", 1); /* no unused bits */
    der_put(&b, sig, sig_len);
    der_end(&b, m);
    *out = der_take(&b, out_len);
    if (*out == NULL)
        return problem_set(err, PK_OUT_OF_MEMORY, NULL, "out of memory assembling a signed structure");
    return 0;
}

int pki_sign_tbs(EVP_PKEY *key, const unsigned char *tbs, size_t tbs_len,
                 unsigned char **out, size_t *out_len, struct problem *err)
{
    size_t alg_len;
    const unsigned char *alg = pki_sigalg_der(key, &alg_len);
    unsigned char *sig = NULL;
    size_t sig_len = 0;
    if (alg == NULL)
        return problem_set(err, PK_CA_KEY_UNSUPPORTED, NULL, "CA key type is not supported for signing");
    if (pki_sign_data(key, tbs, tbs_len, &sig, &sig_len, err) != 0)
        return -1;
    int rc = pki_assemble_signed(tbs, tbs_len, alg, alg_len, sig, sig_len, out, out_len, err);
    free(sig);
    return rc;
}

/* CSR handling (PKCS#10, RFC 2986) and member key policy. */
#include "pki/csr.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "pki/keys.h"

#define CSR_MAX_BYTES (64 * 1024)

X509_REQ *pki_csr_parse(const char *data, size_t len, struct problem *err)
{
    X509_REQ *req = NULL;
    if (data == NULL || len == 0 || len > CSR_MAX_BYTES) {
        problem_set(err, PK_CSR_MALFORMED, NULL, "the CSR is empty or larger than 64 KiB");
        return NULL;
    }
    if (memmem(data, len, "-----BEGIN", 10) != NULL) {
        BIO *b = BIO_new_mem_buf(data, (int)len);
        req = b ? PEM_read_bio_X509_REQ(b, NULL, NULL, NULL) : NULL;
        BIO_free(b);
    } else {
        const unsigned char *p = (const unsigned char *)data;
        req = d2i_X509_REQ(NULL, &p, (long)len);
        if (req != NULL && p != (const unsigned char *)data + len) {
            X509_REQ_free(req);
            req = NULL;
        }
    }
    ERR_clear_error();
    if (req == NULL)
        problem_set(err, PK_CSR_MALFORMED, NULL, "the CSR is not a PEM or DER PKCS#10 request");
    else if (X509_REQ_get0_pubkey(req) == NULL) {
        X509_REQ_free(req);
        req = NULL;
        ERR_clear_error();
        problem_set(err, PK_CSR_MALFORMED, NULL, "the CSR's public key cannot be read");
    }
    return req;
}

static int check_rsa(const EVP_PKEY *key, struct problem *err)
{
    int bits = EVP_PKEY_get_bits(key);
    if (bits < 2048)
        return problem_set(err, PK_KEY_WEAK, NULL, "RSA key of %d bits: at least 2048 are required", bits);
    if (bits > 8192)
        return problem_set(err, PK_KEY_TYPE_NOT_ALLOWED, NULL, "RSA key of %d bits: at most 8192 are accepted", bits);
    BIGNUM *e = NULL;
    if (!EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_E, &e)) {
        ERR_clear_error();
        return problem_set(err, PK_CSR_MALFORMED, NULL, "RSA public exponent unreadable");
    }
    /* An even or tiny exponent is broken; 65537 is what every toolkit produces. */
    int bad = !BN_is_odd(e) || BN_num_bits(e) < 2 || BN_num_bits(e) > 256;
    BN_free(e);
    if (bad)
        return problem_set(err, PK_KEY_WEAK, NULL, "RSA public exponent must be odd and at least 3 (65537 expected)");
    return 0;
}

unsigned pki_key_type_bit(const EVP_PKEY *key)
{
    int id = EVP_PKEY_get_base_id(key), bits = EVP_PKEY_get_bits(key);
    if (id == EVP_PKEY_RSA)
        return bits == 2048 ? PKI_KEYT_RSA2048 : bits == 3072 ? PKI_KEYT_RSA3072
               : bits == 4096 ? PKI_KEYT_RSA4096 : 0;
    if (id != EVP_PKEY_EC)
        return 0;
    char group[64];
    size_t glen = 0;
    int nid = NID_undef;
    if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &glen))
        nid = OBJ_txt2nid(group);
    ERR_clear_error();
    return nid == NID_X9_62_prime256v1 ? PKI_KEYT_EC_P256 : nid == NID_secp384r1 ? PKI_KEYT_EC_P384 : 0;
}

static int check_base(const EVP_PKEY *key, const struct pki_key_policy *policy, struct problem *err);

int pki_key_check(const EVP_PKEY *key, const struct pki_key_policy *policy, struct problem *err)
{
    if (check_base(key, policy, err))
        return -1;
    if (policy == NULL || policy->types == 0 || (pki_key_type_bit(key) & policy->types))
        return 0;
    char desc[32];
    pki_key_describe(key, desc, sizeof desc);
    return problem_set(err, PK_KEY_TYPE_NOT_ALLOWED, NULL, "this profile takes %s keys; got %s",
                       policy->types_desc ? policy->types_desc : "other", desc);
}

static int check_base(const EVP_PKEY *key, const struct pki_key_policy *policy, struct problem *err)
{
    char desc[32];
    pki_key_describe(key, desc, sizeof desc);
    int id = EVP_PKEY_get_base_id(key);
    if (policy != NULL && policy->rsa_only && id != EVP_PKEY_RSA)
        return problem_set(err, PK_RSA_REQUIRED, NULL,
                           "this profile needs an RSA key (server metadata is RS256-signed); got %s", desc);
    if (id == EVP_PKEY_RSA)
        return check_rsa(key, err);
    if (id == EVP_PKEY_EC) {
        char group[64];
        size_t glen = 0;
        int nid = NID_undef;
        if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &glen))
            nid = OBJ_txt2nid(group);
        char enc[32] = "";
        size_t elen = 0;
        int named = EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_EC_ENCODING, enc,
                                                   sizeof enc, &elen) &&
                    !strcmp(enc, OSSL_PKEY_EC_ENCODING_GROUP);
        ERR_clear_error();
        /* RFC 5480 section 2.1.1: namedCurve only; explicit parameters would
         * be copied into the certificate and are a known source of bugs */
        if (!named)
            return problem_set(err, PK_KEY_TYPE_NOT_ALLOWED, NULL,
                               "EC keys must name their curve (named curve OID), not "
                               "give explicit parameters");
        if (nid == NID_X9_62_prime256v1 || nid == NID_secp384r1)
            return 0;
        return problem_set(err, PK_KEY_TYPE_NOT_ALLOWED, NULL,
                           "EC keys must use P-256 or P-384 (ES256/ES384); got %s", desc);
    }
    return problem_set(err, PK_KEY_TYPE_NOT_ALLOWED, NULL,
                       "key type %s is not allowed: use RSA (2048+) or EC P-256/P-384", desc);
}

int pki_csr_check(X509_REQ *req, const struct pki_key_policy *policy, struct problem *err)
{
    EVP_PKEY *key = X509_REQ_get0_pubkey(req);
    if (key == NULL)
        return problem_set(err, PK_CSR_MALFORMED, NULL, "the CSR has no readable public key");
    /* Policy first: verifying a signature with an absurd key would be wasted work. */
    if (pki_key_check(key, policy, err) != 0)
        return -1;
    int ok = X509_REQ_verify(req, key);
    ERR_clear_error();
    if (ok != 1)
        return problem_set(err, PK_CSR_SIGNATURE_INVALID, NULL,
                           "the CSR signature does not verify with its own key (no proof of possession)");
    return 0;
}

/* Collect SAN URIs from the CSR's extensionRequest attribute. */
static int collect_uris(X509_REQ *req, struct pki_csr_summary *out)
{
    STACK_OF(X509_EXTENSION) *exts = X509_REQ_get_extensions(req);
    GENERAL_NAMES *names = exts ? X509V3_get_d2i(exts, NID_subject_alt_name, NULL, NULL) : NULL;
    int rc = 0;
    int n = names ? sk_GENERAL_NAME_num(names) : 0;
    if (n > 0 && (out->uris = calloc((size_t)n, sizeof *out->uris)) == NULL)
        rc = -1;
    for (int i = 0; rc == 0 && i < n; i++) {
        GENERAL_NAME *gn = sk_GENERAL_NAME_value(names, i);
        if (gn->type != GEN_URI)
            continue;
        const ASN1_STRING *s = gn->d.uniformResourceIdentifier;
        char *u = malloc((size_t)ASN1_STRING_length(s) + 1);
        if (u == NULL) {
            rc = -1;
            break;
        }
        memcpy(u, ASN1_STRING_get0_data(s), (size_t)ASN1_STRING_length(s));
        u[ASN1_STRING_length(s)] = '\0';
        out->uris[out->n_uris++] = u;
    }
    GENERAL_NAMES_free(names);
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
    ERR_clear_error();
    return rc;
}

int pki_csr_summarize(X509_REQ *req, struct pki_csr_summary *out, struct problem *err)
{
    memset(out, 0, sizeof *out);
    EVP_PKEY *key = X509_REQ_get0_pubkey(req);
    if (key == NULL)
        return problem_set(err, PK_CSR_MALFORMED, NULL, "the CSR has no readable public key");
    int id = EVP_PKEY_get_base_id(key);
    snprintf(out->key_type, sizeof out->key_type, "%s",
             id == EVP_PKEY_RSA ? "RSA" : id == EVP_PKEY_EC ? "EC" : OBJ_nid2sn(id));
    out->bits = EVP_PKEY_get_bits(key);
    pki_key_describe(key, out->key_desc, sizeof out->key_desc);
    if (id == EVP_PKEY_EC && strncmp(out->key_desc, "EC ", 3) == 0)
        snprintf(out->curve, sizeof out->curve, "%s", out->key_desc + 3);
    BIO *b = BIO_new(BIO_s_mem());
    if (b == NULL)
        return pki_ossl_problem(err, PK_OUT_OF_MEMORY, "BIO_new");
    X509_NAME_print_ex(b, X509_REQ_get_subject_name(req), 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
    int n = BIO_read(b, out->subject, sizeof out->subject - 1);
    out->subject[n > 0 ? n : 0] = '\0';
    BIO_free(b);
    if (collect_uris(req, out) != 0) {
        pki_csr_summary_free(out);
        return problem_set(err, PK_OUT_OF_MEMORY, NULL, "out of memory");
    }
    return 0;
}

void pki_csr_summary_free(struct pki_csr_summary *s)
{
    for (size_t i = 0; i < s->n_uris; i++)
        free(s->uris[i]);
    free(s->uris);
    s->uris = NULL;
    s->n_uris = 0;
}

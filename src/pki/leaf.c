/* Leaf certificate profile (RFC 5280 §4.1, §4.2; UDAP: SAN URI identity). */
#include "pki/leaf.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "pki/ext.h"
#include "pki/sign.h"

int pki_random_serial(unsigned char serial[16])
{
    do {
        if (RAND_bytes(serial, 16) != 1)
            return -1;
        serial[0] &= 0x7f; /* positive (§4.1.2.2) */
    } while (serial[0] == 0); /* keep 16 octets: no leading zero byte */
    return 0;
}

int pki_set_serial(X509 *x, const unsigned char serial[16])
{
    BIGNUM *bn = BN_bin2bn(serial, 16, NULL);
    ASN1_INTEGER *ai = bn ? BN_to_ASN1_INTEGER(bn, NULL) : NULL;
    int ok = ai != NULL && !BN_is_zero(bn) && X509_set_serialNumber(x, ai);
    ASN1_INTEGER_free(ai);
    BN_free(bn);
    return ok ? 0 : -1;
}

/* Set the signature field inside the TBS (§4.1.2.3) to the issuer key's algorithm.
 * OpenSSL only exposes it const; it is owned by x and updated in place. */
static int set_tbs_sigalg(X509 *x, const EVP_PKEY *issuer_key)
{
    int nid = pki_sigalg_nid(issuer_key);
    if (nid == NID_undef)
        return -1;
    X509_ALGOR *alg = (X509_ALGOR *)X509_get0_tbs_sigalg(x);
    /* RSA PKCS#1 v1.5 takes NULL parameters; ECDSA takes none (RFC 5758 §3.2). */
    int ptype = nid == NID_sha256WithRSAEncryption ? V_ASN1_NULL : V_ASN1_UNDEF;
    return X509_ALGOR_set0(alg, OBJ_nid2obj(nid), ptype, NULL) ? 0 : -1;
}

/* Puts spki into x byte for byte: algorithm, parameters and key bits. */
static int copy_spki(X509 *x, const X509_PUBKEY *spki)
{
    ASN1_OBJECT *obj;
    const unsigned char *bits;
    int len;
    X509_ALGOR *alg;
    if (!X509_PUBKEY_get0_param(&obj, &bits, &len, &alg, (X509_PUBKEY *)spki))
        return -1;
    const ASN1_OBJECT *aobj;
    int ptype;
    const void *pval;
    X509_ALGOR_get0(&aobj, &ptype, &pval, alg);
    void *param = NULL;
    if (ptype == V_ASN1_OBJECT)
        param = OBJ_dup(pval);
    else if (ptype == V_ASN1_SEQUENCE)
        param = ASN1_STRING_dup(pval);
    else if (ptype != V_ASN1_NULL && ptype != V_ASN1_UNDEF)
        return -1;
    unsigned char *copy = OPENSSL_memdup(bits, (size_t)len);
    ASN1_OBJECT *acopy = OBJ_dup(aobj);
    if ((ptype == V_ASN1_OBJECT || ptype == V_ASN1_SEQUENCE) == (param == NULL) ||
        copy == NULL || acopy == NULL ||
        !X509_PUBKEY_set0_param(X509_get_X509_PUBKEY(x), acopy, ptype, param, copy, len)) {
        if (ptype == V_ASN1_OBJECT)
            ASN1_OBJECT_free(param);
        else
            ASN1_STRING_free(param);
        OPENSSL_free(copy);
        ASN1_OBJECT_free(acopy);
        return -1;
    }
    return 0;
}

static int check_spec(const struct pki_leaf_spec *spec, struct problem *err)
{
    if (spec->pubkey == NULL || spec->subject == NULL)
        return problem_set(err, PK_LEAF_SPEC_INVALID, NULL, "leaf spec lacks a key or subject");
    if (spec->n_uris == 0)
        return problem_set(err, PK_URI_MISSING, NULL, "a certificate needs at least one SAN URI");
    for (size_t i = 0; i < spec->n_uris; i++)
        if (!pki_uri_acceptable(spec->uris[i]))
            return problem_set(err, PK_URI_INVALID, NULL,
                               "SAN URI %zu is not a printable ASCII URI with a scheme", i + 1);
    if (!pki_uri_acceptable(spec->crl_url) || !pki_uri_acceptable(spec->aia_url))
        return problem_set(err, PK_CA_URL_INVALID, NULL, "CRL or AIA URL of the issuer is invalid");
    return 0;
}

int pki_leaf_build_tbs(const struct pki_leaf_spec *spec, const X509 *issuer,
                       unsigned char **tbs, size_t *tbs_len,
                       const unsigned char **alg, size_t *alg_len, struct problem *err)
{
    *tbs = NULL;
    if (check_spec(spec, err) != 0)
        return -1;
    EVP_PKEY *ikey = X509_get0_pubkey(issuer);
    *alg = pki_sigalg_der(ikey, alg_len);
    if (*alg == NULL)
        return problem_set(err, PK_CA_KEY_UNSUPPORTED, NULL, "issuer key type is not supported");

    /* Validity inside the issuer's (§4.1.2.5; a relying party rejects anything else). */
    time_t inb, ina, nb = spec->not_before, na = spec->not_after;
    if (pki_asn1_time_to_time_t(X509_get0_notBefore(issuer), &inb) != 0 ||
        pki_asn1_time_to_time_t(X509_get0_notAfter(issuer), &ina) != 0)
        return problem_set(err, PK_CA_CERT_INVALID, NULL, "issuer validity unreadable");
    if (nb < inb)
        nb = inb;
    if (na > ina)
        na = ina;
    if (nb >= na)
        return problem_set(err, PK_VALIDITY_INVALID, NULL,
                           "the certificate would not be valid for any time inside the issuer's validity");

    X509 *x = X509_new();
    unsigned char *der = NULL;
    int n = 0;
    if (x == NULL || !X509_set_version(x, X509_VERSION_3) ||
        pki_set_serial(x, spec->serial) != 0 ||
        set_tbs_sigalg(x, ikey) != 0 ||
        !X509_set_issuer_name(x, X509_get_subject_name(issuer)) ||
        pki_set_validity(x, nb, na) != 0 ||
        !X509_set_subject_name(x, spec->subject) ||
        (spec->spki ? copy_spki(x, spec->spki) != 0 : !X509_set_pubkey(x, spec->pubkey)) ||
        pki_ext_add_aki(x, issuer) != 0 ||
        pki_ext_add_ski(x) != 0 ||
        pki_ext_add_basic_constraints(x, false, -1) != 0 ||
        pki_ext_add_key_usage(x, KU_DIGITAL_SIGNATURE) != 0 ||
        ((spec->eku_client_auth || spec->eku_server_auth) &&
         pki_ext_add_eku(x, spec->eku_client_auth, spec->eku_server_auth) != 0) ||
        pki_ext_add_san_uris(x, spec->uris, spec->n_uris) != 0 ||
        (spec->n_policies && pki_ext_add_policies(x, spec->policies, spec->n_policies) != 0) ||
        pki_ext_add_crl_dp(x, spec->crl_url) != 0 ||
        pki_ext_add_aia_ca_issuers(x, spec->aia_url) != 0 ||
        (n = i2d_re_X509_tbs(x, &der)) <= 0) {
        X509_free(x);
        return pki_ossl_problem(err, PK_LEAF_BUILD_FAILED, "building the certificate");
    }
    X509_free(x);
    *tbs = malloc((size_t)n);
    if (*tbs == NULL) {
        OPENSSL_free(der);
        return problem_set(err, PK_OUT_OF_MEMORY, NULL, "out of memory");
    }
    memcpy(*tbs, der, (size_t)n);
    *tbs_len = (size_t)n;
    OPENSSL_free(der);
    return 0;
}

/* Signer-side policy: never sign a CA certificate, another issuer's object,
 * or anything outside the CA's validity (RFC 5280 §4.1, §5.1). */
#include "signer/check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "pki/der.h"
#include "pki/sign.h"

int signer_ca_key_prepare(struct signer_ca_key *ca)
{
    unsigned char *der = NULL;
    int n = i2d_X509_NAME(X509_get_subject_name(ca->cert), &der);
    if (n <= 0)
        return -1;
    ca->subject_der = malloc((size_t)n);
    if (ca->subject_der == NULL) {
        OPENSSL_free(der);
        return -1;
    }
    memcpy(ca->subject_der, der, (size_t)n);
    ca->subject_len = (size_t)n;
    OPENSSL_free(der);
    ca->alg = pki_sigalg_der(ca->key, &ca->alg_len);
    return ca->alg != NULL && X509_get0_subject_key_id(ca->cert) != NULL ? 0 : -1;
}

void signer_ca_key_clear(struct signer_ca_key *ca)
{
    X509_free(ca->cert);
    EVP_PKEY_free(ca->key);
    free(ca->subject_der);
    memset(ca, 0, sizeof *ca);
}

#define REFUSE(...) do { snprintf(why, why_size, __VA_ARGS__); goto refuse; } while (0)

int signer_check_cert_tbs(const struct signer_ca_key *ca, const unsigned char *tbs, size_t len,
                          char *why, size_t why_size)
{
    /* Wrap into a Certificate with an empty signature so OpenSSL parses the TBS. */
    static const unsigned char empty_sig[] = {0x00};
    unsigned char *wrapped = NULL, *name = NULL;
    size_t wlen;
    X509 *x = NULL;
    if (pki_assemble_signed(tbs, len, ca->alg, ca->alg_len, empty_sig, 0, &wrapped, &wlen, NULL) != 0)
        REFUSE("out of memory");
    const unsigned char *p = wrapped;
    x = d2i_X509(NULL, &p, (long)wlen);
    if (x == NULL || p != wrapped + wlen)
        REFUSE("TBSCertificate does not parse");
    /* The TBS must be exactly one DER element: nothing after it. */
    const unsigned char *q = tbs, *val;
    size_t vlen;
    if (der_expect(&q, tbs + len, DER_SEQUENCE, &val, &vlen) != 0 || q != tbs + len)
        REFUSE("TBSCertificate is not a single DER SEQUENCE");
    if (X509_get_version(x) != X509_VERSION_3)
        REFUSE("certificate is not v3 (§4.1.2.1)");
    unsigned char *alg = NULL;
    int alen = i2d_X509_ALGOR(X509_get0_tbs_sigalg(x), &alg);
    int alg_ok = alen == (int)ca->alg_len && memcmp(alg, ca->alg, ca->alg_len) == 0;
    OPENSSL_free(alg);
    if (!alg_ok)
        REFUSE("signature algorithm does not match CA %s's key (§4.1.2.3)", ca->id);
    int nlen = i2d_X509_NAME(X509_get_issuer_name(x), &name);
    if (nlen != (int)ca->subject_len || memcmp(name, ca->subject_der, ca->subject_len) != 0)
        REFUSE("issuer is not CA %s's subject (§4.1.2.4)", ca->id);
    uint32_t fl = X509_get_extension_flags(x);
    if (fl & EXFLAG_INVALID)
        REFUSE("an extension is malformed or duplicated");
    const ASN1_OCTET_STRING *aki = X509_get0_authority_key_id(x);
    if (aki == NULL || ASN1_OCTET_STRING_cmp(aki, X509_get0_subject_key_id(ca->cert)) != 0)
        REFUSE("authorityKeyIdentifier is not CA %s's key identifier (§4.2.1.1)", ca->id);
    if ((fl & EXFLAG_CA) || X509_get_ext_by_NID(x, NID_name_constraints, -1) >= 0)
        REFUSE("refusing to sign a CA certificate (basicConstraints CA:TRUE)");
    if ((fl & EXFLAG_KUSAGE) && (X509_get_key_usage(x) & (KU_KEY_CERT_SIGN | KU_CRL_SIGN)))
        REFUSE("refusing keyCertSign/cRLSign in an end-entity certificate (§4.2.1.3)");
    if (X509_get0_pubkey(x) == NULL)
        REFUSE("subject public key unreadable");
    if (ASN1_TIME_compare(X509_get0_notBefore(x), X509_get0_notAfter(x)) >= 0)
        REFUSE("notBefore is not before notAfter");
    if (ASN1_TIME_compare(X509_get0_notBefore(x), X509_get0_notBefore(ca->cert)) < 0 ||
        ASN1_TIME_compare(X509_get0_notAfter(x), X509_get0_notAfter(ca->cert)) > 0)
        REFUSE("validity is outside CA %s's validity (§4.1.2.5)", ca->id);
    OPENSSL_free(name);
    free(wrapped);
    X509_free(x);
    ERR_clear_error();
    return 0;
refuse:
    OPENSSL_free(name);
    free(wrapped);
    X509_free(x);
    ERR_clear_error();
    return -1;
}

static int is_time(unsigned tag)
{
    return tag == DER_UTCTIME || tag == DER_GENTIME;
}

int signer_check_crl_tbs(const struct signer_ca_key *ca, const unsigned char *tbs, size_t len,
                         char *why, size_t why_size)
{
    const unsigned char *p = tbs, *end = tbs + len, *v, *start;
    size_t vlen;
    unsigned tag;
    if (der_expect(&p, end, DER_SEQUENCE, &v, &vlen) != 0 || p != end)
        REFUSE("TBSCertList is not a single DER SEQUENCE");
    p = v;
    end = v + vlen;
    /* §5.1.2.1 version v2 */
    if (der_expect(&p, end, DER_INTEGER, &v, &vlen) != 0 || vlen != 1 || v[0] != 1)
        REFUSE("CRL is not v2 (§5.1.2.1)");
    /* §5.1.2.2 signature */
    start = p;
    if (der_expect(&p, end, DER_SEQUENCE, &v, &vlen) != 0 || (size_t)(p - start) != ca->alg_len ||
        memcmp(start, ca->alg, ca->alg_len) != 0)
        REFUSE("CRL signature algorithm does not match CA %s's key (§5.1.2.2)", ca->id);
    /* §5.1.2.3 issuer, byte-compared */
    start = p;
    if (der_expect(&p, end, DER_SEQUENCE, &v, &vlen) != 0 || (size_t)(p - start) != ca->subject_len ||
        memcmp(start, ca->subject_der, ca->subject_len) != 0)
        REFUSE("CRL issuer is not CA %s's subject (§5.1.2.3)", ca->id);
    /* §5.1.2.4 thisUpdate, §5.1.2.5 nextUpdate (required of conforming CAs) */
    if (der_read(&p, end, &tag, &v, &vlen) != 0 || !is_time(tag) ||
        der_read(&p, end, &tag, &v, &vlen) != 0 || !is_time(tag))
        REFUSE("CRL thisUpdate/nextUpdate missing or malformed (§5.1.2.4-5)");
    /* §5.1.2.6 revokedCertificates */
    const unsigned char *list, *lend;
    if (der_expect(&p, end, DER_SEQUENCE, &list, &vlen) == 0) {
        lend = list + vlen;
        if (vlen == 0)
            REFUSE("empty revokedCertificates must be absent (§5.1.2.6)");
        while (list < lend) {
            const unsigned char *e, *eend;
            if (der_expect(&list, lend, DER_SEQUENCE, &e, &vlen) != 0)
                REFUSE("malformed revoked certificate entry");
            eend = e + vlen;
            if (der_expect(&e, eend, DER_INTEGER, &v, &vlen) != 0 || vlen == 0 || vlen > 21 ||
                der_read(&e, eend, &tag, &v, &vlen) != 0 || !is_time(tag))
                REFUSE("malformed revoked certificate serial or date");
            if (e < eend && (der_expect(&e, eend, DER_SEQUENCE, &v, &vlen) != 0 || e != eend))
                REFUSE("malformed CRL entry extensions");
        }
    }
    /* §5.1.2.7 crlExtensions [0] */
    if (p < end && (der_expect(&p, end, DER_CTX0, &v, &vlen) != 0 || p != end))
        REFUSE("malformed crlExtensions or trailing data in TBSCertList");
    return 0;
refuse:
    return -1;
}

/* Signer-side policy: each CA signs only what its role allows, leaves carry
 * only allow-listed extensions, CRLs stay inside the configured validity and
 * count upwards (RFC 5280 §4.1, §4.2, §5.1, §5.2). Rules: src/signer/README.md. */
#include "signer/check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
    /* the role comes from the certificate, not from what the web process says */
    ca->role = X509_check_issued(ca->cert, ca->cert) == X509_V_OK && X509_verify(ca->cert, ca->key) == 1
                   ? SIGNER_ROLE_ROOT
                   : SIGNER_ROLE_ISSUING;
    ERR_clear_error();
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

/* Extensions an end-entity certificate may carry (§4.2): anything else,
 * Netscape cert type included, is refused. Data, not code: a profile's new
 * extension is one line here. */
struct ext_rule {
    int nid;
    const char *name;
};
static const struct ext_rule LEAF_EXTENSIONS[] = {
    {NID_subject_key_identifier, "subjectKeyIdentifier (§4.2.1.2)"},
    {NID_authority_key_identifier, "authorityKeyIdentifier (§4.2.1.1)"},
    {NID_key_usage, "keyUsage (§4.2.1.3)"},
    {NID_basic_constraints, "basicConstraints (§4.2.1.9)"},
    {NID_subject_alt_name, "subjectAltName (§4.2.1.6)"},
    {NID_ext_key_usage, "extendedKeyUsage (§4.2.1.12)"},
    {NID_crl_distribution_points, "cRLDistributionPoints (§4.2.1.13)"},
    {NID_info_access, "authorityInfoAccess (§4.2.2.1)"},
    {NID_certificate_policies, "certificatePolicies (§4.2.1.4)"},
};
/* extendedKeyUsage purposes a UDAP profile may set (§4.2.1.12). */
static const int LEAF_EKUS[] = {NID_client_auth, NID_server_auth};
/* keyUsage bits an end-entity key may have (§4.2.1.3): no keyCertSign, cRLSign. */
#define LEAF_KU_ALLOWED (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION | KU_KEY_ENCIPHERMENT | KU_KEY_AGREEMENT)

/* NULL when every extension of x is allowed in a leaf, else what is wrong. */
static const char *leaf_extensions_refusal(X509 *x, char *buf, size_t len)
{
    for (int i = 0; i < X509_get_ext_count(x); i++) {
        int nid = OBJ_obj2nid(X509_EXTENSION_get_object(X509_get_ext(x, i)));
        size_t k = 0;
        while (k < sizeof LEAF_EXTENSIONS / sizeof LEAF_EXTENSIONS[0] && LEAF_EXTENSIONS[k].nid != nid)
            k++;
        if (k == sizeof LEAF_EXTENSIONS / sizeof LEAF_EXTENSIONS[0]) {
            char oid[80];
            OBJ_obj2txt(oid, sizeof oid, X509_EXTENSION_get_object(X509_get_ext(x, i)), 1);
            snprintf(buf, len, "extension %s is not allowed in an end-entity certificate (§4.2)", oid);
            return buf;
        }
    }
    EXTENDED_KEY_USAGE *eku = X509_get_ext_d2i(x, NID_ext_key_usage, NULL, NULL);
    const char *bad = NULL;
    for (int i = 0; eku != NULL && bad == NULL && i < sk_ASN1_OBJECT_num(eku); i++) {
        int nid = OBJ_obj2nid(sk_ASN1_OBJECT_value(eku, i));
        size_t k = 0;
        while (k < sizeof LEAF_EKUS / sizeof LEAF_EKUS[0] && LEAF_EKUS[k] != nid)
            k++;
        if (k == sizeof LEAF_EKUS / sizeof LEAF_EKUS[0]) {
            char oid[80];
            OBJ_obj2txt(oid, sizeof oid, sk_ASN1_OBJECT_value(eku, i), 1);
            snprintf(buf, len, "extendedKeyUsage %s is not allowed: only clientAuth, serverAuth (§4.2.1.12)", oid);
            bad = buf;
        }
    }
    sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);
    if (bad == NULL && (X509_get_extension_flags(x) & EXFLAG_KUSAGE) && (X509_get_key_usage(x) & ~LEAF_KU_ALLOWED)) {
        snprintf(buf, len, "refusing keyCertSign/cRLSign in an end-entity certificate (§4.2.1.3)");
        bad = buf;
    }
    return bad;
}

/* NULL when x is the certificate of one of the set's issuing CAs (same
 * subject, same key, CA:TRUE): the only certificate a root signs. */
static const char *root_cert_refusal(X509 *x, const struct signer_ca_key *set, size_t n, char *buf, size_t len)
{
    if (!(X509_get_extension_flags(x) & EXFLAG_CA)) {
        snprintf(buf, len, "a root CA signs no end-entity certificate (§4.2.1.9): only its issuing CAs");
        return buf;
    }
    for (size_t i = 0; i < n; i++)
        if (set[i].role == SIGNER_ROLE_ISSUING &&
            X509_NAME_cmp(X509_get_subject_name(x), X509_get_subject_name(set[i].cert)) == 0 &&
            EVP_PKEY_eq(X509_get0_pubkey(x), X509_get0_pubkey(set[i].cert)) == 1)
            return NULL;
    snprintf(buf, len, "a root CA signs only the certificate of an issuing CA it serves (same subject and key)");
    return buf;
}

int signer_check_cert_tbs(const struct signer_ca_key *ca, const struct signer_ca_key *set, size_t n,
                          const unsigned char *tbs, size_t len, char *why, size_t why_size)
{
    char rule[200];
    const char *bad;
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
    if (ca->role == SIGNER_ROLE_ROOT) {
        if ((bad = root_cert_refusal(x, set, n, rule, sizeof rule)) != NULL)
            REFUSE("%s", bad);
    } else {
        if ((fl & EXFLAG_CA) || X509_get_ext_by_NID(x, NID_name_constraints, -1) >= 0)
            REFUSE("refusing to sign a CA certificate (basicConstraints CA:TRUE, §4.2.1.9)");
        if ((bad = leaf_extensions_refusal(x, rule, sizeof rule)) != NULL)
            REFUSE("%s", bad);
    }
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

/* A Time as RFC 5280 §4.1.2.5 has it: UTCTime YYMMDDHHMMSSZ or
 * GeneralizedTime YYYYMMDDHHMMSSZ, digits and a Z. */
static int is_time(unsigned tag, const unsigned char *v, size_t len)
{
    size_t digits = tag == DER_UTCTIME ? 12 : tag == DER_GENTIME ? 14 : 0;
    if (!digits || len != digits + 1 || v[digits] != 'Z')
        return 0;
    for (size_t i = 0; i < digits; i++)
        if (v[i] < '0' || v[i] > '9')
            return 0;
    return 1;
}

/* Extensions a CRL may carry (§5.2): authorityKeyIdentifier, cRLNumber,
 * issuingDistributionPoint; entries only reasonCode and invalidityDate (§5.3). */
static const int CRL_EXTENSIONS[] = {NID_authority_key_identifier, NID_crl_number, NID_issuing_distribution_point};

/* An entry's extensions (§5.3): only reasonCode (2.5.29.21) and
 * invalidityDate (2.5.29.24), compared as DER bytes: a million entries are
 * walked here, so nothing is decoded into OpenSSL objects. */
static int entry_extensions_ok(const unsigned char *p, const unsigned char *end)
{
    static const unsigned char reason[] = {0x55, 0x1d, 0x15}, invalidity[] = {0x55, 0x1d, 0x18};
    const unsigned char *x, *v;
    size_t xlen, vlen;
    unsigned tag;
    while (p < end) {
        if (der_expect(&p, end, DER_SEQUENCE, &x, &xlen) != 0)
            return 0;
        const unsigned char *xend = x + xlen;
        if (der_expect(&x, xend, DER_OID, &v, &vlen) != 0 || vlen != 3 ||
            (memcmp(v, reason, 3) != 0 && memcmp(v, invalidity, 3) != 0))
            return 0;
        if (der_read(&x, xend, &tag, &v, &vlen) != 0)
            return 0;
        if (tag == DER_BOOLEAN && der_read(&x, xend, &tag, &v, &vlen) != 0)
            return 0;
        if (tag != DER_OCTET_STRING || x != xend)
            return 0;
    }
    return 1;
}

/* crlExtensions (§5.2): allowed ones only, each once; the cRLNumber into *n. */
static int crl_extensions(const unsigned char *p, const unsigned char *end, uint64_t *n, char *why, size_t why_size)
{
    ASN1_OBJECT *obj = NULL;
    ASN1_INTEGER *num = NULL;
    const unsigned char *x, *v, *q;
    size_t xlen, vlen;
    unsigned tag;
    int seen[sizeof CRL_EXTENSIONS / sizeof CRL_EXTENSIONS[0]] = {0};
    bool have_number = false;
    while (p < end) {
        if (der_expect(&p, end, DER_SEQUENCE, &x, &xlen) != 0)
            REFUSE("malformed crlExtensions or trailing data in TBSCertList");
        const unsigned char *xend = x + xlen, *oid = x;
        if (der_expect(&x, xend, DER_OID, &v, &vlen) != 0)
            REFUSE("malformed crlExtensions or trailing data in TBSCertList");
        q = oid;
        ASN1_OBJECT_free(obj);
        if ((obj = d2i_ASN1_OBJECT(NULL, &q, x - oid)) == NULL)
            REFUSE("malformed crlExtensions or trailing data in TBSCertList");
        int nid = OBJ_obj2nid(obj);
        size_t k = 0;
        while (k < sizeof CRL_EXTENSIONS / sizeof CRL_EXTENSIONS[0] && CRL_EXTENSIONS[k] != nid)
            k++;
        if (k == sizeof CRL_EXTENSIONS / sizeof CRL_EXTENSIONS[0]) {
            char text[80];
            OBJ_obj2txt(text, sizeof text, obj, 1);
            REFUSE("CRL extension %s is not allowed (§5.2)", text);
        }
        if (seen[k]++)
            REFUSE("CRL extension %s appears twice (§4.2)", OBJ_nid2sn(nid));
        if (der_read(&x, xend, &tag, &v, &vlen) != 0 ||
            (tag == DER_BOOLEAN && der_read(&x, xend, &tag, &v, &vlen) != 0) || tag != DER_OCTET_STRING ||
            x != xend)
            REFUSE("malformed crlExtensions or trailing data in TBSCertList");
        if (nid == NID_crl_number) {
            q = v;
            if ((num = d2i_ASN1_INTEGER(NULL, &q, (long)vlen)) == NULL || q != v + vlen ||
                ASN1_INTEGER_get_uint64(n, num) != 1)
                REFUSE("CRL has no cRLNumber, or one too large (§5.2.3)");
            have_number = true;
        }
    }
    if (!have_number)
        REFUSE("CRL has no cRLNumber, or one too large (§5.2.3)");
    ASN1_OBJECT_free(obj);
    ASN1_INTEGER_free(num);
    ERR_clear_error();
    return 0;
refuse:
    ASN1_OBJECT_free(obj);
    ASN1_INTEGER_free(num);
    ERR_clear_error();
    return -1;
}

/* thisUpdate and nextUpdate (TLVs) against the clock and the policy. */
static int crl_times(const struct signer_policy *pol, const unsigned char *tu_der, size_t tu_len,
                     const unsigned char *nu_der, size_t nu_len, char *why, size_t why_size)
{
    const unsigned char *q = tu_der;
    ASN1_TIME *tu = d2i_ASN1_TIME(NULL, &q, (long)tu_len), *nu = NULL;
    q = nu_der;
    nu = d2i_ASN1_TIME(NULL, &q, (long)nu_len);
    time_t now = time(NULL);
    int days, secs;
    if (tu == NULL || nu == NULL)
        REFUSE("CRL thisUpdate/nextUpdate missing (§5.1.2.4-5)");
    if (X509_cmp_time(tu, &(time_t){now + SIGNER_CRL_MARGIN_S}) > 0 ||
        X509_cmp_time(tu, &(time_t){now - SIGNER_CRL_BACKDATE_S}) < 0)
        REFUSE("CRL thisUpdate is not now (within %ld s ahead, %ld s back) (§5.1.2.4)", SIGNER_CRL_MARGIN_S,
               SIGNER_CRL_BACKDATE_S);
    if (!ASN1_TIME_diff(&days, &secs, tu, nu) || days < 0 || (days == 0 && secs <= 0))
        REFUSE("CRL nextUpdate is not after thisUpdate (§5.1.2.5)");
    if (X509_cmp_time(nu, &(time_t){now + pol->crl_validity_seconds + SIGNER_CRL_MARGIN_S}) > 0)
        REFUSE("CRL nextUpdate is more than [ca] crl_validity_hours (%ld h) from now (§5.1.2.5)",
               pol->crl_validity_seconds / 3600);
    ASN1_TIME_free(tu);
    ASN1_TIME_free(nu);
    ERR_clear_error();
    return 0;
refuse:
    ASN1_TIME_free(tu);
    ASN1_TIME_free(nu);
    ERR_clear_error();
    return -1;
}

/* One walk over the DER (a CRL of a million entries was once parsed whole
 * with d2i_X509_CRL here: most of its signing time and hundreds of MB). */
int signer_check_crl_tbs(const struct signer_ca_key *ca, const struct signer_policy *pol,
                         const unsigned char *tbs, size_t len, uint64_t *number, char *why, size_t why_size)
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
    const unsigned char *tu = p, *nu;
    if (der_read(&p, end, &tag, &v, &vlen) != 0 || !is_time(tag, v, vlen))
        REFUSE("CRL thisUpdate/nextUpdate missing or malformed (§5.1.2.4-5)");
    nu = p;
    if (der_read(&p, end, &tag, &v, &vlen) != 0 || !is_time(tag, v, vlen))
        REFUSE("CRL thisUpdate/nextUpdate missing or malformed (§5.1.2.4-5)");
    if (crl_times(pol, tu, (size_t)(nu - tu), nu, (size_t)(p - nu), why, why_size) != 0)
        return -1;
    /* §5.1.2.6 revokedCertificates */
    const unsigned char *list, *lend;
    if (p < end && *p == DER_SEQUENCE && der_expect(&p, end, DER_SEQUENCE, &list, &vlen) == 0) {
        lend = list + vlen;
        if (vlen == 0)
            REFUSE("empty revokedCertificates must be absent (§5.1.2.6)");
        while (list < lend) {
            const unsigned char *e, *eend;
            if (der_expect(&list, lend, DER_SEQUENCE, &e, &vlen) != 0)
                REFUSE("malformed revoked certificate entry");
            eend = e + vlen;
            if (der_expect(&e, eend, DER_INTEGER, &v, &vlen) != 0 || vlen == 0 || vlen > 21 ||
                der_read(&e, eend, &tag, &v, &vlen) != 0 || !is_time(tag, v, vlen))
                REFUSE("malformed revoked certificate serial or date");
            if (e < eend) {
                if (der_expect(&e, eend, DER_SEQUENCE, &v, &vlen) != 0 || e != eend)
                    REFUSE("malformed CRL entry extensions");
                if (!entry_extensions_ok(v, v + vlen))
                    REFUSE("CRL entry extension not allowed: only reasonCode, invalidityDate (§5.3)");
            }
        }
    }
    /* §5.1.2.7 crlExtensions [0] EXPLICIT SEQUENCE, required here: the cRLNumber */
    const unsigned char *x, *xv;
    size_t xlen;
    if (p >= end)
        REFUSE("CRL has no cRLNumber, or one too large (§5.2.3)");
    if (der_expect(&p, end, DER_CTX0, &x, &xlen) != 0 || p != end ||
        der_expect(&x, x + xlen, DER_SEQUENCE, &xv, &vlen) != 0 || x != p)
        REFUSE("malformed crlExtensions or trailing data in TBSCertList");
    uint64_t n = 0;
    if (crl_extensions(xv, xv + vlen, &n, why, why_size) != 0)
        return -1;
    if (n <= ca->last_crl_number)
        REFUSE("CRL number %llu is not above %llu, the last this signer signed for CA %s (§5.2.3)",
               (unsigned long long)n, (unsigned long long)ca->last_crl_number, ca->id);
    *number = n;
    return 0;
refuse:
    return -1;
}

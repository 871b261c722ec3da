/* CertificateList encoding, RFC 5280 §5.1 (fields), §5.2 (CRL extensions), §5.3 (entry extensions). */
#include "pki/crl.h"

#include <string.h>

#include <openssl/x509v3.h>

#include "pki/der.h"
#include "pki/sign.h"

static const char *const REASON_NAMES[11] = {
    "unspecified", "keyCompromise", "cACompromise", "affiliationChanged", "superseded",
    "cessationOfOperation", "certificateHold", NULL, NULL /* removeFromCRL: delta CRLs only */,
    "privilegeWithdrawn", "aACompromise",
};

/* OIDs: id-ce-authorityKeyIdentifier, id-ce-cRLNumber, id-ce-cRLReasons (§4.2.1.1, §5.2.3, §5.3.1). */
static const unsigned char OID_AKI[] = {0x55, 0x1d, 0x23};
static const unsigned char OID_CRL_NUMBER[] = {0x55, 0x1d, 0x14};
static const unsigned char OID_REASON[] = {0x55, 0x1d, 0x15};

int pki_crl_reason_from_name(const char *name)
{
    for (int i = 0; name != NULL && i < 11; i++)
        if (REASON_NAMES[i] != NULL && strcmp(REASON_NAMES[i], name) == 0)
            return i;
    return -1;
}

const char *pki_crl_reason_name(int code)
{
    return code >= 0 && code < 11 ? REASON_NAMES[code] : NULL;
}

/* Extension ::= SEQUENCE { extnID, critical DEFAULT FALSE (omitted), extnValue OCTET STRING }
 * with the value produced by the caller between ext_begin and ext_end. */
static size_t ext_begin(struct der_buf *b, const unsigned char *oid, size_t oid_len, size_t *octets)
{
    size_t m = der_begin(b, DER_SEQUENCE);
    der_put_tlv(b, DER_OID, oid, oid_len);
    *octets = der_begin(b, DER_OCTET_STRING);
    return m;
}

static void ext_end(struct der_buf *b, size_t m, size_t octets)
{
    der_end(b, octets);
    der_end(b, m);
}

static int put_entry(struct der_buf *b, const struct pki_crl_entry *e, struct problem *err)
{
    if (e->serial_len == 0 || e->serial_len > 20 || (e->serial[0] & 0x80))
        return problem_set(err, PK_CRL_ENTRY_INVALID, NULL, "revoked serial must be 1..20 bytes, positive");
    if (pki_crl_reason_name(e->reason) == NULL)
        return problem_set(err, PK_CRL_ENTRY_INVALID, NULL, "revocation reason %d is not allowed", e->reason);
    size_t m = der_begin(b, DER_SEQUENCE);
    der_put_uint_bytes(b, e->serial, e->serial_len);
    der_put_time(b, e->revoked_at);
    /* §5.3.1: the reasonCode extension SHOULD be absent rather than say unspecified. */
    if (e->reason != PKI_REASON_UNSPECIFIED) {
        size_t exts = der_begin(b, DER_SEQUENCE), oct;
        size_t x = ext_begin(b, OID_REASON, sizeof OID_REASON, &oct);
        unsigned char code = (unsigned char)e->reason;
        der_put_tlv(b, DER_ENUMERATED, &code, 1);
        ext_end(b, x, oct);
        der_end(b, exts);
    }
    der_end(b, m);
    return 0;
}

int pki_crl_build_tbs(const struct pki_crl_spec *spec, pki_crl_next_fn next, void *ctx,
                      size_t size_hint, unsigned char **tbs, size_t *tbs_len, struct problem *err)
{
    *tbs = NULL;
    size_t alg_len;
    const unsigned char *alg = pki_sigalg_der(X509_get0_pubkey(spec->issuer), &alg_len);
    const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id((X509 *)spec->issuer);
    if (alg == NULL || ski == NULL)
        return problem_set(err, PK_CA_CERT_INVALID, NULL, "issuer key unsupported or issuer lacks an SKI");
    if (spec->next_update <= spec->this_update)
        return problem_set(err, PK_CRL_DATES_INVALID, NULL, "nextUpdate must be after thisUpdate");
    unsigned char *name = NULL;
    int name_len = i2d_X509_NAME(X509_get_subject_name(spec->issuer), &name);
    if (name_len <= 0)
        return pki_ossl_problem(err, PK_CA_CERT_INVALID, "encoding the issuer name");

    struct der_buf b;
    der_init(&b, 256 + (size_t)name_len + (size_hint > 1u << 24 ? 1u << 24 : size_hint) * 48);
    size_t top = der_begin(&b, DER_SEQUENCE);
    static const unsigned char v2[] = {0x01}; /* Version v2 (§5.1.2.1) */
    der_put_tlv(&b, DER_INTEGER, v2, 1);
    der_put(&b, alg, alg_len);                  /* §5.1.2.2 */
    der_put(&b, name, (size_t)name_len);        /* §5.1.2.3 */
    der_put_time(&b, spec->this_update);        /* §5.1.2.4 */
    der_put_time(&b, spec->next_update);        /* §5.1.2.5 */
    OPENSSL_free(name);

    /* revokedCertificates (§5.1.2.6): absent when empty. */
    size_t list = der_begin(&b, DER_SEQUENCE), count = 0;
    struct pki_crl_entry e;
    int r;
    while ((r = next(ctx, &e)) == 1) {
        if (put_entry(&b, &e, err) != 0) {
            der_free(&b);
            return -1;
        }
        count++;
    }
    if (r < 0) {
        der_free(&b);
        return problem_set(err, PK_CRL_SOURCE_FAILED, NULL, "reading the revoked certificates failed");
    }
    if (count == 0 && !b.failed)
        b.len = list;
    else
        der_end(&b, list);

    /* crlExtensions [0] EXPLICIT: AKI (§5.2.1) and cRLNumber (§5.2.3), both non-critical. */
    size_t ctx0 = der_begin(&b, DER_CTX0), exts = der_begin(&b, DER_SEQUENCE), oct;
    size_t x = ext_begin(&b, OID_AKI, sizeof OID_AKI, &oct);
    size_t akid = der_begin(&b, DER_SEQUENCE);
    der_put_tlv(&b, DER_CTX_PRIM0, ASN1_STRING_get0_data(ski), (size_t)ASN1_STRING_length(ski));
    der_end(&b, akid);
    ext_end(&b, x, oct);
    x = ext_begin(&b, OID_CRL_NUMBER, sizeof OID_CRL_NUMBER, &oct);
    der_put_uint64(&b, spec->number);
    ext_end(&b, x, oct);
    der_end(&b, exts);
    der_end(&b, ctx0);
    der_end(&b, top);

    *tbs = der_take(&b, tbs_len);
    if (*tbs == NULL)
        return problem_set(err, PK_CRL_BUILD_FAILED, NULL, "out of memory or a date outside 1950..9999");
    return 0;
}

struct array_src {
    const struct pki_crl_entry *e;
    size_t n, i;
};

static int array_next(void *ctx, struct pki_crl_entry *out)
{
    struct array_src *s = ctx;
    if (s->i >= s->n)
        return 0;
    *out = s->e[s->i++];
    return 1;
}

int pki_crl_build_tbs_array(const struct pki_crl_spec *spec, const struct pki_crl_entry *entries,
                            size_t n, unsigned char **tbs, size_t *tbs_len, struct problem *err)
{
    struct array_src src = {entries, n, 0};
    return pki_crl_build_tbs(spec, array_next, &src, n, tbs, tbs_len, err);
}

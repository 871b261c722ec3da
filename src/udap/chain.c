/* Trust in the signer's certificate, as the reference relying party checks
 * it: a chain from the leaf to one of the trust context's anchors
 * (intermediates from x5c or published), validity at now of every
 * certificate, an HTTP CRL distribution point in every non-root
 * certificate that names a CRL the context publishes, and revocation of
 * every non-root certificate by that CRL, failing closed (stale, not yet
 * valid, or wrongly signed CRLs reject). */
#include "udap/internal.h"

#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <string.h>

#define REF_CHAIN "IG §7.1.6 (chain to a trust anchor of the community)"
#define REF_VALID "IG §7.1.6; RFC 5280 §6.1.3 (validity period)"
#define REF_CDP "IG §7.1.6; RFC 5280 §4.2.1.13 (CRL distribution points)"
#define REF_REVOKE "IG §7.1.6 (revocation of every certificate); RFC 5280 §6.3"

void udap_name(const X509_NAME *n, char *out, size_t len)
{
    out[0] = 0;
    BIO *b = BIO_new(BIO_s_mem());
    if (!b)
        return;
    X509_NAME_print_ex(b, n, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
    int got = BIO_read(b, out, (int)len - 1);
    out[got > 0 ? got : 0] = 0;
    BIO_free(b);
}

static void build_chain(struct vctx *v)
{
    X509_STORE *store = X509_STORE_new();
    STACK_OF(X509) *untrusted = sk_X509_new_null();
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    for (int i = 0; i < sk_X509_num(v->t->anchors); i++)
        X509_STORE_add_cert(store, sk_X509_value(v->t->anchors, i));
    for (int i = 1; i < sk_X509_num(v->x5c); i++)
        sk_X509_push(untrusted, sk_X509_value(v->x5c, i));
    for (int i = 0; i < sk_X509_num(v->t->intermediates); i++)
        sk_X509_push(untrusted, sk_X509_value(v->t->intermediates, i));
    X509_STORE_CTX_init(ctx, store, v->leaf, untrusted);
    /* dates and revocation are checks of their own */
    X509_STORE_CTX_set_flags(ctx, X509_V_FLAG_NO_CHECK_TIME);
    int ok = X509_verify_cert(ctx);
    char subj[256];
    if (ok == 1) {
        v->chain = X509_STORE_CTX_get1_chain(ctx);
        X509 *top = sk_X509_value(v->chain, sk_X509_num(v->chain) - 1);
        udap_name(X509_get_subject_name(top), subj, sizeof subj);
        check(v, "chain", true, FAIL_TRUST, REF_CHAIN,
              "%d certificate(s) up to the %s anchor %s", sk_X509_num(v->chain),
              v->t->label, subj);
    } else {
        int e = X509_STORE_CTX_get_error(ctx);
        X509 *at = X509_STORE_CTX_get_current_cert(ctx);
        udap_name(at ? X509_get_subject_name(at) : X509_get_subject_name(v->leaf), subj,
                  sizeof subj);
        if (e == X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN ||
            e == X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT)
            check(v, "chain", false, FAIL_TRUST, REF_CHAIN,
                  "the chain ends at %s, which is not a trust anchor of the %s",
                  subj, v->t->label);
        else
            check(v, "chain", false, FAIL_TRUST, REF_CHAIN,
                  "no chain to a trust anchor of the %s: %s (at %s)", v->t->label,
                  X509_verify_cert_error_string(e), subj);
    }
    X509_STORE_CTX_free(ctx);
    sk_X509_free(untrusted);
    X509_STORE_free(store);
}

static void fmt_asn1(const ASN1_TIME *t, char *out, size_t len)
{
    struct tm tm;
    if (ASN1_TIME_to_tm(t, &tm))
        strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
    else
        snprintf(out, len, "?");
}

static void validity_check(struct vctx *v, STACK_OF(X509) *certs)
{
    time_t now = v->in->now;
    for (int i = 0; i < sk_X509_num(certs); i++) {
        X509 *c = sk_X509_value(certs, i);
        char subj[256], when[32];
        int before = X509_cmp_time(X509_get0_notBefore(c), &now);
        int after = X509_cmp_time(X509_get0_notAfter(c), &now);
        if (before >= 0 || after <= 0) {
            udap_name(X509_get_subject_name(c), subj, sizeof subj);
            fmt_asn1(before >= 0 ? X509_get0_notBefore(c) : X509_get0_notAfter(c), when,
                     sizeof when);
            check(v, "validity", false, FAIL_TRUST, REF_VALID, "%s %s %s",
                  i == 0 ? "the leaf" : subj,
                  before >= 0 ? "is not valid before" : "expired at", when);
            return;
        }
    }
    char na[32];
    fmt_asn1(X509_get0_notAfter(sk_X509_value(certs, 0)), na, sizeof na);
    check(v, "validity", true, FAIL_TRUST, REF_VALID,
          "every certificate is valid now; the leaf until %s", na);
}

/* The first http(s) URI of the CRL distribution points, into url. */
static bool cdp_url(X509 *c, char *url, size_t len)
{
    STACK_OF(DIST_POINT) *dps = X509_get_ext_d2i(c, NID_crl_distribution_points, NULL, NULL);
    bool found = false;
    for (int i = 0; !found && i < sk_DIST_POINT_num(dps); i++) {
        DIST_POINT *dp = sk_DIST_POINT_value(dps, i);
        if (!dp->distpoint || dp->distpoint->type != 0)
            continue;
        GENERAL_NAMES *names = dp->distpoint->name.fullname;
        for (int j = 0; !found && j < sk_GENERAL_NAME_num(names); j++) {
            GENERAL_NAME *g = sk_GENERAL_NAME_value(names, j);
            if (g->type != GEN_URI)
                continue;
            const char *s = (const char *)ASN1_STRING_get0_data(g->d.uniformResourceIdentifier);
            int n = ASN1_STRING_length(g->d.uniformResourceIdentifier);
            if (n > 0 && (size_t)n < len && (!strncmp(s, "http://", 7) || !strncmp(s, "https://", 8))) {
                memcpy(url, s, (size_t)n);
                url[n] = 0;
                found = true;
            }
        }
    }
    sk_DIST_POINT_pop_free(dps, DIST_POINT_free);
    return found;
}

static X509_CRL *crl_at(const struct udap_trust *t, const char *url)
{
    for (size_t i = 0; i < t->ncrls; i++)
        if (!strcmp(t->crls[i].url, url))
            return t->crls[i].crl;
    return NULL;
}

static const char *reason_name(int r)
{
    static const char *const names[] = {
        "unspecified", "keyCompromise", "cACompromise", "affiliationChanged",
        "superseded", "cessationOfOperation", "certificateHold", "(7)",
        "removeFromCRL", "privilegeWithdrawn", "aACompromise"};
    return r >= 0 && r <= 10 ? names[r] : "unspecified";
}

/* Revocation of chain[i] by the CRL its CDP names; false with why. */
static bool not_revoked(struct vctx *v, int i, X509_CRL *crl, char *why, size_t len)
{
    X509 *c = sk_X509_value(v->chain, i), *issuer = sk_X509_value(v->chain, i + 1);
    char subj[256];
    udap_name(X509_get_subject_name(c), subj, sizeof subj);
    const char *who = i == 0 ? "the leaf" : subj;
    time_t now = v->in->now;
    if (X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(issuer))) {
        snprintf(why, len, "the CRL for %s is not issued by its issuer", who);
        return false;
    }
    if (X509_CRL_verify(crl, X509_get0_pubkey(issuer)) != 1) {
        ERR_clear_error();
        snprintf(why, len, "the CRL for %s is not signed by its issuer's key", who);
        return false;
    }
    const ASN1_TIME *tu = X509_CRL_get0_lastUpdate(crl), *nu = X509_CRL_get0_nextUpdate(crl);
    char when[32];
    if (!tu || X509_cmp_time(tu, &now) > 0) {
        fmt_asn1(tu, when, sizeof when);
        snprintf(why, len, "the CRL for %s has thisUpdate %s, in the future", who, when);
        return false;
    }
    if (!nu || X509_cmp_time(nu, &now) <= 0) {
        if (nu)
            fmt_asn1(nu, when, sizeof when);
        snprintf(why, len, "the CRL for %s %s%s", who,
                 nu ? "expired: nextUpdate " : "has no nextUpdate", nu ? when : "");
        return false;
    }
    X509_REVOKED *rev = NULL;
    if (X509_CRL_get0_by_serial(crl, &rev, X509_get0_serialNumber(c)) == 1 && rev) {
        ASN1_ENUMERATED *e = X509_REVOKED_get_ext_d2i(rev, NID_crl_reason, NULL, NULL);
        int reason = e ? (int)ASN1_ENUMERATED_get(e) : 0;
        ASN1_ENUMERATED_free(e);
        fmt_asn1(X509_REVOKED_get0_revocationDate(rev), when, sizeof when);
        snprintf(why, len, "%s is %s since %s (%s)", who,
                 reason == 6 ? "on hold" : "revoked", when, reason_name(reason));
        return false;
    }
    return true;
}

static void cdp_and_revocation(struct vctx *v)
{
    int n = sk_X509_num(v->chain);
    bool cdp_ok = true, rev_ok = true;
    char cdp_why[1024] = "", rev_why[1024] = "";
    for (int i = 0; i + 1 < n; i++) { /* the anchor is not on any CRL */
        X509 *c = sk_X509_value(v->chain, i);
        char url[512], subj[256];
        udap_name(X509_get_subject_name(c), subj, sizeof subj);
        const char *who = i == 0 ? "the leaf" : subj;
        X509_CRL *crl = NULL;
        if (!cdp_url(c, url, sizeof url)) {
            if (cdp_ok)
                snprintf(cdp_why, sizeof cdp_why,
                         "%s has no HTTP CRL distribution point: a relying party "
                         "cannot check its revocation", who);
            cdp_ok = false;
        } else if (!(crl = crl_at(v->t, url))) {
            if (cdp_ok)
                snprintf(cdp_why, sizeof cdp_why,
                         "the CRL distribution point of %s, %s, is not a CRL the %s "
                         "publishes: fetching it fails", who, url, v->t->label);
            cdp_ok = false;
        }
        if (!crl) {
            if (rev_ok)
                snprintf(rev_why, sizeof rev_why,
                         "the revocation status of %s cannot be checked (no CRL): "
                         "relying parties fail closed", who);
            rev_ok = false;
        } else if (rev_ok && !not_revoked(v, i, crl, rev_why, sizeof rev_why))
            rev_ok = false;
    }
    if (cdp_ok)
        check(v, "crl_distribution_point", true, FAIL_TRUST, REF_CDP,
              "every certificate below the anchor names a CRL the %s publishes",
              v->t->label);
    else
        check(v, "crl_distribution_point", false, FAIL_TRUST, REF_CDP, "%s", cdp_why);
    if (rev_ok)
        check(v, "revocation", true, FAIL_TRUST, REF_REVOKE,
              "no certificate of the chain is revoked or on hold; every CRL is "
              "current and signed by its issuer");
    else
        check(v, "revocation", false, FAIL_TRUST, REF_REVOKE, "%s", rev_why);
}

void chain_checks(struct vctx *v)
{
    if (!v->leaf)
        return;
    build_chain(v);
    validity_check(v, v->chain ? v->chain : v->x5c);
    if (v->chain)
        cdp_and_revocation(v);
}

/* The validator's entry: runs the JWS, chain and claims checks and turns
 * the first failure into the error a relying party would answer. */
#include "udap/internal.h"

#include <openssl/x509v3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const kind_names[] = {"auto", "software_statement", "signed_metadata",
                                         "client_assertion"};

int udap_kind_parse(const char *s)
{
    for (int i = 0; i < 4; i++)
        if (!strcmp(s, kind_names[i]))
            return i;
    return -1;
}

const char *udap_kind_name(enum udap_kind k)
{
    return (unsigned)k < 4 ? kind_names[k] : "auto";
}

void check(struct vctx *v, const char *name, bool ok, enum fail_class cls,
           const char *ref, const char *fmt, ...)
{
    char detail[1400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    if (!ok && !v->failed) {
        v->failed = true;
        v->first = cls;
    }
    /* detail may quote input: keep it valid UTF-8 for JSON */
    json_t *d = json_string(detail);
    if (!d) {
        for (char *p = detail; *p; p++)
            if ((unsigned char)*p >= 0x80)
                *p = '?';
        d = json_string(detail);
    }
    json_array_append_new(v->checks, json_pack("{s:s, s:b, s:o, s:s}", "name", name,
                                               "ok", ok, "detail", d ? d : json_null(),
                                               "reference", ref));
}

static const char *error_of(const struct vctx *v)
{
    if (!v->failed)
        return NULL;
    switch (v->kind) {
    case UDAP_CLIENT_ASSERTION:
        return "invalid_client";
    case UDAP_SIGNED_METADATA:
        return "invalid_signed_metadata";
    default:
        return v->first == FAIL_TRUST ? "unapproved_software_statement"
                                      : "invalid_software_statement";
    }
}

static void fmt_time(const ASN1_TIME *t, char *out, size_t len)
{
    struct tm tm;
    if (ASN1_TIME_to_tm(t, &tm))
        strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
    else
        snprintf(out, len, "?");
}

static bool in_stack(STACK_OF(X509) *s, X509 *c)
{
    for (int i = 0; i < sk_X509_num(s); i++)
        if (!X509_cmp(sk_X509_value(s, i), c))
            return true;
    return false;
}

/* The chain for display: as built, else as sent; where each came from. */
static json_t *chain_json(const struct vctx *v)
{
    json_t *out = json_array();
    STACK_OF(X509) *certs = v->chain ? v->chain : v->x5c;
    for (int i = 0; i < sk_X509_num(certs); i++) {
        X509 *c = sk_X509_value(certs, i);
        char subj[256], iss[256], nb[32], na[32], serial[80] = "";
        udap_name(X509_get_subject_name(c), subj, sizeof subj);
        udap_name(X509_get_issuer_name(c), iss, sizeof iss);
        fmt_time(X509_get0_notBefore(c), nb, sizeof nb);
        fmt_time(X509_get0_notAfter(c), na, sizeof na);
        BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(c), NULL);
        char *hex = bn ? BN_bn2hex(bn) : NULL;
        for (size_t k = 0; hex && hex[k] && k + 1 < sizeof serial; k++)
            serial[k] = (char)(hex[k] >= 'A' && hex[k] <= 'F' ? hex[k] + 32 : hex[k]);
        OPENSSL_free(hex);
        BN_free(bn);
        const char *source = in_stack(v->t->anchors, c)   ? "anchor"
                             : in_stack(v->x5c, c)         ? "x5c"
                                                           : "published";
        json_array_append_new(out, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "subject",
                                             subj, "issuer", iss, "serial", serial,
                                             "not_before", nb, "not_after", na, "source",
                                             source));
    }
    return out;
}

json_t *udap_validate(const struct udap_trust *t, const struct udap_input *in,
                      bool *lookup_failed)
{
    struct vctx v = {.t = t, .in = in, .kind = in->kind, .checks = json_array()};
    if (!v.checks)
        return NULL;
    if (jws_checks(&v)) {
        chain_checks(&v);
        claims_checks(&v);
    }
    if (v.kind == UDAP_AUTO)
        v.kind = UDAP_SOFTWARE_STATEMENT; /* unparsable: name the registration error */
    const char *iss = v.claims ? json_string_value(json_object_get(v.claims, "iss")) : NULL;
    const char *err = error_of(&v);
    json_t *out = json_pack("{s:b, s:s, s:o, s:o, s:o, s:o}", "valid", !v.failed, "kind",
                            udap_kind_name(v.kind), "error",
                            err ? json_string(err) : json_null(), "iss",
                            iss ? json_string(iss) : json_null(), "checks", v.checks,
                            "chain", chain_json(&v));
    *lookup_failed = v.lookup_failed;
    json_decref(v.header);
    json_decref(v.claims);
    sk_X509_pop_free(v.x5c, X509_free);
    sk_X509_pop_free(v.chain, X509_free);
    return out;
}

int udap_trust_add_crl(struct udap_trust *t, const char *url, X509_CRL *crl)
{
    struct udap_crl *n = realloc(t->crls, (t->ncrls + 1) * sizeof *n);
    if (!n) {
        X509_CRL_free(crl);
        return -1;
    }
    t->crls = n;
    snprintf(n[t->ncrls].url, sizeof n[t->ncrls].url, "%s", url);
    n[t->ncrls++].crl = crl;
    return 0;
}

void udap_trust_free(struct udap_trust *t)
{
    sk_X509_pop_free(t->anchors, X509_free);
    sk_X509_pop_free(t->intermediates, X509_free);
    for (size_t i = 0; i < t->ncrls; i++)
        X509_CRL_free(t->crls[i].crl);
    free(t->crls);
    t->anchors = t->intermediates = NULL;
    t->crls = NULL;
    t->ncrls = 0;
}

/* The claims: which kind of JWT it is, iss bound byte-exact to a SAN URI of
 * the leaf (look-alikes named), sub, aud, the exp/iat window, jti, the
 * metadata's iss = base URL, and the URI registered to an active member. */
#include "udap/internal.h"

#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/validate.h"

#define REF_SS "IG §3.1 (software statement)"
#define REF_META "IG §2.3 (signed metadata)"
#define REF_AUTH "IG §5.2.2 (authentication token)"
#define REF_EXACT "IG §7.1.5 (exact string comparison of URIs)"
#define REF_REG "Troth: one URI belongs to one active member of the community (IG §3.1)"
#define SKEW 60
#define WINDOW_SHORT 300
#define WINDOW_META (365L * 24 * 3600)

static const char *ref_kind(const struct vctx *v)
{
    return v->kind == UDAP_SIGNED_METADATA ? REF_META
           : v->kind == UDAP_CLIENT_ASSERTION ? REF_AUTH : REF_SS;
}

static enum udap_kind detect(const json_t *c)
{
    static const char *const meta[] = {"token_endpoint", "authorization_endpoint",
                                       "registration_endpoint"};
    static const char *const ss[] = {"client_name", "grant_types", "redirect_uris",
                                     "token_endpoint_auth_method", "contacts"};
    for (size_t i = 0; i < sizeof meta / sizeof meta[0]; i++)
        if (json_object_get(c, meta[i]))
            return UDAP_SIGNED_METADATA;
    for (size_t i = 0; i < sizeof ss / sizeof ss[0]; i++)
        if (json_object_get(c, ss[i]))
            return UDAP_SOFTWARE_STATEMENT;
    return UDAP_CLIENT_ASSERTION;
}

/* How b differs from a when it is a look-alike, or NULL when it is not. */
static const char *lookalike_how(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la == lb && !strcasecmp(a, b))
        return "only in letter case";
    if ((la == lb + 1 && a[lb] == '/' && !strncmp(a, b, lb)) ||
        (lb == la + 1 && b[la] == '/' && !strncmp(a, b, la)))
        return "only by a trailing slash";
    if (la <= URI_MAX && lb <= URI_MAX && uri_lookalikes(a, b))
        return "only in host case, an explicit default port, a trailing slash or "
               "escape case";
    return NULL;
}

/* The leaf's SAN URIs (strings). */
static json_t *san_uris(X509 *leaf)
{
    json_t *out = json_array();
    GENERAL_NAMES *gens = X509_get_ext_d2i(leaf, NID_subject_alt_name, NULL, NULL);
    for (int i = 0; i < sk_GENERAL_NAME_num(gens); i++) {
        GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
        if (g->type != GEN_URI)
            continue;
        const ASN1_STRING *s = g->d.uniformResourceIdentifier;
        json_array_append_new(out, json_stringn((const char *)ASN1_STRING_get0_data(s),
                                                (size_t)ASN1_STRING_length(s)));
    }
    GENERAL_NAMES_free(gens);
    return out;
}

static void iss_san_check(struct vctx *v, const char *iss, json_t *sans)
{
    const char *ref = v->kind == UDAP_SIGNED_METADATA ? REF_META "; " REF_EXACT
                                                      : REF_SS "; " REF_EXACT;
    size_t i;
    json_t *s;
    json_array_foreach(sans, i, s) {
        if (!strcmp(json_string_value(s), iss) && json_string_length(s) == strlen(iss)) {
            check(v, "iss_san", true, FAIL_CLAIMS, ref,
                  "iss equals the leaf's SAN URI %s byte for byte", iss);
            return;
        }
    }
    json_array_foreach(sans, i, s) {
        const char *how = lookalike_how(iss, json_string_value(s));
        if (how) {
            check(v, "iss_san", false, FAIL_CLAIMS, ref,
                  "iss %s is a look-alike of the leaf's SAN URI %s: it differs %s, "
                  "and relying parties compare byte for byte", iss,
                  json_string_value(s), how);
            return;
        }
    }
    char *list = json_dumps(sans, JSON_COMPACT);
    check(v, "iss_san", false, FAIL_CLAIMS, ref,
          "iss %s is not a SAN URI of the leaf (its SAN URIs: %s)", iss,
          list ? list : "?");
    free(list);
}

static void registration_check(struct vctx *v, const char *uri)
{
    if (!v->t->lookup)
        return;
    struct udap_owner o = {0};
    json_t *looks = json_array();
    if (v->t->lookup(v->t->lookup_cls, uri, &o, looks) != 0) {
        v->lookup_failed = true;
        json_decref(looks);
        return;
    }
    char whose[400] = "";
    if (v->in->show_owner && o.found)
        snprintf(whose, sizeof whose, " (member %s, id %s, %s; URI %s)", o.member_name,
                 o.member_id, o.member_status, o.uri_status);
    if (o.active)
        check(v, "registration", true, FAIL_TRUST, REF_REG,
              "%s is registered to an active member of the %s%s", uri, v->t->label, whose);
    else if (o.found)
        check(v, "registration", false, FAIL_TRUST, REF_REG,
              "%s is registered, but %s%s", uri,
              strcmp(o.uri_status, "approved") ? "not approved" : "its member is not active",
              whose);
    else {
        char *l = json_array_size(looks) ? json_dumps(looks, JSON_COMPACT) : NULL;
        check(v, "registration", false, FAIL_TRUST, REF_REG,
              "no member of the %s has registered %s%s%s", v->t->label, uri,
              l ? "; registered look-alikes: " : "", l ? l : "");
        free(l);
    }
    json_decref(looks);
}

static bool aud_matches(const json_t *aud, const char *want)
{
    if (json_is_string(aud))
        return !strcmp(json_string_value(aud), want);
    size_t i;
    json_t *e;
    json_array_foreach(aud, i, e) if (json_is_string(e) && !strcmp(json_string_value(e), want))
        return true;
    return false;
}

static void aud_check(struct vctx *v)
{
    json_t *aud = json_object_get(v->claims, "aud");
    const char *want = v->in->audience;
    const char *what = v->kind == UDAP_CLIENT_ASSERTION ? "the token endpoint"
                                                        : "the registration endpoint";
    if (!aud && v->kind == UDAP_SIGNED_METADATA && !want)
        return;
    if (!json_is_string(aud) && !json_is_array(aud)) {
        check(v, "aud", false, FAIL_CLAIMS, ref_kind(v),
              "aud is %s; it must name %s", aud ? "not a string" : "missing", what);
        return;
    }
    if (!want) {
        check(v, "aud", true, FAIL_CLAIMS, ref_kind(v),
              "aud is present (give \"audience\" to compare it with %s)", what);
        return;
    }
    if (aud_matches(aud, want))
        check(v, "aud", true, FAIL_CLAIMS, ref_kind(v), "aud is %s", want);
    else {
        char *got = json_dumps(aud, JSON_COMPACT | JSON_ENCODE_ANY);
        check(v, "aud", false, FAIL_CLAIMS, ref_kind(v), "aud is %s, not %s",
              got ? got : "?", want);
        free(got);
    }
}

static void time_checks(struct vctx *v)
{
    json_t *jiat = json_object_get(v->claims, "iat"), *jexp = json_object_get(v->claims, "exp");
    double now = (double)v->in->now;
    long window = v->kind == UDAP_SIGNED_METADATA ? WINDOW_META : WINDOW_SHORT;
    const char *wname = v->kind == UDAP_SIGNED_METADATA ? "1 year" : "5 minutes";
    bool have_iat = json_is_number(jiat), have_exp = json_is_number(jexp);
    double iat = have_iat ? json_number_value(jiat) : 0, exp = have_exp ? json_number_value(jexp) : 0;
    if (!have_iat)
        check(v, "iat", false, FAIL_CLAIMS, ref_kind(v), "iat is %s; it must be a NumericDate",
              jiat ? "not a number" : "missing");
    else if (iat > now + SKEW)
        check(v, "iat", false, FAIL_CLAIMS, ref_kind(v),
              "iat is %.0f s in the future", iat - now);
    else
        check(v, "iat", true, FAIL_CLAIMS, ref_kind(v), "issued %.0f s ago", now - iat);
    if (!have_exp)
        check(v, "exp", false, FAIL_CLAIMS, ref_kind(v), "exp is %s; it must be a NumericDate",
              jexp ? "not a number" : "missing");
    else if (exp <= now)
        check(v, "exp", false, FAIL_CLAIMS, ref_kind(v), "expired %.0f s ago", now - exp);
    else if (have_iat && exp <= iat)
        check(v, "exp", false, FAIL_CLAIMS, ref_kind(v), "exp is not after iat");
    else if (have_iat && exp - iat > (double)window)
        check(v, "exp", false, FAIL_CLAIMS, ref_kind(v),
              "exp is %.0f s after iat; at most %s (%ld s) for a %s", exp - iat, wname,
              window, udap_kind_name(v->kind));
    else
        check(v, "exp", true, FAIL_CLAIMS, ref_kind(v),
              "expires in %.0f s, within %s of iat", exp - now, wname);
}

void claims_checks(struct vctx *v)
{
    if (!v->claims)
        return;
    v->kind = v->in->kind != UDAP_AUTO ? v->in->kind : detect(v->claims);
    check(v, "kind", true, FAIL_CLAIMS, ref_kind(v), "%s%s", udap_kind_name(v->kind),
          v->in->kind == UDAP_AUTO ? " (detected from the claims)" : "");
    if (v->kind == UDAP_SIGNED_METADATA && v->alg && strcmp(v->alg, "RS256"))
        check(v, "metadata_alg", false, FAIL_CLAIMS, REF_META,
              "signed metadata must be signed with RS256, not %s", v->alg);
    const char *iss = json_string_value(json_object_get(v->claims, "iss"));
    if (!iss || !*iss)
        check(v, "iss", false, FAIL_CLAIMS, ref_kind(v), "iss is missing or not a string");
    else if (v->leaf && v->kind != UDAP_CLIENT_ASSERTION) {
        json_t *sans = san_uris(v->leaf);
        iss_san_check(v, iss, sans);
        json_decref(sans);
    }
    const char *sub = json_string_value(json_object_get(v->claims, "sub"));
    if (iss && *iss) {
        if (sub && !strcmp(sub, iss))
            check(v, "sub", true, FAIL_CLAIMS, ref_kind(v), "sub equals iss");
        else
            check(v, "sub", false, FAIL_CLAIMS, ref_kind(v), "sub is %s; it must equal iss",
                  sub ? "different" : "missing");
    }
    aud_check(v);
    time_checks(v);
    const char *jti = json_string_value(json_object_get(v->claims, "jti"));
    check(v, "jti", jti && *jti, FAIL_CLAIMS, ref_kind(v), "%s",
          jti && *jti ? "jti is present" : "jti is missing or empty");
    if (v->kind == UDAP_SIGNED_METADATA && v->in->base_url && iss) {
        if (!strcmp(iss, v->in->base_url))
            check(v, "base_url", true, FAIL_CLAIMS, REF_META "; " REF_EXACT,
                  "iss equals the base URL %s", v->in->base_url);
        else {
            const char *how = lookalike_how(iss, v->in->base_url);
            check(v, "base_url", false, FAIL_CLAIMS, REF_META "; " REF_EXACT,
                  "iss %s is not the base URL %s%s%s", iss, v->in->base_url,
                  how ? ": it differs " : "", how ? how : "");
        }
    }
    /* the URI the certificate binds: iss, or for an authentication JWT
     * (whose iss is the client_id) the leaf's first SAN URI */
    if (v->kind != UDAP_CLIENT_ASSERTION && iss && *iss)
        registration_check(v, iss);
    else if (v->kind == UDAP_CLIENT_ASSERTION && v->leaf) {
        json_t *sans = san_uris(v->leaf);
        if (json_array_size(sans))
            registration_check(v, json_string_value(json_array_get(sans, 0)));
        else
            check(v, "registration", false, FAIL_TRUST, REF_REG,
                  "the leaf has no SAN URI to bind it to a member");
        json_decref(sans);
    }
}

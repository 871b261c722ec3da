/* The JWS itself: compact serialization, protected header (alg, crit, x5c)
 * and the signature with the leaf's key. Parsing for the checks is ours
 * (each malformation named); the signature is verified by libcjose with a
 * JWK made from the leaf certificate's public key. */
#include "udap/internal.h"

#include <cjose/cjose.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#define REF_FORMAT "IG §7.1.1; RFC 7515 §7.1 (JWS Compact Serialization)"
#define REF_ALG "IG §7.1.2; RFC 7518 §3.1"
#define REF_ALG_META "IG §2.3 (signed metadata SHALL use RS256); IG §7.1.2"
#define REF_CRIT "RFC 7515 §4.1.11"
#define REF_X5C "IG §7.1.3; RFC 7515 §4.1.6 (base64 DER, leaf first)"
#define REF_KEY "IG §7.1.2; RFC 7518 §3.3, §3.4"
#define REF_SIG "IG §7.1.1; RFC 7515 §5.2"

static bool b64url_chars(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              (c >= '0' && c <= '9') || c == '-' || c == '_'))
            return false;
    }
    return true;
}

/* Decodes one base64url JSON object part; NULL with why filled. */
static json_t *part_json(const char *s, size_t n, const char *what, char *why,
                         size_t whylen)
{
    if (n == 0) {
        snprintf(why, whylen, "the %s is empty", what);
        return NULL;
    }
    if (!b64url_chars(s, n)) {
        snprintf(why, whylen, "the %s is not base64url (no padding, no '+' or '/')",
                 what);
        return NULL;
    }
    uint8_t *raw = NULL;
    size_t rlen = 0;
    cjose_err err;
    if (!cjose_base64url_decode(s, n, &raw, &rlen, &err)) {
        snprintf(why, whylen, "the %s does not decode as base64url", what);
        return NULL;
    }
    json_error_t je;
    json_t *o = json_loadb((const char *)raw, rlen, JSON_REJECT_DUPLICATES, &je);
    cjose_get_dealloc()(raw);
    if (!o) {
        snprintf(why, whylen, "the %s is not JSON: %s", what, je.text);
        return NULL;
    }
    if (!json_is_object(o)) {
        json_decref(o);
        snprintf(why, whylen, "the %s is not a JSON object", what);
        return NULL;
    }
    return o;
}

static bool std_b64_chars(const char *s, size_t n)
{
    if (n == 0 || n % 4)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        bool pad = c == '=' && i >= n - 2 && (i == n - 1 || s[n - 1] == '=');
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              (c >= '0' && c <= '9') || c == '+' || c == '/' || pad))
            return false;
    }
    return true;
}

static bool x5c_check(struct vctx *v)
{
    json_t *x5c = json_object_get(v->header, "x5c");
    if (!x5c) {
        check(v, "header.x5c", false, FAIL_CLAIMS, REF_X5C,
              "no x5c header: UDAP JWTs carry the signer's certificate chain");
        return false;
    }
    size_t n = json_is_array(x5c) ? json_array_size(x5c) : 0;
    if (!json_is_array(x5c) || n == 0) {
        check(v, "header.x5c", false, FAIL_CLAIMS, REF_X5C,
              "x5c must be a non-empty array of base64 DER certificates");
        return false;
    }
    if (n > UDAP_X5C_MAX) {
        check(v, "header.x5c", false, FAIL_CLAIMS, REF_X5C,
              "x5c holds %zu certificates; at most %d are accepted", n, UDAP_X5C_MAX);
        return false;
    }
    v->x5c = sk_X509_new_null();
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_array_get(x5c, i);
        const char *s = json_string_value(e);
        size_t len = s ? json_string_length(e) : 0;
        if (!s || !std_b64_chars(s, len)) {
            bool url = s && len && b64url_chars(s, len) && strpbrk(s, "-_");
            check(v, "header.x5c", false, FAIL_CLAIMS, REF_X5C,
                  "x5c[%zu] is %s", i,
                  !s ? "not a string"
                  : url ? "base64url; x5c takes standard base64 with padding"
                        : "not standard base64");
            return false;
        }
        unsigned char *der = malloc(len / 4 * 3 + 1);
        int dl = der ? EVP_DecodeBlock(der, (const unsigned char *)s, (int)len) : -1;
        if (dl > 0) /* EVP_DecodeBlock counts the padding bytes too */
            dl -= (s[len - 1] == '=') + (s[len - 2] == '=');
        const unsigned char *p = der;
        X509 *c = dl > 0 ? d2i_X509(NULL, &p, dl) : NULL;
        bool whole = c && p == der + dl;
        free(der);
        if (!whole) {
            X509_free(c);
            check(v, "header.x5c", false, FAIL_CLAIMS, REF_X5C,
                  "x5c[%zu] is not one DER X.509 certificate", i);
            return false;
        }
        sk_X509_push(v->x5c, c);
    }
    for (size_t i = 0; i + 1 < n; i++) {
        X509 *a = sk_X509_value(v->x5c, (int)i), *b = sk_X509_value(v->x5c, (int)i + 1);
        if (X509_NAME_cmp(X509_get_issuer_name(a), X509_get_subject_name(b))) {
            char sa[256], sb[256];
            udap_name(X509_get_issuer_name(a), sa, sizeof sa);
            udap_name(X509_get_subject_name(b), sb, sizeof sb);
            check(v, "header.x5c", false, FAIL_CLAIMS, REF_X5C,
                  "x5c is not in order, leaf first: x5c[%zu] is issued by %s "
                  "but x5c[%zu] is %s", i, sa, i + 1, sb);
            return false;
        }
    }
    v->leaf = sk_X509_value(v->x5c, 0);
    char subj[256];
    udap_name(X509_get_subject_name(v->leaf), subj, sizeof subj);
    check(v, "header.x5c", true, FAIL_CLAIMS, REF_X5C,
          "%zu certificate(s), leaf first: %s", n, subj);
    return true;
}

static bool alg_check(struct vctx *v)
{
    static const char *const ok_algs[] = {"RS256", "ES256", "RS384", "ES384"};
    json_t *a = json_object_get(v->header, "alg");
    const char *alg = json_string_value(a);
    if (!alg) {
        check(v, "header.alg", false, FAIL_CLAIMS, REF_ALG, "no alg string in the header");
        return false;
    }
    if (!strcmp(alg, "none") || !strcasecmp(alg, "none")) {
        check(v, "header.alg", false, FAIL_CLAIMS, REF_ALG,
              "alg \"none\": unsigned JWTs are never accepted");
        return false;
    }
    bool known = false;
    for (size_t i = 0; i < sizeof ok_algs / sizeof ok_algs[0]; i++)
        known |= !strcmp(alg, ok_algs[i]);
    if (!known) {
        check(v, "header.alg", false, FAIL_CLAIMS, REF_ALG,
              "alg \"%.32s\" is not one of RS256, ES256, RS384, ES384", alg);
        return false;
    }
    v->alg = alg;
    check(v, "header.alg", true, FAIL_CLAIMS, REF_ALG, "alg %s", alg);
    return true;
}

static void crit_check(struct vctx *v)
{
    if (json_object_get(v->header, "crit"))
        check(v, "header.crit", false, FAIL_CLAIMS, REF_CRIT,
              "the header lists critical extensions (crit); UDAP defines none, so a "
              "relying party must reject the JWT");
}

/* Does alg fit the leaf's key? (RSA for RS*, P-256 for ES256, P-384 for ES384.) */
static void key_check(struct vctx *v)
{
    EVP_PKEY *k = X509_get0_pubkey(v->leaf);
    if (!k) {
        check(v, "header.alg_key", false, FAIL_CLAIMS, REF_KEY,
              "the leaf's public key cannot be read");
        return;
    }
    char group[64] = "";
    bool rsa = EVP_PKEY_is_a(k, "RSA"), ec = EVP_PKEY_is_a(k, "EC");
    if (ec)
        EVP_PKEY_get_group_name(k, group, sizeof group, NULL);
    const char *want = v->alg[0] == 'R' ? "RSA"
                       : !strcmp(v->alg, "ES256") ? "EC P-256" : "EC P-384";
    bool fit = v->alg[0] == 'R' ? rsa
               : !strcmp(v->alg, "ES256") ? ec && !strcmp(group, "prime256v1")
                                          : ec && !strcmp(group, "secp384r1");
    char have[80];
    if (rsa)
        snprintf(have, sizeof have, "RSA-%d", EVP_PKEY_get_bits(k));
    else if (ec)
        snprintf(have, sizeof have, "EC %s",
                 !strcmp(group, "prime256v1") ? "P-256"
                 : !strcmp(group, "secp384r1") ? "P-384" : group);
    else
        snprintf(have, sizeof have, "%s", EVP_PKEY_get0_type_name(k));
    if (fit && rsa && EVP_PKEY_get_bits(k) < 2048)
        check(v, "header.alg_key", false, FAIL_CLAIMS, REF_KEY,
              "the leaf's key is %s; RSA keys must have at least 2048 bits", have);
    else if (!fit)
        check(v, "header.alg_key", false, FAIL_CLAIMS, REF_KEY,
              "alg %s needs an %s key; the leaf's key is %s", v->alg, want, have);
    else {
        v->key_ok = true;
        check(v, "header.alg_key", true, FAIL_CLAIMS, REF_KEY,
              "alg %s matches the leaf's %s key", v->alg, have);
    }
}

static unsigned char *bn_param(EVP_PKEY *k, const char *name, size_t pad, size_t *len)
{
    BIGNUM *b = NULL;
    if (!EVP_PKEY_get_bn_param(k, name, &b))
        return NULL;
    size_t n = pad ? pad : (size_t)BN_num_bytes(b);
    unsigned char *out = malloc(n ? n : 1);
    if (out && BN_bn2binpad(b, out, (int)n) < 0) {
        free(out);
        out = NULL;
    }
    BN_free(b);
    *len = n;
    return out;
}

/* A public JWK of the leaf's key for libcjose, or NULL. */
static cjose_jwk_t *leaf_jwk(X509 *leaf)
{
    EVP_PKEY *k = X509_get0_pubkey(leaf);
    cjose_err err;
    cjose_jwk_t *jwk = NULL;
    if (EVP_PKEY_is_a(k, "RSA")) {
        cjose_jwk_rsa_keyspec spec = {0};
        spec.n = bn_param(k, OSSL_PKEY_PARAM_RSA_N, 0, &spec.nlen);
        spec.e = bn_param(k, OSSL_PKEY_PARAM_RSA_E, 0, &spec.elen);
        if (spec.n && spec.e)
            jwk = cjose_jwk_create_RSA_spec(&spec, &err);
        free(spec.n);
        free(spec.e);
    } else if (EVP_PKEY_is_a(k, "EC")) {
        char group[64] = "";
        EVP_PKEY_get_group_name(k, group, sizeof group, NULL);
        bool p256 = !strcmp(group, "prime256v1");
        size_t fl = p256 ? 32 : 48;
        cjose_jwk_ec_keyspec spec = {0};
        spec.crv = p256 ? CJOSE_JWK_EC_P_256 : CJOSE_JWK_EC_P_384;
        spec.x = bn_param(k, OSSL_PKEY_PARAM_EC_PUB_X, fl, &spec.xlen);
        spec.y = bn_param(k, OSSL_PKEY_PARAM_EC_PUB_Y, fl, &spec.ylen);
        if (spec.x && spec.y)
            jwk = cjose_jwk_create_EC_spec(&spec, &err);
        free(spec.x);
        free(spec.y);
    }
    return jwk;
}

static void signature_check(struct vctx *v)
{
    cjose_err err = {0};
    cjose_jwk_t *jwk = leaf_jwk(v->leaf);
    cjose_jws_t *jws = jwk ? cjose_jws_import(v->in->jwt, v->in->jwt_len, &err) : NULL;
    bool ok = jws && cjose_jws_verify(jws, jwk, &err);
    if (ok)
        check(v, "signature", true, FAIL_CLAIMS, REF_SIG,
              "%s signature verified with the leaf's key", v->alg);
    else
        check(v, "signature", false, FAIL_CLAIMS, REF_SIG,
              "the signature does not verify with the leaf certificate's key%s%s",
              err.message ? ": " : "", err.message ? err.message : "");
    cjose_jws_release(jws);
    cjose_jwk_release(jwk);
}

bool jws_checks(struct vctx *v)
{
    const char *s = v->in->jwt;
    size_t n = v->in->jwt_len;
    if (n > UDAP_JWT_MAX) {
        check(v, "format", false, FAIL_CLAIMS, REF_FORMAT,
              "the JWT has %zu bytes; at most %d are looked at", n, UDAP_JWT_MAX);
        return false;
    }
    const char *d1 = memchr(s, '.', n);
    const char *d2 = d1 ? memchr(d1 + 1, '.', n - (size_t)(d1 + 1 - s)) : NULL;
    if (!d1 || !d2 || memchr(d2 + 1, '.', n - (size_t)(d2 + 1 - s))) {
        size_t dots = 0;
        for (size_t i = 0; i < n; i++)
            dots += s[i] == '.';
        check(v, "format", false, FAIL_CLAIMS, REF_FORMAT,
              "a compact JWS has three base64url parts separated by two dots; "
              "this has %zu part(s)%s", dots + 1,
              dots == 4 ? " (a JWE? UDAP JWTs are signed, not encrypted)" : "");
        return false;
    }
    char why[200];
    v->header = part_json(s, (size_t)(d1 - s), "header", why, sizeof why);
    if (v->header)
        v->claims = part_json(d1 + 1, (size_t)(d2 - d1 - 1), "payload", why, sizeof why);
    size_t slen = n - (size_t)(d2 + 1 - s);
    if (v->claims && (slen == 0 || !b64url_chars(d2 + 1, slen)))
        snprintf(why, sizeof why, "the signature part is %s",
                 slen ? "not base64url" : "empty (an unsigned JWT)");
    if (!v->header || !v->claims || slen == 0 || !b64url_chars(d2 + 1, slen)) {
        check(v, "format", false, FAIL_CLAIMS, REF_FORMAT, "%s", why);
        return false;
    }
    check(v, "format", true, FAIL_CLAIMS, REF_FORMAT,
          "three base64url parts; header and payload are JSON objects");
    bool alg = alg_check(v);
    crit_check(v);
    bool x5c = x5c_check(v);
    if (alg && x5c) {
        key_check(v);
        if (v->key_ok)
            signature_check(v);
    }
    return true;
}

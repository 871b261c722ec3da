/* One generation of the sandbox, built in this process with OpenSSL (test
 * material: never the signer): the CAs (kept from the previous generation
 * when there is one), every fixture's certificate, PKCS#12, software
 * statement and signed metadata re-issued relative to now, every CRL
 * re-signed (the broken ones broken again), and the index. */
#include "sandbox/sandbox.h"

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pki/encode.h"
#include "pki/keys.h"
#include "pki/pkcs12.h"
#include "sandbox/fixtures.h"
#include "sandbox/jws_sign.h"

#define REVOKED_MAX 8

struct bctx {
    const char *base;
    long gen;
    time_t now;
    json_t *keys, *certs;
    struct sandbox_files *out;
    X509 *cert[CA_COUNT];
    EVP_PKEY *key[CA_COUNT];
    struct {
        ASN1_INTEGER *serial;
        int reason;
    } revoked[CA_COUNT][REVOKED_MAX];
    int nrevoked[CA_COUNT];
    char *err;
    size_t errlen;
};

static int fail(struct bctx *b, const char *what)
{
    unsigned long e = ERR_get_error();
    char buf[160] = "";
    if (e)
        ERR_error_string_n(e, buf, sizeof buf);
    ERR_clear_error();
    snprintf(b->err, b->errlen, "%s%s%s", what, e ? ": " : "", buf);
    return -1;
}

static int add_file(struct bctx *b, const char *path, const char *ctype, void *data,
                    size_t len)
{
    struct sandbox_files *f = b->out;
    struct sandbox_file *n = data ? realloc(f->v, (f->n + 1) * sizeof *n) : NULL;
    if (!n) {
        free(data);
        return fail(b, "out of memory");
    }
    f->v = n;
    snprintf(n[f->n].path, sizeof n[f->n].path, "%s", path);
    n[f->n].ctype = ctype;
    n[f->n].data = data;
    n[f->n++].len = len;
    return 0;
}

static int add_text(struct bctx *b, const char *path, const char *ctype, const char *s)
{
    return add_file(b, path, ctype, s ? strdup(s) : NULL, s ? strlen(s) : 0);
}

/* The key called name: from the earlier generation, else new. */
static EVP_PKEY *key_of(struct bctx *b, const char *name, const char *spec)
{
    const char *pem = json_string_value(json_object_get(b->keys, name));
    if (pem) {
        BIO *bio = BIO_new_mem_buf(pem, -1);
        EVP_PKEY *k = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
        BIO_free(bio);
        if (!k)
            fail(b, "a stored sandbox key does not parse");
        return k;
    }
    struct problem e;
    EVP_PKEY *k = pki_key_generate(spec, &e);
    BIO *bio = k ? BIO_new(BIO_s_mem()) : NULL;
    char *p = NULL;
    long n;
    if (!bio || !PEM_write_bio_PrivateKey(bio, k, NULL, NULL, 0, NULL, NULL) ||
        (n = BIO_get_mem_data(bio, &p)) <= 0 ||
        json_object_set_new(b->keys, name, json_stringn(p, (size_t)n))) {
        BIO_free(bio);
        EVP_PKEY_free(k);
        fail(b, "cannot generate a sandbox key");
        return NULL;
    }
    BIO_free(bio);
    return k;
}

static int add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
    X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
    int ok = e && X509_add_ext(x, e, -1);
    X509_EXTENSION_free(e);
    return ok ? 0 : -1;
}

static void url_of(const struct bctx *b, char *out, size_t len, const char *kind,
                   const char *name, const char *ext)
{
    snprintf(out, len, "%s/sandbox/%s/%s.%s", b->base, kind, name, ext);
}

/* A certificate for key, named cn, issued by issuer (NULL: self-signed). */
static X509 *mk_cert(struct bctx *b, EVP_PKEY *key, const char *cn, X509 *issuer,
                     EVP_PKEY *ikey, bool ca, long nb, long na, const char *san,
                     const char *cdp, const char *aia)
{
    X509 *x = X509_new();
    X509_NAME *n = X509_NAME_new();
    unsigned char r[16];
    BIGNUM *bn = NULL;
    bool ok = x && n && RAND_bytes(r, sizeof r) == 1;
    if (ok) {
        r[0] = (unsigned char)((r[0] & 0x7f) | 0x40);
        bn = BN_bin2bn(r, sizeof r, NULL);
        ok = bn && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) && X509_set_version(x, 2) &&
             X509_NAME_add_entry_by_txt(n, "O", MBSTRING_UTF8,
                                        (const unsigned char *)"Troth SANDBOX (test material)",
                                        -1, -1, 0) &&
             X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1,
                                        -1, 0) &&
             X509_set_subject_name(x, n) &&
             X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : n) &&
             X509_time_adj_ex(X509_getm_notBefore(x), 0, nb, &b->now) &&
             X509_time_adj_ex(X509_getm_notAfter(x), 0, na, &b->now) &&
             X509_set_pubkey(x, key);
    }
    BN_free(bn);
    X509_NAME_free(n);
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer ? issuer : x, x, NULL, NULL, 0);
    char buf[700];
    ok = ok &&
         !add_ext(x, &ctx, NID_basic_constraints, ca ? "critical,CA:TRUE" : "critical,CA:FALSE") &&
         !add_ext(x, &ctx, NID_key_usage,
                  ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature") &&
         !add_ext(x, &ctx, NID_subject_key_identifier, "hash") &&
         (!issuer || !add_ext(x, &ctx, NID_authority_key_identifier, "keyid:always"));
    if (ok && san) {
        snprintf(buf, sizeof buf, "URI:%s", san);
        ok = !add_ext(x, &ctx, NID_subject_alt_name, buf);
    }
    if (ok && cdp) {
        snprintf(buf, sizeof buf, "URI:%s", cdp);
        ok = !add_ext(x, &ctx, NID_crl_distribution_points, buf);
    }
    if (ok && aia) {
        snprintf(buf, sizeof buf, "caIssuers;URI:%s", aia);
        ok = !add_ext(x, &ctx, NID_info_access, buf);
    }
    if (!ok || !X509_sign(x, ikey ? ikey : key, EVP_sha256())) {
        X509_free(x);
        fail(b, "cannot build a sandbox certificate");
        return NULL;
    }
    return x;
}

static int cert_der(struct bctx *b, X509 *x, unsigned char **der, size_t *len)
{
    struct problem e;
    if (pki_cert_der(x, der, len, &e))
        return fail(b, "cannot encode a certificate");
    return 0;
}

static char *cert_pem(X509 *x)
{
    unsigned char *der;
    size_t len;
    struct problem e;
    if (pki_cert_der(x, &der, &len, &e))
        return NULL;
    char *pem = pki_der_to_pem(der, len, "CERTIFICATE");
    free(der);
    return pem;
}

/* The CAs: from the earlier generation, else new (issued at init). */
static int load_cas(struct bctx *b)
{
    char cdp[512], aia[512];
    for (int i = 0; i < CA_COUNT; i++) {
        const struct sb_ca *c = &sb_cas[i];
        if (!(b->key[i] = key_of(b, c->name, "RSA-2048")))
            return -1;
        const char *b64 = json_string_value(json_object_get(b->certs, c->name));
        if (b64) {
            unsigned char *der = NULL;
            int n = 0;
            size_t blen = strlen(b64);
            if ((der = malloc(blen)) != NULL)
                n = EVP_DecodeBlock(der, (const unsigned char *)b64, (int)blen);
            while (n > 0 && blen && b64[--blen] == '=')
                n--;
            b->cert[i] = n > 0 ? pki_cert_from_der(der, (size_t)n) : NULL;
            free(der);
            if (!b->cert[i])
                return fail(b, "a stored sandbox CA certificate does not parse");
            continue;
        }
        int p = c->parent;
        if (p >= 0) {
            url_of(b, cdp, sizeof cdp, "crl", sb_cas[p].name, "crl");
            url_of(b, aia, sizeof aia, "ca", sb_cas[p].name, "crt");
        }
        b->cert[i] = mk_cert(b, b->key[i], c->cn, p >= 0 ? b->cert[p] : NULL,
                             p >= 0 ? b->key[p] : NULL, true, -730 * DAY,
                             (p >= 0 ? 10 : 20) * 365 * DAY, NULL, p >= 0 ? cdp : NULL,
                             p >= 0 && sb_cas[p].published ? aia : NULL);
        unsigned char *der;
        size_t len;
        if (!b->cert[i] || cert_der(b, b->cert[i], &der, &len))
            return -1;
        char *enc = pki_base64(der, len);
        free(der);
        if (!enc || json_object_set_new(b->certs, c->name, json_string(enc))) {
            free(enc);
            return fail(b, "out of memory");
        }
        free(enc);
    }
    return 0;
}

static X509_CRL *mk_crl(struct bctx *b, int ci)
{
    const struct sb_ca *c = &sb_cas[ci];
    long tu = -3600, nu = 7 * DAY;
    if (c->crl == CRL_EXPIRED)
        tu = -10 * DAY, nu = -3 * DAY;
    else if (c->crl == CRL_FUTURE)
        tu = 3 * DAY, nu = 10 * DAY;
    EVP_PKEY *signer = b->key[ci];
    if (c->crl == CRL_WRONG_KEY && !(signer = key_of(b, "wrong-crl-key", "RSA-2048")))
        return NULL;
    X509_CRL *crl = X509_CRL_new();
    ASN1_TIME *t1 = X509_time_adj_ex(NULL, 0, tu, &b->now);
    ASN1_TIME *t2 = X509_time_adj_ex(NULL, 0, nu, &b->now);
    ASN1_INTEGER *num = ASN1_INTEGER_new();
    bool ok = crl && t1 && t2 && num && X509_CRL_set_version(crl, 1) &&
              X509_CRL_set_issuer_name(crl, X509_get_subject_name(b->cert[ci])) &&
              X509_CRL_set1_lastUpdate(crl, t1) && X509_CRL_set1_nextUpdate(crl, t2) &&
              ASN1_INTEGER_set(num, b->gen) &&
              X509_CRL_add1_ext_i2d(crl, NID_crl_number, num, 0, 0);
    ASN1_TIME *when = X509_time_adj_ex(NULL, 0, -2 * 3600, &b->now);
    for (int i = 0; ok && i < b->nrevoked[ci]; i++) {
        X509_REVOKED *rv = X509_REVOKED_new();
        ASN1_ENUMERATED *e = ASN1_ENUMERATED_new();
        ok = rv && e && when && X509_REVOKED_set_serialNumber(rv, b->revoked[ci][i].serial) &&
             X509_REVOKED_set_revocationDate(rv, when) &&
             ASN1_ENUMERATED_set(e, b->revoked[ci][i].reason) &&
             X509_REVOKED_add1_ext_i2d(rv, NID_crl_reason, e, 0, 0) &&
             X509_CRL_add0_revoked(crl, rv);
        if (!ok)
            X509_REVOKED_free(rv);
        ASN1_ENUMERATED_free(e);
    }
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, b->cert[ci], NULL, NULL, crl, 0);
    X509_EXTENSION *aki = ok ? X509V3_EXT_conf_nid(NULL, &ctx, NID_authority_key_identifier,
                                                   "keyid:always")
                             : NULL;
    ok = ok && aki && X509_CRL_add_ext(crl, aki, -1) && X509_CRL_sort(crl) &&
         X509_CRL_sign(crl, signer, EVP_sha256());
    X509_EXTENSION_free(aki);
    ASN1_TIME_free(t1);
    ASN1_TIME_free(t2);
    ASN1_TIME_free(when);
    ASN1_INTEGER_free(num);
    if (signer != b->key[ci])
        EVP_PKEY_free(signer);
    if (!ok) {
        X509_CRL_free(crl);
        fail(b, "cannot build a sandbox CRL");
        return NULL;
    }
    return crl;
}

static json_t *expect_json(const struct sb_expect *e)
{
    return json_pack("{s:b, s:o, s:o, s:o}", "valid", e->valid, "error",
                     e->error ? json_string(e->error) : json_null(), "check",
                     e->check ? json_string(e->check) : json_null(), "reason_contains",
                     e->says ? json_string(e->says) : json_null());
}

static void rand_hex(char *out, size_t bytes)
{
    unsigned char r[32];
    RAND_bytes(r, (int)bytes);
    for (size_t i = 0; i < bytes; i++)
        snprintf(out + 2 * i, 3, "%02x", r[i]);
}

static json_t *ss_claims(const struct bctx *b, const struct sb_fixture *f, const char *iss)
{
    char jti[33];
    rand_hex(jti, 16);
    char name[128];
    snprintf(name, sizeof name, "SANDBOX fixture %s", f->name);
    return json_pack("{s:s, s:s, s:s, s:I, s:I, s:s, s:s, s:[s], s:s, s:s, s:[s]}", "iss",
                     iss, "sub", iss, "aud", SANDBOX_AUDIENCE, "iat", (json_int_t)b->now,
                     "exp", (json_int_t)b->now + 300, "jti", jti, "client_name", name,
                     "grant_types", "client_credentials", "token_endpoint_auth_method",
                     "private_key_jwt", "scope", "system/*.read", "contacts",
                     "mailto:sandbox@sandbox.invalid");
}

static json_t *md_claims(const struct bctx *b, const char *iss)
{
    char jti[33], a[600], t[600], r[600];
    rand_hex(jti, 16);
    snprintf(a, sizeof a, "%s/authorize", iss);
    snprintf(t, sizeof t, "%s/token", iss);
    snprintf(r, sizeof r, "%s/register", iss);
    return json_pack("{s:s, s:s, s:I, s:I, s:s, s:s, s:s, s:s}", "iss", iss, "sub", iss,
                     "iat", (json_int_t)b->now, "exp", (json_int_t)b->now + 7 * DAY, "jti",
                     jti, "authorization_endpoint", a, "token_endpoint", t,
                     "registration_endpoint", r);
}

/* One fixture: certificate, chain, PKCS#12, both JWTs, its index entry. */
static int build_fixture(struct bctx *b, const struct sb_fixture *f, json_t *list)
{
    char uri[200], base_url[300], ss_iss[300], cdp[512], aia[512], path[96];
    if (f->server)
        snprintf(uri, sizeof uri, "https://fhir.sandbox.invalid/%s/r4",
                 f->iss == ISS_BASE_URL ? "elsewhere" : f->name);
    else
        snprintf(uri, sizeof uri, "https://apps.sandbox.invalid/%s", f->name);
    snprintf(ss_iss, sizeof ss_iss, "%s%s", uri, f->iss == ISS_LOOKALIKE ? "/" : "");
    if (f->iss == ISS_BASE_URL)
        snprintf(base_url, sizeof base_url, "https://fhir.sandbox.invalid/%s/r4", f->name);
    else
        snprintf(base_url, sizeof base_url, "%s", ss_iss);
    int ci = f->ca;
    if (f->cdp == CDP_404)
        url_of(b, cdp, sizeof cdp, "crl", "does-not-exist", "crl");
    else if (f->cdp == CDP_LDAP)
        snprintf(cdp, sizeof cdp, "ldap://ldap.sandbox.invalid/cn=Troth%%20SANDBOX%%20Issuing%%20CA"
                                  "?certificateRevocationList;binary");
    else
        url_of(b, cdp, sizeof cdp, "crl", sb_cas[ci].name, "crl");
    url_of(b, aia, sizeof aia, "ca", sb_cas[ci].name, "crt");
    char keyname[64];
    snprintf(keyname, sizeof keyname, "fixture:%s", f->name);
    EVP_PKEY *key = key_of(b, keyname, f->key);
    if (!key)
        return -1;
    char cn[128];
    snprintf(cn, sizeof cn, "SANDBOX %s", f->name);
    X509 *leaf = mk_cert(b, key, cn, b->cert[ci], b->key[ci], false, f->not_before,
                         f->not_after, uri, f->cdp == CDP_NONE ? NULL : cdp,
                         sb_cas[ci].published ? aia : NULL);
    if (!leaf) {
        EVP_PKEY_free(key);
        return -1;
    }
    if (f->reason >= 0 && b->nrevoked[ci] < REVOKED_MAX) {
        int k = b->nrevoked[ci]++;
        b->revoked[ci][k].serial = ASN1_INTEGER_dup(X509_get0_serialNumber(leaf));
        b->revoked[ci][k].reason = f->reason;
    }
    /* x5c: leaf, its issuing CA, and the root when it is not an anchor */
    X509 *chain[2] = {b->cert[ci], b->cert[sb_cas[ci].parent]};
    size_t nchain = sb_cas[sb_cas[ci].parent].published ? 1 : 2;
    json_t *x5c = json_array();
    char *pem_all = NULL;
    size_t pem_len = 0;
    int rc = 0;
    for (size_t i = 0; !rc && i <= nchain; i++) {
        X509 *c = i ? chain[i - 1] : leaf;
        unsigned char *der;
        size_t len;
        if (cert_der(b, c, &der, &len))
            rc = -1;
        else {
            char *enc = pki_base64(der, len);
            char *pem = pki_der_to_pem(der, len, "CERTIFICATE");
            free(der);
            char *grown = pem ? realloc(pem_all, pem_len + strlen(pem) + 1) : NULL;
            if (!enc || !grown || json_array_append_new(x5c, json_string(enc)))
                rc = fail(b, "out of memory");
            else {
                pem_all = grown;
                memcpy(pem_all + pem_len, pem, strlen(pem) + 1);
                pem_len += strlen(pem);
            }
            free(enc);
            free(pem);
        }
    }
    unsigned char *p12 = NULL;
    size_t p12_len = 0;
    struct problem pe;
    if (!rc && pki_pkcs12_create_iter(key, leaf, chain, nchain, SANDBOX_P12_PASSPHRASE,
                                      f->name, SANDBOX_P12_ITER, &p12, &p12_len, &pe))
        rc = fail(b, "cannot build a sandbox PKCS#12");
    const char *alg = EVP_PKEY_is_a(key, "RSA") ? "RS256"
                      : EVP_PKEY_get_bits(key) > 256 ? "ES384" : "ES256";
    json_t *ssc = ss_claims(b, f, ss_iss), *mdc = md_claims(b, base_url);
    char *ss = rc ? NULL : sandbox_jws_sign(key, alg, x5c, ssc);
    char *md = rc ? NULL : sandbox_jws_sign(key, alg, x5c, mdc);
    json_decref(ssc);
    json_decref(mdc);
    if (!rc && (!ss || !md))
        rc = fail(b, "cannot sign a sandbox JWT");
    char *leaf_pem = rc ? NULL : cert_pem(leaf);
    char u_cert[400], u_chain[400], u_p12[400], u_ss[400], u_md[400];
#define FX(buf, file)                                                                     \
    snprintf(path, sizeof path, "fixtures/%s/%s", f->name, file);                         \
    snprintf(buf, sizeof buf, "%s/sandbox/%s", b->base, path)
    FX(u_cert, "certificate.pem");
    if (!rc)
        rc = add_text(b, path, "application/x-pem-file", leaf_pem);
    FX(u_chain, "chain.pem");
    if (!rc)
        rc = add_text(b, path, "application/pem-certificate-chain", pem_all);
    FX(u_p12, "key.p12");
    if (!rc) {
        rc = add_file(b, path, "application/x-pkcs12", p12, p12_len);
        p12 = NULL;
    }
    FX(u_ss, "software_statement.jwt");
    if (!rc)
        rc = add_text(b, path, "application/jwt", ss);
    FX(u_md, "signed_metadata.jwt");
    if (!rc)
        rc = add_text(b, path, "application/jwt", md);
#undef FX
    char *serial = pki_serial_hex(leaf);
    if (!rc &&
        json_array_append_new(
            list,
            json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s,"
                      " s:{s:s, s:s, s:s, s:o}, s:{s:s, s:s, s:s, s:o}}",
                      "name", f->name, "description", f->about, "key_type", f->key, "alg",
                      alg, "issuer_ca", sb_cas[ci].name, "uri", uri, "serial",
                      serial ? serial : "", "certificate_url", u_cert, "chain_url", u_chain,
                      "pkcs12_url", u_p12, "pkcs12_passphrase", SANDBOX_P12_PASSPHRASE,
                      "revocation", f->reason == 1 ? "keyCompromise"
                                    : f->reason == 6 ? "certificateHold" : "none",
                      "software_statement", "url", u_ss, "kind", "software_statement",
                      "audience", SANDBOX_AUDIENCE, "expected", expect_json(&f->ss),
                      "signed_metadata", "url", u_md, "kind", "signed_metadata", "base_url",
                      base_url, "expected", expect_json(&f->md))))
        rc = fail(b, "out of memory");
    free(serial);
    free(leaf_pem);
    free(pem_all);
    free(ss);
    free(md);
    free(p12);
    json_decref(x5c);
    X509_free(leaf);
    EVP_PKEY_free(key);
    return rc;
}

static int build_cas_files(struct bctx *b, json_t *list)
{
    char path[96], u_crt[400], u_crl[400];
    static const char *const crl_state[] = {"current", "expired", "not_yet_valid",
                                            "wrong_signature"};
    for (int i = 0; i < CA_COUNT; i++) {
        const struct sb_ca *c = &sb_cas[i];
        X509_CRL *crl = mk_crl(b, i);
        unsigned char *der = NULL;
        int n = crl ? i2d_X509_CRL(crl, &der) : -1;
        X509_CRL_free(crl);
        if (n <= 0)
            return crl ? fail(b, "cannot encode a CRL") : -1;
        void *copy = malloc((size_t)n);
        if (copy)
            memcpy(copy, der, (size_t)n);
        OPENSSL_free(der);
        snprintf(path, sizeof path, "crl/%s.crl", c->name);
        if (add_file(b, path, "application/pkix-crl", copy, (size_t)n))
            return -1;
        url_of(b, u_crl, sizeof u_crl, "crl", c->name, "crl");
        url_of(b, u_crt, sizeof u_crt, "ca", c->name, "crt");
        if (c->published) {
            size_t len;
            snprintf(path, sizeof path, "ca/%s.crt", c->name);
            if (cert_der(b, b->cert[i], &der, &len) ||
                add_file(b, path, "application/pkix-cert", der, len))
                return -1;
        }
        char subject[300] = "";
        X509_NAME_oneline(X509_get_subject_name(b->cert[i]), subject, sizeof subject);
        if (json_array_append_new(
                list, json_pack("{s:s, s:s, s:s, s:o, s:s, s:s, s:b, s:s}", "name", c->name,
                                "subject", subject, "kind", c->parent < 0 ? "root" : "issuing",
                                "certificate_url", c->published ? json_string(u_crt) : json_null(),
                                "crl_url", u_crl, "crl", crl_state[c->crl], "published",
                                c->published, "description", c->about)))
            return fail(b, "out of memory");
    }
    return 0;
}

int sandbox_build(const char *base_url, long generation, time_t now, json_t *keys,
                  json_t *certs, struct sandbox_files *out, char *err, size_t errlen)
{
    struct bctx b = {.base = base_url, .gen = generation, .now = now, .keys = keys,
                     .certs = certs, .out = out, .err = err, .errlen = errlen};
    memset(out, 0, sizeof *out);
    json_t *fx = json_array(), *cas = json_array();
    int rc = fx && cas ? load_cas(&b) : fail(&b, "out of memory");
    for (size_t i = 0; !rc && i < SB_NFIXTURES; i++)
        rc = build_fixture(&b, &sb_fixtures[i], fx);
    if (!rc)
        rc = build_cas_files(&b, cas);
    char *root_pem = rc ? NULL : cert_pem(b.cert[CA_ROOT]);
    if (!rc)
        rc = add_text(&b, "anchors.pem", "application/pem-certificate-chain", root_pem);
    free(root_pem);
    if (!rc) {
        char anchors[400], when[32];
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
        snprintf(anchors, sizeof anchors, "%s/sandbox/anchors.pem", base_url);
        json_t *idx = json_pack(
            "{s:b, s:s, s:I, s:s, s:s, s:s, s:s, s:s, s:O, s:O}", "sandbox", true, "warning",
            "TEST MATERIAL: never trust the sandbox anchor in production. Keys are "
            "published; software statements expire 5 minutes after generated_at "
            "(run troth sandbox refresh, or sign your own with the PKCS#12).",
            "generation", (json_int_t)generation, "generated_at", when, "anchors_url",
            anchors, "pkcs12_passphrase", SANDBOX_P12_PASSPHRASE, "audience",
            SANDBOX_AUDIENCE, "validate_with",
            "POST /api/v1/udap/validate with \"trust\": \"sandbox\", or troth udap "
            "validate --sandbox FILE",
            "cas", cas, "fixtures", fx);
        char *s = idx ? json_dumps(idx, JSON_INDENT(1) | JSON_SORT_KEYS) : NULL;
        json_decref(idx);
        rc = s ? add_file(&b, "index.json", "application/json", s, strlen(s))
               : fail(&b, "out of memory");
    }
    json_decref(fx);
    json_decref(cas);
    for (int i = 0; i < CA_COUNT; i++) {
        X509_free(b.cert[i]);
        EVP_PKEY_free(b.key[i]);
        for (int k = 0; k < b.nrevoked[i]; k++)
            ASN1_INTEGER_free(b.revoked[i][k].serial);
    }
    if (rc)
        sandbox_files_free(out);
    return rc;
}

void sandbox_files_free(struct sandbox_files *f)
{
    for (size_t i = 0; i < f->n; i++)
        free(f->v[i].data);
    free(f->v);
    f->v = NULL;
    f->n = 0;
}

/* The signer through its pool: chains and CRLs signed by forked workers and
 * checked with OpenSSL; refusals; killed workers restarted via posix_spawn. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <openssl/x509v3.h>

#include "pki/crl.h"
#include "pki/ext.h"
#include "signer/signer.h"
#include "signer_test_util.h"

static struct st_fixture *F;

static int group_setup(void **state)
{
    (void)state;
    F = st_setup();
    return F ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    st_teardown(F);
    return 0;
}

static struct signer_pool *start_pool(size_t n)
{
    struct signer_pool *pool = NULL;
    struct problem err;
    struct signer_pool_opts o = st_pool_opts(F, n);
    if (signer_pool_open(&pool, &o, F->blobs, 3, &err) != 0)
        fail_msg("pool start: %s: %s", problem_kind_name(err.kind), err.detail);
    signer_pool_set_timeout(pool, 3000);
    return pool;
}

static X509 *sign_leaf(struct signer_pool *pool, const char *ca_id, const X509 *issuer)
{
    unsigned char *tbs, *der;
    size_t len, dlen;
    struct problem err;
    assert_int_equal(st_leaf_tbs(issuer, &tbs, &len), 0);
    if (signer_sign_cert(pool, ca_id, tbs, len, &der, &dlen, &err) != 0)
        fail_msg("sign: %s: %s", problem_kind_name(err.kind), err.detail);
    X509 *x = pki_cert_from_der(der, dlen);
    free(tbs);
    free(der);
    return x;
}

static X509_CRL *sign_crl(struct signer_pool *pool, const char *ca_id, const X509 *issuer,
                          const struct pki_crl_entry *e, size_t n, const char *path)
{
    time_t now = time(NULL);
    struct pki_crl_spec spec = {.issuer = issuer, .number = 3, .this_update = now - 60, .next_update = now + 86400};
    unsigned char *tbs, *der;
    size_t len, dlen;
    struct problem err;
    assert_int_equal(pki_crl_build_tbs_array(&spec, e, n, &tbs, &len, &err), 0);
    if (signer_sign_crl(pool, ca_id, tbs, len, &der, &dlen, &err) != 0)
        fail_msg("sign crl: %s: %s", problem_kind_name(err.kind), err.detail);
    const unsigned char *p = der;
    X509_CRL *crl = d2i_X509_CRL(NULL, &p, (long)dlen);
    assert_non_null(crl);
    FILE *fp = fopen(path, "w");
    PEM_write_X509_CRL(fp, crl);
    fclose(fp);
    free(tbs);
    free(der);
    return crl;
}

static void test_chain_and_crl_through_signer(void **state)
{
    (void)state;
    struct signer_pool *pool = start_pool(1);
    struct problem err;
    assert_int_equal(signer_ping(pool, &err), 0);
    X509 *leaf = sign_leaf(pool, "issuing", F->c.issuing), *other = sign_leaf(pool, "issuing", F->c.issuing);
    assert_non_null(leaf);
    assert_int_equal(X509_verify(leaf, F->c.int_key), 1);
    assert_int_equal(ASN1_STRING_length(X509_get0_serialNumber(leaf)), 16);
    assert_int_equal(ASN1_STRING_type(X509_get0_serialNumber(leaf)), V_ASN1_INTEGER);
    assert_int_equal(X509_EXTENSION_get_critical(X509_get_ext(leaf, X509_get_ext_by_NID(leaf, NID_key_usage, -1))), 1);
    assert_int_equal(X509_EXTENSION_get_critical(X509_get_ext(leaf, X509_get_ext_by_NID(leaf, NID_basic_constraints, -1))), 1);
    assert_int_equal(X509_get_extended_key_usage(leaf), XKU_SSL_CLIENT);
    GENERAL_NAMES *san = X509_get_ext_d2i(leaf, NID_subject_alt_name, NULL, NULL);
    assert_int_equal(sk_GENERAL_NAME_num(san), 2);
    for (int i = 0; i < 2; i++) {
        const ASN1_STRING *u = sk_GENERAL_NAME_value(san, i)->d.uniformResourceIdentifier;
        assert_int_equal(ASN1_STRING_length(u), strlen(ST_URIS[i]));
        assert_memory_equal(ASN1_STRING_get0_data(u), ST_URIS[i], strlen(ST_URIS[i]));
    }
    GENERAL_NAMES_free(san);
    int verr;
    assert_int_equal(tu_verify_chain(F->c.root, F->c.issuing, leaf, NULL, &verr), 1);

    /* CRLs for both levels, signed by the signer; the leaf revoked (keyCompromise). */
    char *rp = tu_path(F->dir, "root.pem"), *ip = tu_path(F->dir, "int.pem"), *lp = tu_path(F->dir, "leaf.pem"),
         *op = tu_path(F->dir, "other.pem"), *icrl = tu_path(F->dir, "int.crl"), *rcrl = tu_path(F->dir, "root.crl"),
         *out = NULL;
    tu_write_cert(rp, F->c.root);
    tu_write_cert(ip, F->c.issuing);
    tu_write_cert(lp, leaf);
    tu_write_cert(op, other);
    assert_int_equal(tu_run(&out, "openssl verify -CAfile %s -untrusted %s %s", rp, ip, lp), 0);
    free(out);
    struct pki_crl_entry e = {.revoked_at = time(NULL) - 5, .reason = PKI_REASON_KEY_COMPROMISE};
    e.serial_len = (size_t)ASN1_STRING_length(X509_get0_serialNumber(leaf));
    memcpy(e.serial, ASN1_STRING_get0_data(X509_get0_serialNumber(leaf)), e.serial_len);
    X509_CRL *crl = sign_crl(pool, "issuing", F->c.issuing, &e, 1, icrl);
    X509_CRL *root_crl = sign_crl(pool, "root", F->c.root, NULL, 0, rcrl);
    assert_int_equal(X509_CRL_verify(crl, F->c.int_key), 1);
    assert_int_equal(X509_CRL_verify(root_crl, F->c.root_key), 1);
    assert_int_equal(tu_run(&out, "openssl crl -in %s -noout -CAfile %s -verify", icrl, ip), 0);
    assert_non_null(strstr(out, "verify OK"));
    free(out);
    assert_int_not_equal(tu_run(&out, "openssl verify -crl_check_all -CAfile %s -untrusted %s -CRLfile %s -CRLfile %s %s",
                                rp, ip, icrl, rcrl, lp), 0);
    assert_non_null(strstr(out, "certificate revoked"));
    free(out);
    assert_int_equal(tu_run(&out, "openssl verify -crl_check_all -CAfile %s -untrusted %s -CRLfile %s -CRLfile %s %s",
                            rp, ip, icrl, rcrl, op), 0);
    free(out);
    assert_int_equal(tu_verify_chain(F->c.root, F->c.issuing, leaf, crl, &verr), 0);
    assert_int_equal(verr, X509_V_ERR_CERT_REVOKED);
    free(rp); free(ip); free(lp); free(op); free(icrl); free(rcrl);
    X509_CRL_free(crl);
    X509_CRL_free(root_crl);
    X509_free(leaf);
    X509_free(other);
    signer_pool_free(pool);
}

/* A TBS under `issuer_name` with AKI from aki_src, made through X509_sign with a throwaway
 * key of type key_spec (which sets the TBS signature algorithm). */
/* odd_tbs with a subject (and its key) of its own and one more extension (nid, v3 config value). */
static unsigned char *odd_tbs_ext(const X509 *issuer_name, const X509 *aki_src, bool ca, const char *key_spec,
                                  const X509 *subject, EVP_PKEY *subject_key, int nid, const char *value,
                                  size_t *len);

static unsigned char *odd_tbs(const X509 *issuer_name, const X509 *aki_src, bool ca, long not_after_extra,
                              const char *key_spec, size_t *len)
{
    if (not_after_extra == 0)
        return odd_tbs_ext(issuer_name, aki_src, ca, key_spec, NULL, NULL, NID_undef, NULL, len);
    struct problem err;
    EVP_PKEY *k = pki_key_generate(key_spec, &err);
    X509 *x = X509_new();
    unsigned char serial[16];
    pki_random_serial(serial);
    time_t na;
    pki_asn1_time_to_time_t(X509_get0_notAfter(aki_src), &na);
    X509_set_version(x, X509_VERSION_3);
    pki_set_serial(x, serial);
    X509_set_issuer_name(x, X509_get_subject_name(issuer_name));
    X509_set_subject_name(x, X509_get_subject_name(issuer_name));
    pki_set_validity(x, time(NULL), na + not_after_extra);
    X509_set_pubkey(x, k);
    pki_ext_add_aki(x, aki_src);
    pki_ext_add_ski(x);
    pki_ext_add_basic_constraints(x, ca, ca ? 0 : -1);
    X509_sign(x, k, EVP_sha256());
    unsigned char *der = NULL;
    int n = i2d_re_X509_tbs(x, &der);
    unsigned char *out = malloc((size_t)n);
    memcpy(out, der, (size_t)n);
    *len = (size_t)n;
    OPENSSL_free(der);
    X509_free(x);
    EVP_PKEY_free(k);
    return out;
}

static unsigned char *odd_tbs_ext(const X509 *issuer_name, const X509 *aki_src, bool ca, const char *key_spec,
                                  const X509 *subject, EVP_PKEY *subject_key, int nid, const char *value,
                                  size_t *len)
{
    struct problem err;
    EVP_PKEY *k = pki_key_generate(key_spec, &err);
    X509 *x = X509_new();
    unsigned char serial[16];
    pki_random_serial(serial);
    time_t na;
    pki_asn1_time_to_time_t(X509_get0_notAfter(aki_src), &na);
    X509_set_version(x, X509_VERSION_3);
    pki_set_serial(x, serial);
    X509_set_issuer_name(x, X509_get_subject_name(issuer_name));
    X509_set_subject_name(x, X509_get_subject_name(subject ? subject : issuer_name));
    pki_set_validity(x, time(NULL), na);
    X509_set_pubkey(x, subject_key ? subject_key : k);
    pki_ext_add_aki(x, aki_src);
    pki_ext_add_ski(x);
    pki_ext_add_basic_constraints(x, ca, ca ? 0 : -1);
    if (nid == NID_certificate_policies) { /* one policy OID (X509V3_EXT_conf_nid wants a config for it) */
        CERTIFICATEPOLICIES *pols = sk_POLICYINFO_new_null();
        POLICYINFO *pi = POLICYINFO_new();
        pi->policyid = OBJ_txt2obj("2.16.840.1.101.3.2.1.3.13", 1);
        sk_POLICYINFO_push(pols, pi);
        X509_add1_ext_i2d(x, nid, pols, 0, X509V3_ADD_DEFAULT);
        CERTIFICATEPOLICIES_free(pols);
    } else if (nid != NID_undef) {
        X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, NULL, nid, value);
        assert_non_null(e);
        X509_add_ext(x, e, -1);
        X509_EXTENSION_free(e);
    }
    X509_sign(x, k, strstr(key_spec, "384") ? EVP_sha384() : EVP_sha256()); /* as the CA key would */
    unsigned char *der = NULL;
    int n = i2d_re_X509_tbs(x, &der);
    unsigned char *out = malloc((size_t)n);
    memcpy(out, der, (size_t)n);
    *len = (size_t)n;
    OPENSSL_free(der);
    X509_free(x);
    EVP_PKEY_free(k);
    return out;
}

static void expect_refused(struct signer_pool *pool, bool crl, const char *ca, const unsigned char *tbs,
                           size_t len, const char *why)
{
    struct problem err;
    unsigned char *der = (unsigned char *)"x";
    size_t dlen;
    int rc = crl ? signer_sign_crl(pool, ca, tbs, len, &der, &dlen, &err)
                 : signer_sign_cert(pool, ca, tbs, len, &der, &dlen, &err);
    assert_int_equal(rc, -1);
    assert_null(der);
    assert_int_equal(err.status, 422);
    assert_string_equal(problem_kind_name(err.kind), "signer-refused");
    if (strstr(err.detail, why) == NULL)
        fail_msg("refusal '%s' lacks '%s'", err.detail, why);
}

static void test_signer_refusals(void **state)
{
    (void)state;
    struct signer_pool *pool = start_pool(1);
    size_t len;
    unsigned char *t;
    t = odd_tbs(F->c.issuing, F->c.issuing, true, 0, "ec:P-256", &len);
    expect_refused(pool, false, "issuing", t, len, "CA certificate");
    free(t);
    t = odd_tbs(F->c.root, F->c.issuing, false, 0, "ec:P-256", &len); /* issuer = root's name */
    expect_refused(pool, false, "issuing", t, len, "issuer is not CA issuing");
    free(t);
    t = odd_tbs(F->c.issuing, F->c.root, false, 0, "ec:P-256", &len); /* AKI of the root */
    expect_refused(pool, false, "issuing", t, len, "authorityKeyIdentifier");
    free(t);
    t = odd_tbs(F->c.issuing, F->c.issuing, false, 86400, "ec:P-256", &len);
    expect_refused(pool, false, "issuing", t, len, "outside CA issuing's validity");
    free(t);
    t = odd_tbs(F->c.issuing, F->c.issuing, false, 0, "rsa:2048", &len); /* RSA alg, EC CA */
    expect_refused(pool, false, "issuing", t, len, "signature algorithm");
    expect_refused(pool, false, "nope", t, len, "unknown CA id");
    expect_refused(pool, false, "issuing", (const unsigned char *)"garbage", 7, "does not parse");
    expect_refused(pool, false, "issuing", t, len - 1, "does not parse");
    free(t);
    /* A valid leaf TBS for another CA (the RSA one) sent to "issuing". */
    assert_int_equal(st_leaf_tbs(F->rsa_ca, &t, &len), 0);
    expect_refused(pool, false, "issuing", t, len, "signature algorithm");
    free(t);
    /* CRLs: the root's TBS sent to issuing; garbage; truncated; trailing bytes. */
    time_t now = time(NULL);
    struct pki_crl_spec spec = {.issuer = F->c.root, .number = 1, .this_update = now, .next_update = now + 60};
    struct problem err;
    assert_int_equal(pki_crl_build_tbs_array(&spec, NULL, 0, &t, &len, &err), 0);
    expect_refused(pool, true, "issuing", t, len, "signature algorithm");
    free(t);
    spec.issuer = F->rsa_ca;
    assert_int_equal(pki_crl_build_tbs_array(&spec, NULL, 0, &t, &len, &err), 0);
    expect_refused(pool, true, "issuing", t, len, "algorithm"); /* RSA alg vs EC CA */
    free(t);
    spec.issuer = F->c.issuing;
    assert_int_equal(pki_crl_build_tbs_array(&spec, NULL, 0, &t, &len, &err), 0);
    expect_refused(pool, true, "issuing", t, len - 3, "single DER SEQUENCE");
    unsigned char *longer = malloc(len + 2);
    memcpy(longer, t, len);
    longer[len] = 0x05;
    longer[len + 1] = 0x00;
    expect_refused(pool, true, "issuing", longer, len + 2, "single DER SEQUENCE");
    free(longer);
    t[2 + 2] = 0x00; /* version 1 -> 0 (v1) */
    expect_refused(pool, true, "issuing", t, len, "v2");
    free(t);
    /* Role: the root signs no leaf, and no CA certificate but its issuing CAs' own. */
    assert_int_equal(st_leaf_tbs(F->c.root, &t, &len), 0);
    expect_refused(pool, false, "root", t, len, "a root CA signs no end-entity certificate");
    free(t);
    t = odd_tbs_ext(F->c.root, F->c.root, true, "ec:P-384", F->c.issuing, NULL, NID_undef, NULL, &len);
    expect_refused(pool, false, "root", t, len, "only the certificate of an issuing CA it serves");
    free(t);
    t = odd_tbs_ext(F->c.root, F->c.root, true, "ec:P-384", F->c.issuing, F->c.int_key, NID_undef, NULL, &len);
    unsigned char *der = NULL;
    size_t dlen;
    assert_int_equal(signer_sign_cert(pool, "root", t, len, &der, &dlen, &err), 0); /* a re-issue: same key */
    free(der);
    free(t);
    /* Leaf extensions: an allow-list, and EKU only clientAuth/serverAuth. */
    t = odd_tbs_ext(F->c.issuing, F->c.issuing, false, "ec:P-256", NULL, NULL, NID_netscape_cert_type,
                    "client, objsign", &len);
    expect_refused(pool, false, "issuing", t, len, "extension 2.16.840.1.113730.1.1 is not allowed");
    free(t);
    t = odd_tbs_ext(F->c.issuing, F->c.issuing, false, "ec:P-256", NULL, NULL, NID_ext_key_usage,
                    "serverAuth, codeSigning", &len);
    expect_refused(pool, false, "issuing", t, len, "extendedKeyUsage 1.3.6.1.5.5.7.3.3 is not allowed");
    free(t);
    t = odd_tbs_ext(F->c.issuing, F->c.issuing, false, "ec:P-256", NULL, NULL, NID_certificate_policies,
                    NULL, &len);
    assert_int_equal(signer_sign_cert(pool, "issuing", t, len, &der, &dlen, &err), 0); /* certificatePolicies: allowed */
    free(der);
    free(t);
    /* CRLs: nextUpdate within [ca] crl_validity_hours, numbers rising. */
    spec = (struct pki_crl_spec){.issuer = F->c.issuing, .number = 10, .this_update = now,
                                 .next_update = now + 9999L * 86400};
    assert_int_equal(pki_crl_build_tbs_array(&spec, NULL, 0, &t, &len, &err), 0);
    expect_refused(pool, true, "issuing", t, len, "more than [ca] crl_validity_hours");
    free(t);
    spec.this_update = now + 86400;
    spec.next_update = now + 2 * 86400;
    assert_int_equal(pki_crl_build_tbs_array(&spec, NULL, 0, &t, &len, &err), 0);
    expect_refused(pool, true, "issuing", t, len, "thisUpdate is not now");
    free(t);
    spec.this_update = now - 300; /* a backdated thisUpdate is fine */
    spec.next_update = now + 168 * 3600;
    assert_int_equal(pki_crl_build_tbs_array(&spec, NULL, 0, &t, &len, &err), 0);
    assert_int_equal(signer_sign_crl(pool, "issuing", t, len, &der, &dlen, &err), 0);
    free(der);
    expect_refused(pool, true, "issuing", t, len, "CRL number 10 is not above 10");
    free(t);
    /* Still alive and willing after all that. */
    assert_int_equal(signer_ping(pool, &err), 0);
    assert_int_equal(signer_pool_alive(pool), 1);
    signer_pool_free(pool);
}

/* A TBSCertList of CA issuing made by OpenSSL, not by Troth's encoder, with
 * what Troth never writes: entry_nid on its one entry, extra_nid among the
 * CRL's extensions (NID_undef: none; NID_crl_number: a second cRLNumber),
 * and the cRLNumber left out when !number. */
static unsigned char *odd_crl_tbs(int entry_nid, int extra_nid, bool number, size_t *len)
{
    time_t now = time(NULL);
    X509_CRL *crl = X509_CRL_new();
    X509_CRL_set_version(crl, X509_CRL_VERSION_2);
    X509_CRL_set_issuer_name(crl, X509_get_subject_name(F->c.issuing));
    ASN1_TIME *tu = ASN1_TIME_set(NULL, now - 60), *nu = ASN1_TIME_set(NULL, now + 86400);
    X509_CRL_set1_lastUpdate(crl, tu);
    X509_CRL_set1_nextUpdate(crl, nu);
    X509_REVOKED *r = X509_REVOKED_new();
    ASN1_INTEGER *serial = ASN1_INTEGER_new(), *n = ASN1_INTEGER_new();
    ASN1_INTEGER_set(serial, 0x1234);
    ASN1_INTEGER_set(n, 500);
    X509_REVOKED_set_serialNumber(r, serial);
    X509_REVOKED_set_revocationDate(r, tu);
    if (entry_nid == NID_hold_instruction_code)
        X509_REVOKED_add1_ext_i2d(r, entry_nid, OBJ_nid2obj(NID_hold_instruction_reject), 0, 0);
    else if (entry_nid == NID_invalidity_date)
        X509_REVOKED_add1_ext_i2d(r, entry_nid, tu, 0, 0);
    X509_CRL_add0_revoked(crl, r);
    if (number)
        X509_CRL_add1_ext_i2d(crl, NID_crl_number, n, 0, 0);
    if (extra_nid != NID_undef)
        X509_CRL_add1_ext_i2d(crl, extra_nid, n, 0, X509V3_ADD_APPEND);
    assert_true(X509_CRL_sign(crl, F->c.int_key, EVP_sha256()) > 0);
    unsigned char *der = NULL, *out;
    int l = i2d_re_X509_CRL_tbs(crl, &der);
    assert_true(l > 0);
    out = malloc((size_t)l);
    memcpy(out, der, (size_t)l);
    *len = (size_t)l;
    OPENSSL_free(der);
    ASN1_INTEGER_free(serial);
    ASN1_INTEGER_free(n);
    ASN1_TIME_free(tu);
    ASN1_TIME_free(nu);
    X509_CRL_free(crl);
    return out;
}

/* The CRL policy walks the DER (no d2i_X509_CRL of a million entries):
 * entry and CRL extensions outside the allow-list, a missing or doubled
 * cRLNumber are refused; what OpenSSL itself writes within it is signed. */
static void test_crl_policy_on_openssl_made_crls(void **state)
{
    (void)state;
    struct signer_pool *pool = start_pool(1);
    struct problem err;
    size_t len, dlen;
    unsigned char *t, *der = NULL;
    t = odd_crl_tbs(NID_hold_instruction_code, NID_undef, true, &len);
    expect_refused(pool, true, "issuing", t, len, "CRL entry extension not allowed");
    free(t);
    t = odd_crl_tbs(NID_undef, NID_delta_crl, true, &len);
    expect_refused(pool, true, "issuing", t, len, "CRL extension 2.5.29.27 is not allowed");
    free(t);
    t = odd_crl_tbs(NID_undef, NID_undef, false, &len);
    expect_refused(pool, true, "issuing", t, len, "no cRLNumber");
    free(t);
    t = odd_crl_tbs(NID_undef, NID_crl_number, true, &len);
    expect_refused(pool, true, "issuing", t, len, "appears twice");
    free(t);
    t = odd_crl_tbs(NID_invalidity_date, NID_undef, true, &len);
    if (signer_sign_crl(pool, "issuing", t, len, &der, &dlen, &err) != 0)
        fail_msg("an allowed entry extension: %s", err.detail);
    const unsigned char *p = der;
    X509_CRL *crl = d2i_X509_CRL(NULL, &p, (long)dlen);
    assert_non_null(crl);
    assert_int_equal(X509_CRL_verify(crl, F->c.int_key), 1);
    X509_CRL_free(crl);
    free(der);
    free(t);
    signer_pool_free(pool);
}

static void assert_confined(pid_t pid)
{
    char *out = NULL;
    assert_int_equal(tu_run(&out, "grep -E '^(Uid|Seccomp|NoNewPrivs):' /proc/%d/status", (int)pid), 0);
    if (getuid() == 0)
        assert_non_null(strstr(out, "Uid:\t65534\t65534\t65534\t65534"));
    assert_non_null(strstr(out, "Seccomp:\t2"));
    assert_non_null(strstr(out, "NoNewPrivs:\t1"));
    free(out);
}

/* Call until a worker answers again (the supervisor restarts it on its own), at most 10 s. */
static void await_recovery(struct signer_pool *pool)
{
    struct problem err;
    for (int i = 0; i < 1000 && signer_ping(pool, &err) != 0; i++)
        usleep(10 * 1000);
    assert_int_equal(signer_ping(pool, &err), 0);
}

static void test_killed_worker_restarted(void **state)
{
    (void)state;
    struct signer_pool *pool = start_pool(2);
    struct problem err;
    pid_t old[2] = {signer_pool_worker_pid(pool, 0), signer_pool_worker_pid(pool, 1)};
    assert_confined(old[0]);
    assert_confined(old[1]);
    for (size_t i = 0; i < 2; i++)
        kill(old[i], SIGKILL);
    /* the first call may hit a dead worker: 503, never a hang or a crash */
    if (signer_ping(pool, &err) != 0) {
        assert_int_equal(err.status, 503);
        assert_string_equal(problem_kind_name(err.kind), "signer-unavailable");
    }
    /* the supervisor, not this process, starts new workers and hands them over */
    await_recovery(pool);
    for (int i = 0; i < 1000 && signer_pool_alive(pool) < 2; i++) {
        signer_pool_check(pool);
        usleep(10 * 1000);
    }
    assert_int_equal(signer_pool_alive(pool), 2);
    for (size_t i = 0; i < 2; i++) {
        pid_t p = signer_pool_worker_pid(pool, i);
        assert_true(p != old[0] && p != old[1]);
        assert_confined(p);
    }
    X509 *leaf = sign_leaf(pool, "issuing", F->c.issuing);
    assert_int_equal(X509_verify(leaf, F->c.int_key), 1);
    X509_free(leaf);
    /* A worker that dies while idle is noticed by check and replaced. */
    old[0] = signer_pool_worker_pid(pool, 0);
    kill(old[0], SIGKILL);
    for (int i = 0; i < 1000 && (signer_pool_worker_pid(pool, 0) == old[0] || signer_pool_alive(pool) < 2); i++) {
        signer_pool_check(pool);
        usleep(10 * 1000);
    }
    assert_int_not_equal(signer_pool_worker_pid(pool, 0), old[0]);
    assert_int_equal(signer_ping(pool, &err), 0);
    signer_pool_free(pool);
}

/* A same-uid process cannot read a worker's memory (PR_SET_DUMPABLE 0). */
static void test_worker_memory_unreadable(void **state)
{
    (void)state;
    struct signer_pool *pool = start_pool(1);
    pid_t w = signer_pool_worker_pid(pool, 0);
    pid_t child = fork();
    if (child == 0) {
        /* become the worker's uid (nobody when root), then try its memory */
        if (getuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0))
            _exit(2);
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/mem", (int)w);
        int fd = open(path, O_RDONLY);
        _exit(fd < 0 ? 0 : 1);
    }
    int st;
    assert_int_equal(waitpid(child, &st, 0), child);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
    char *out = NULL;
    assert_int_equal(tu_run(&out, "cat /proc/%d/environ | tr -d '\\0' | wc -c", (int)w), 0);
    assert_int_equal(atoi(out), 0); /* an empty environment */
    free(out);
    signer_pool_free(pool);
}

struct share_job {
    struct signer_pool *pool;
    int failures;
};

static void *share_thread(void *arg)
{
    struct share_job *j = arg;
    for (int i = 0; i < 25; i++) {
        X509 *x = NULL;
        unsigned char *tbs, *der;
        size_t len, dlen;
        struct problem err;
        if (st_leaf_tbs(F->c.issuing, &tbs, &len) != 0 ||
            signer_sign_cert(j->pool, "issuing", tbs, len, &der, &dlen, &err) != 0) {
            j->failures++;
            continue;
        }
        x = pki_cert_from_der(der, dlen);
        if (x == NULL || X509_verify(x, F->c.int_key) != 1)
            j->failures++;
        X509_free(x);
        free(tbs);
        free(der);
    }
    return NULL;
}

/* More threads than workers: callers wait for a free worker (mutex + condvar), none fails. */
static void test_threads_share_workers(void **state)
{
    (void)state;
    struct signer_pool *pool = start_pool(2);
    pthread_t th[6];
    struct share_job jobs[6];
    for (int i = 0; i < 6; i++) {
        jobs[i] = (struct share_job){pool, 0};
        assert_int_equal(pthread_create(&th[i], NULL, share_thread, &jobs[i]), 0);
    }
    for (int i = 0; i < 6; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(jobs[i].failures, 0);
    }
    signer_pool_free(pool);
}

static void expect_start_refused(const char *pass_file, const char *why)
{
    struct signer_pool *pool = NULL;
    struct problem err;
    struct signer_pool_opts o = st_pool_opts(F, 1);
    o.passphrase_file = pass_file;
    assert_int_equal(signer_pool_open(&pool, &o, F->blobs, 3, &err), -1);
    assert_null(pool);
    assert_int_equal(err.status, 503);
    if (strstr(err.detail, why) == NULL)
        fail_msg("start refusal '%s' lacks '%s'", err.detail, why);
}

static void test_bad_passphrase_refuses_start(void **state)
{
    (void)state;
    char *p = tu_path(F->dir, "wrongpass");
    tu_write(p, "a wrong passphrase\n", 19);
    chmod(p, 0600);
    expect_start_refused(p, "wrong passphrase");
    /* readable by others: refused before any key is touched */
    tu_write(p, ST_PASS, strlen(ST_PASS));
    chmod(p, 0644);
    expect_start_refused(p, "mode 644");
    free(p);
}

/* Entries for a large CRL: 16-byte serials, one reason each. */
struct many { size_t i, n; time_t at; };
static int next_many(void *ctx, struct pki_crl_entry *out)
{
    struct many *m = ctx;
    if (m->i == m->n)
        return 0;
    memset(out, 0, sizeof *out);
    out->serial_len = 16;
    out->serial[0] = 0x40;
    for (int b = 0; b < 8; b++)
        out->serial[15 - b] = (unsigned char)(m->i >> (8 * b));
    out->revoked_at = m->at;
    out->reason = PKI_REASON_KEY_COMPROMISE;
    m->i++;
    return 1;
}

/* A CRL past the 64 MiB frame limit (1.5 M entries, about 73 MB): signed
 * and verified, and no worker killed for it (it once was, in a loop, so such
 * a CRL was never refreshed). */
static void test_crl_larger_than_a_frame(void **state)
{
    (void)state;
    struct signer_pool *pool = start_pool(1);
    pid_t worker = signer_pool_worker_pid(pool, 0);
    time_t now = time(NULL);
    struct pki_crl_spec spec = {.issuer = F->c.issuing, .number = 7, .this_update = now - 60,
                                .next_update = now + 86400};
    struct many m = {0, 1500000, now - 120};
    unsigned char *tbs = NULL, *der = NULL;
    size_t len = 0, dlen = 0;
    struct problem err;
    assert_int_equal(pki_crl_build_tbs(&spec, next_many, &m, m.n, &tbs, &len, &err), 0);
    assert_true(len > 64u * 1024 * 1024);
    signer_pool_set_timeout(pool, 60000);
    if (signer_sign_crl(pool, "issuing", tbs, len, &der, &dlen, &err) != 0)
        fail_msg("sign large crl: %s: %s", problem_kind_name(err.kind), err.detail);
    const unsigned char *p = der;
    X509_CRL *crl = d2i_X509_CRL(NULL, &p, (long)dlen);
    assert_non_null(crl);
    assert_int_equal(X509_CRL_verify(crl, F->c.int_key), 1);
    assert_int_equal(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl)), (int)m.n);
    assert_int_equal(signer_pool_worker_pid(pool, 0), worker);
    assert_int_equal(signer_pool_alive(pool), 1);
    X509_CRL_free(crl);
    free(der);
    free(tbs);
    signer_pool_free(pool);
}


int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chain_and_crl_through_signer),
        cmocka_unit_test(test_signer_refusals),
        cmocka_unit_test(test_crl_policy_on_openssl_made_crls),
        cmocka_unit_test(test_crl_larger_than_a_frame),
        cmocka_unit_test(test_killed_worker_restarted),
        cmocka_unit_test(test_worker_memory_unreadable),
        cmocka_unit_test(test_threads_share_workers),
        cmocka_unit_test(test_bad_passphrase_refuses_start),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

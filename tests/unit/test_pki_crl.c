/* CRL TBS encoding, signing, and checks with OpenSSL's parser and commands. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ca/crl_gen.h"
#include "pki/crl.h"
#include "pki/encode.h"
#include "pki/leaf.h"
#include "pki/sign.h"
#include "pki_test_util.h"

static X509_CRL *sign_crl(struct tu_cas *c, const struct pki_crl_entry *e, size_t n, uint64_t number,
                          time_t tu, time_t nu, unsigned char **der_out, size_t *der_len)
{
    struct pki_crl_spec spec = {.issuer = c->issuing, .number = number, .this_update = tu, .next_update = nu};
    struct problem err;
    unsigned char *tbs, *der;
    size_t tbs_len, len;
    assert_int_equal(pki_crl_build_tbs_array(&spec, e, n, &tbs, &tbs_len, &err), 0);
    assert_int_equal(pki_sign_tbs(c->int_key, tbs, tbs_len, &der, &len, &err), 0);
    free(tbs);
    const unsigned char *p = der;
    X509_CRL *crl = d2i_X509_CRL(NULL, &p, (long)len);
    assert_non_null(crl);
    assert_ptr_equal(p, der + len);
    if (der_out) {
        *der_out = der;
        *der_len = len;
    } else {
        free(der);
    }
    return crl;
}

static X509 *leaf_for(struct tu_cas *c, unsigned char serial[16])
{
    struct problem err;
    X509_NAME *subj = pki_name_org_cn("M", "leaf", &err);
    const char *uris[] = {"https://a.org/fhir"};
    time_t now = time(NULL);
    struct pki_leaf_spec spec = {.pubkey = c->int_key, .subject = subj, .uris = uris, .n_uris = 1,
                                 .not_before = now - 3600, .not_after = now + 86400,
                                 .crl_url = "http://x/crl", .aia_url = "http://x/ca"};
    pki_random_serial(spec.serial);
    memcpy(serial, spec.serial, 16);
    unsigned char *tbs, *der;
    size_t tl, al, dl;
    const unsigned char *alg;
    assert_int_equal(pki_leaf_build_tbs(&spec, c->issuing, &tbs, &tl, &alg, &al, &err), 0);
    assert_int_equal(pki_sign_tbs(c->int_key, tbs, tl, &der, &dl, &err), 0);
    X509 *x = pki_cert_from_der(der, dl);
    free(tbs);
    free(der);
    X509_NAME_free(subj);
    return x;
}

static void test_crl_entries_and_verify(void **state)
{
    (void)state;
    struct tu_cas c;
    assert_int_equal(tu_make_cas(&c, "ec:P-256", "rsa:2048"), 0);
    unsigned char s_revoked[16], s_good[16];
    X509 *revoked = leaf_for(&c, s_revoked), *good = leaf_for(&c, s_good);
    time_t now = time(NULL);
    struct pki_crl_entry e[4] = {
        {.serial_len = 16, .revoked_at = now - 100, .reason = PKI_REASON_KEY_COMPROMISE},
        {.serial = {0x01, 0x02}, .serial_len = 2, .revoked_at = now - 50, .reason = PKI_REASON_UNSPECIFIED},
        {.serial = {0x7f}, .serial_len = 1, .revoked_at = now - 10, .reason = PKI_REASON_PRIVILEGE_WITHDRAWN},
        {.serial = {0x00, 0x00, 0x05}, .serial_len = 3, .revoked_at = now, .reason = PKI_REASON_CERTIFICATE_HOLD},
    };
    memcpy(e[0].serial, s_revoked, 16);
    unsigned char *der;
    size_t len;
    X509_CRL *crl = sign_crl(&c, e, 4, 4242, now - 60, now + 7 * 86400, &der, &len);
    assert_int_equal(X509_CRL_get_version(crl), X509_CRL_VERSION_2);
    assert_int_equal(X509_CRL_verify(crl, c.int_key), 1);
    assert_int_equal(X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(c.issuing)), 0);
    ASN1_INTEGER *num = X509_CRL_get_ext_d2i(crl, NID_crl_number, NULL, NULL);
    assert_int_equal(ASN1_INTEGER_get(num), 4242);
    ASN1_INTEGER_free(num);
    AUTHORITY_KEYID *akid = X509_CRL_get_ext_d2i(crl, NID_authority_key_identifier, NULL, NULL);
    assert_int_equal(ASN1_OCTET_STRING_cmp(akid->keyid, X509_get0_subject_key_id(c.issuing)), 0);
    AUTHORITY_KEYID_free(akid);
    STACK_OF(X509_REVOKED) *rev = X509_CRL_get_REVOKED(crl);
    assert_int_equal(sk_X509_REVOKED_num(rev), 4);
    static const int want_reason[] = {1, -1, 9, 6};
    for (int i = 0; i < 4; i++) {
        X509_REVOKED *r = sk_X509_REVOKED_value(rev, i);
        ASN1_ENUMERATED *reason = X509_REVOKED_get_ext_d2i(r, NID_crl_reason, NULL, NULL);
        if (want_reason[i] < 0) {
            assert_null(reason);
            assert_int_equal(X509_REVOKED_get_ext_count(r), 0);
        } else {
            assert_int_equal(ASN1_ENUMERATED_get(reason), want_reason[i]);
        }
        ASN1_ENUMERATED_free(reason);
        assert_int_equal(ASN1_TIME_cmp_time_t(X509_REVOKED_get0_revocationDate(r), e[i].revoked_at), 0);
    }
    assert_int_equal(ASN1_INTEGER_get(X509_REVOKED_get0_serialNumber(sk_X509_REVOKED_value(rev, 3))), 5);

    int verr;
    assert_int_equal(tu_verify_chain(c.root, c.issuing, good, crl, &verr), 1);
    assert_int_equal(tu_verify_chain(c.root, c.issuing, revoked, crl, &verr), 0);
    assert_int_equal(verr, X509_V_ERR_CERT_REVOKED);

    char *dir = tu_mkdtemp(), *rp = tu_path(dir, "root.pem"), *ip = tu_path(dir, "int.pem"),
         *lp = tu_path(dir, "revoked.pem"), *gp = tu_path(dir, "good.pem"), *cp = tu_path(dir, "int.crl"),
         *out = NULL;
    tu_write_cert(rp, c.root);
    tu_write_cert(ip, c.issuing);
    tu_write_cert(lp, revoked);
    tu_write_cert(gp, good);
    tu_write(cp, der, len);
    assert_int_equal(tu_run(&out, "openssl crl -inform DER -in %s -noout -text -CAfile %s -verify", cp, ip), 0);
    assert_non_null(strstr(out, "verify OK"));
    assert_non_null(strstr(out, "X509v3 CRL Number: \n                4242"));
    assert_non_null(strstr(out, "Key Compromise"));
    assert_non_null(strstr(out, "Privilege Withdrawn"));
    assert_non_null(strstr(out, "Certificate Hold"));
    free(out);
    /* Leaf check only (-crl_check): revoked is reported revoked, good passes. */
    assert_int_equal(tu_run(NULL, "openssl crl -inform DER -in %s -out %s.pem", cp, cp), 0);
    assert_int_not_equal(tu_run(&out, "openssl verify -crl_check -CAfile %s -untrusted %s -CRLfile %s.pem %s",
                                rp, ip, cp, lp), 0);
    assert_non_null(strstr(out, "certificate revoked"));
    free(out);
    assert_int_equal(tu_run(&out, "openssl verify -crl_check -CAfile %s -untrusted %s -CRLfile %s.pem %s",
                            rp, ip, cp, gp), 0);
    free(out);
    free(rp); free(ip); free(lp); free(gp); free(cp);
    tu_rmdir(dir);
    free(der);
    X509_CRL_free(crl);
    X509_free(revoked);
    X509_free(good);
    tu_free_cas(&c);
}

static void test_crl_empty_and_dates(void **state)
{
    (void)state;
    struct tu_cas c;
    assert_int_equal(tu_make_cas(&c, "ec:P-256", "ec:P-384"), 0);
    time_t t2049 = 2524607999, t2050 = 2524608000; /* 2049-12-31T23:59:59Z, 2050-01-01T00:00:00Z */
    X509_CRL *crl = sign_crl(&c, NULL, 0, 1, t2049, t2050, NULL, NULL);
    assert_null(X509_CRL_get_REVOKED(crl));
    assert_int_equal(ASN1_STRING_type(X509_CRL_get0_lastUpdate(crl)), V_ASN1_UTCTIME);
    assert_int_equal(ASN1_STRING_type(X509_CRL_get0_nextUpdate(crl)), V_ASN1_GENERALIZEDTIME);
    assert_int_equal(X509_CRL_get_signature_nid(crl), NID_ecdsa_with_SHA384);
    assert_int_equal(X509_CRL_verify(crl, c.int_key), 1);
    X509_CRL_free(crl);

    struct pki_crl_spec spec = {.issuer = c.issuing, .number = 2, .this_update = t2050, .next_update = t2049};
    struct problem err;
    unsigned char *tbs;
    size_t len;
    assert_int_equal(pki_crl_build_tbs_array(&spec, NULL, 0, &tbs, &len, &err), -1);
    assert_string_equal(problem_kind_name(err.kind), "crl-dates-invalid");
    spec.next_update = t2050 + 1;
    struct pki_crl_entry bad = {.serial = {0x80}, .serial_len = 1, .reason = 1};
    assert_int_equal(pki_crl_build_tbs_array(&spec, &bad, 1, &tbs, &len, &err), -1);
    assert_string_equal(problem_kind_name(err.kind), "crl-entry-invalid");
    bad.serial[0] = 1;
    bad.reason = 7;
    assert_int_equal(pki_crl_build_tbs_array(&spec, &bad, 1, &tbs, &len, &err), -1);
    assert_int_equal(pki_crl_reason_from_name("keyCompromise"), 1);
    assert_int_equal(pki_crl_reason_from_name("removeFromCRL"), -1);
    assert_string_equal(pki_crl_reason_name(9), "privilegeWithdrawn");
    tu_free_cas(&c);
}

struct gen {
    size_t i, n;
    time_t t;
};

static int gen_next(void *ctx, struct pki_crl_entry *out)
{
    struct gen *g = ctx;
    if (g->i >= g->n)
        return 0;
    memset(out, 0, sizeof *out);
    out->serial_len = 16;
    out->serial[0] = 0x40;
    for (int k = 0; k < 8; k++)
        out->serial[15 - k] = (unsigned char)(g->i >> (8 * k));
    out->revoked_at = g->t - (time_t)g->i;
    out->reason = (int)(g->i % 3) == 0 ? 0 : (int)(g->i % 3) == 1 ? 1 : 9;
    g->i++;
    return 1;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void test_crl_100k(void **state)
{
    (void)state;
    struct tu_cas c;
    assert_int_equal(tu_make_cas(&c, "ec:P-256", "ec:P-256"), 0);
    time_t now = time(NULL);
    struct gen g = {0, 100000, now};
    struct pki_crl_spec spec = {.issuer = c.issuing, .number = 7, .this_update = now, .next_update = now + 86400};
    struct problem err;
    unsigned char *tbs, *der;
    size_t len, dlen;
    double t0 = now_s();
    assert_int_equal(pki_crl_build_tbs(&spec, gen_next, &g, g.n, &tbs, &len, &err), 0);
    double t1 = now_s();
    assert_int_equal(pki_sign_tbs(c.int_key, tbs, len, &der, &dlen, &err), 0);
    double t2 = now_s();
    printf("CRL of 100000 entries: TBS %zu bytes built in %.1f ms, signed+assembled in %.1f ms\n",
           len, (t1 - t0) * 1e3, (t2 - t1) * 1e3);
    const unsigned char *p = der;
    X509_CRL *crl = d2i_X509_CRL(NULL, &p, (long)dlen);
    assert_non_null(crl);
    assert_int_equal(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl)), 100000);
    assert_int_equal(X509_CRL_verify(crl, c.int_key), 1);
    X509_CRL_free(crl);
    free(tbs);
    free(der);
    tu_free_cas(&c);
}

static void test_crl_1m_build(void **state)
{
    (void)state;
    struct tu_cas c;
    assert_int_equal(tu_make_cas(&c, "ec:P-256", "ec:P-256"), 0);
    time_t now = time(NULL);
    struct gen g = {0, 1000000, now};
    struct pki_crl_spec spec = {.issuer = c.issuing, .number = 8, .this_update = now, .next_update = now + 86400};
    struct problem err;
    unsigned char *tbs;
    size_t len;
    double t0 = now_s();
    assert_int_equal(pki_crl_build_tbs(&spec, gen_next, &g, g.n, &tbs, &len, &err), 0);
    printf("CRL of 1000000 entries: TBS %zu bytes built in %.1f ms\n", len, (now_s() - t0) * 1e3);
    free(tbs);
    tu_free_cas(&c);
}

/* thisUpdate lies `backdate` seconds back and rises by >= 1 s per CRL, so
 * two CRLs never share a Last-Modified (If-Modified-Since 304 otherwise). */
static void test_crl_this_update_rises(void **state)
{
    (void)state;
    assert_int_equal(crl_this_update(1000, 0, 90), 910);
    assert_int_equal(crl_this_update(1000, 910, 90), 911); /* same second */
    assert_int_equal(crl_this_update(1000, 909, 90), 910);
    assert_int_equal(crl_this_update(1000, 1000, 0), 1001); /* beyond now: caller waits */
    time_t prev = 0;
    for (int i = 0; i < 5; i++) { /* a burst in one second */
        time_t t = crl_this_update(2000, prev, 90);
        assert_true(t >= prev + 1 && t <= 2000);
        prev = t;
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crl_this_update_rises),
        cmocka_unit_test(test_crl_entries_and_verify),
        cmocka_unit_test(test_crl_empty_and_dates),
        cmocka_unit_test(test_crl_100k),
        cmocka_unit_test(test_crl_1m_build),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

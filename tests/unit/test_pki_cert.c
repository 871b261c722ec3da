/* CA certificates and leaf building, signed in-process, checked with OpenSSL and `openssl verify`. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "pki/encode.h"
#include "pki/ext.h"
#include "pki/leaf.h"
#include "pki/sign.h"
#include "pki_test_util.h"

static const char *const URIS[] = {"https://App.Example.org/fhir/", "urn:oid:1.2.3", "https://a.org/fhir"};

/* Count DER octets of the serial and require it positive. */
static void assert_serial_16_positive(const X509 *x)
{
    const ASN1_INTEGER *sn = X509_get0_serialNumber(x);
    assert_int_equal(ASN1_STRING_type(sn), V_ASN1_INTEGER); /* not V_ASN1_NEG_INTEGER */
    assert_int_equal(ASN1_STRING_length(sn), 16);
    char *hex = pki_serial_hex(x);
    assert_int_equal(strlen(hex), 32);
    free(hex);
}

static void assert_ext_critical(X509 *x, int nid, int crit)
{
    int idx = X509_get_ext_by_NID(x, nid, -1);
    assert_true(idx >= 0);
    assert_int_equal(X509_EXTENSION_get_critical(X509_get_ext(x, idx)), crit);
}

static void test_root_and_issuing(void **state)
{
    (void)state;
    struct tu_cas c;
    assert_int_equal(tu_make_cas(&c, "ec:P-384", "ec:P-256"), 0);
    assert_int_equal(X509_get_version(c.root), X509_VERSION_3);
    assert_serial_16_positive(c.root);
    assert_serial_16_positive(c.issuing);
    assert_int_equal(X509_check_ca(c.root), 1);
    assert_int_equal(X509_check_ca(c.issuing), 1);
    assert_ext_critical(c.root, NID_basic_constraints, 1);
    assert_ext_critical(c.root, NID_key_usage, 1);
    assert_ext_critical(c.issuing, NID_basic_constraints, 1);
    assert_int_equal(X509_get_pathlen(c.issuing), 0);
    assert_int_equal(X509_get_pathlen(c.root), -1);
    assert_int_equal(X509_get_key_usage(c.issuing), KU_KEY_CERT_SIGN | KU_CRL_SIGN);
    /* P-384 root signs with SHA-384. */
    assert_int_equal(X509_get_signature_nid(c.root), NID_ecdsa_with_SHA384);
    assert_int_equal(X509_get_signature_nid(c.issuing), NID_ecdsa_with_SHA384);
    assert_int_equal(ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(c.issuing),
                                           X509_get0_subject_key_id(c.root)), 0);
    assert_int_equal(X509_verify(c.issuing, c.root_key), 1);
    assert_true(ASN1_TIME_compare(X509_get0_notAfter(c.issuing), X509_get0_notAfter(c.root)) <= 0);
    /* Subject is UTF8String O + CN. */
    X509_NAME *n = X509_get_subject_name(c.issuing);
    X509_NAME_ENTRY *e = X509_NAME_get_entry(n, X509_NAME_get_index_by_NID(n, NID_commonName, -1));
    assert_int_equal(ASN1_STRING_type(X509_NAME_ENTRY_get_data(e)), V_ASN1_UTF8STRING);
    /* CDP / AIA on the issuing CA. */
    char *dir = tu_mkdtemp(), *p = tu_path(dir, "int.pem"), *out = NULL;
    tu_write_cert(p, c.issuing);
    assert_int_equal(tu_run(&out, "openssl x509 -in %s -noout -text", p), 0);
    assert_non_null(strstr(out, "URI:http://127.0.0.1:8080/crl/root.crl"));
    assert_non_null(strstr(out, "CA Issuers - URI:http://127.0.0.1:8080/ca/root.crt"));
    free(out);
    free(p);
    tu_rmdir(dir);

    /* Import check: matching pair passes, mismatched key and leaf-like cert refused. */
    struct problem err;
    assert_int_equal(pki_ca_check_pair(c.issuing, c.int_key, &err), 0);
    assert_int_equal(pki_ca_check_pair(c.issuing, c.root_key, &err), -1);
    assert_string_equal(problem_kind_name(err.kind), "ca-key-mismatch");
    char *kpem = pki_key_encrypt_pem(c.root_key, "pw", &err);
    BIO *b = BIO_new(BIO_s_mem());
    PEM_write_bio_X509(b, c.root);
    char *cpem;
    long clen = BIO_get_mem_data(b, &cpem);
    X509 *ic;
    EVP_PKEY *ik;
    assert_int_equal(pki_ca_import_check(cpem, (size_t)clen, kpem, strlen(kpem), "pw", &ic, &ik, &err), 0);
    X509_free(ic);
    EVP_PKEY_free(ik);
    assert_int_equal(pki_ca_import_check(cpem, (size_t)clen, kpem, strlen(kpem), NULL, &ic, &ik, &err), -1);
    assert_string_equal(problem_kind_name(err.kind), "key-malformed");
    BIO_free(b);
    free(kpem);
    tu_free_cas(&c);
}

/* Build a leaf under c (issuing CA) and sign it in-process. */
static X509 *make_leaf(struct tu_cas *c, EVP_PKEY *key, time_t nb, time_t na, bool eku)
{
    struct problem err;
    X509_NAME *subj = pki_name_org_cn("Member Org", "app.example.org", &err);
    struct pki_leaf_spec spec = {
        .pubkey = key, .subject = subj, .uris = URIS, .n_uris = 3, .not_before = nb, .not_after = na,
        .crl_url = "http://127.0.0.1:8080/crl/issuing.crl", .aia_url = "http://127.0.0.1:8080/ca/issuing.crt",
        .eku_client_auth = eku,
    };
    assert_int_equal(pki_random_serial(spec.serial), 0);
    unsigned char *tbs, *der;
    size_t tbs_len, alg_len, der_len;
    const unsigned char *alg;
    assert_int_equal(pki_leaf_build_tbs(&spec, c->issuing, &tbs, &tbs_len, &alg, &alg_len, &err), 0);
    assert_int_equal(pki_sign_tbs(c->int_key, tbs, tbs_len, &der, &der_len, &err), 0);
    X509 *x = pki_cert_from_der(der, der_len);
    assert_non_null(x);
    free(tbs);
    free(der);
    X509_NAME_free(subj);
    return x;
}

static void check_leaf(struct tu_cas *c, const char *leaf_spec)
{
    struct problem err;
    EVP_PKEY *key = pki_key_generate(leaf_spec, &err);
    time_t now = time(NULL);
    X509 *leaf = make_leaf(c, key, now - 60, now + 400L * 86400 * 10, false); /* 10+ years: clamped */
    assert_int_equal(X509_get_version(leaf), X509_VERSION_3);
    assert_serial_16_positive(leaf);
    assert_true(ASN1_TIME_compare(X509_get0_notAfter(leaf), X509_get0_notAfter(c->issuing)) == 0);
    assert_ext_critical(leaf, NID_basic_constraints, 1);
    assert_ext_critical(leaf, NID_key_usage, 1);
    assert_int_equal(X509_get_ext_by_NID(leaf, NID_ext_key_usage, -1), -1);
    assert_int_equal(X509_check_ca(leaf), 0);
    assert_int_equal(X509_get_key_usage(leaf), KU_DIGITAL_SIGNATURE);
    assert_int_equal(ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(leaf),
                                           X509_get0_subject_key_id(c->issuing)), 0);
    /* SAN URIs byte-exact, in order. */
    GENERAL_NAMES *san = X509_get_ext_d2i(leaf, NID_subject_alt_name, NULL, NULL);
    assert_int_equal(sk_GENERAL_NAME_num(san), 3);
    for (int i = 0; i < 3; i++) {
        GENERAL_NAME *gn = sk_GENERAL_NAME_value(san, i);
        assert_int_equal(gn->type, GEN_URI);
        assert_int_equal(ASN1_STRING_length(gn->d.uniformResourceIdentifier), strlen(URIS[i]));
        assert_memory_equal(ASN1_STRING_get0_data(gn->d.uniformResourceIdentifier), URIS[i], strlen(URIS[i]));
    }
    GENERAL_NAMES_free(san);
    int verr;
    assert_int_equal(tu_verify_chain(c->root, c->issuing, leaf, NULL, &verr), 1);

    char *dir = tu_mkdtemp(), *rp = tu_path(dir, "root.pem"), *ip = tu_path(dir, "int.pem"),
         *lp = tu_path(dir, "leaf.pem"), *out = NULL;
    tu_write_cert(rp, c->root);
    tu_write_cert(ip, c->issuing);
    tu_write_cert(lp, leaf);
    assert_int_equal(tu_run(&out, "openssl verify -CAfile %s -untrusted %s %s", rp, ip, lp), 0);
    assert_non_null(strstr(out, ": OK"));
    free(out);
    assert_int_equal(tu_run(&out, "openssl x509 -in %s -noout -text", lp), 0);
    assert_non_null(strstr(out, "URI:https://App.Example.org/fhir/"));
    assert_non_null(strstr(out, "URI:http://127.0.0.1:8080/crl/issuing.crl"));
    assert_non_null(strstr(out, "CA Issuers - URI:http://127.0.0.1:8080/ca/issuing.crt"));
    free(out);
    free(rp);
    free(ip);
    free(lp);
    tu_rmdir(dir);
    X509_free(leaf);
    EVP_PKEY_free(key);
}

static void test_leaf_chain_ec(void **state)
{
    (void)state;
    struct tu_cas c;
    assert_int_equal(tu_make_cas(&c, "ec:P-384", "ec:P-256"), 0);
    check_leaf(&c, "ec:P-256");
    check_leaf(&c, "rsa:2048");
    tu_free_cas(&c);
}

static void test_leaf_chain_rsa(void **state)
{
    (void)state;
    struct tu_cas c;
    assert_int_equal(tu_make_cas(&c, "rsa:3072", "rsa:2048"), 0);
    assert_int_equal(X509_get_signature_nid(c.issuing), NID_sha256WithRSAEncryption);
    check_leaf(&c, "ec:P-384");
    tu_free_cas(&c);
}

static void test_leaf_refusals(void **state)
{
    (void)state;
    struct tu_cas c;
    struct problem err;
    assert_int_equal(tu_make_cas(&c, "ec:P-256", "ec:P-256"), 0);
    X509_NAME *subj = pki_name_org_cn("M", "m", &err);
    const char *bad_uris[] = {"https://a.org/ fhir"};
    time_t now = time(NULL);
    struct pki_leaf_spec spec = {
        .pubkey = c.int_key, .subject = subj, .uris = bad_uris, .n_uris = 1, .not_before = now,
        .not_after = now + 86400, .crl_url = "http://x/crl", .aia_url = "http://x/ca",
    };
    pki_random_serial(spec.serial);
    unsigned char *tbs;
    size_t tbs_len, alg_len;
    const unsigned char *alg;
    assert_int_equal(pki_leaf_build_tbs(&spec, c.issuing, &tbs, &tbs_len, &alg, &alg_len, &err), -1);
    assert_string_equal(problem_kind_name(err.kind), "uri-invalid");
    spec.uris = URIS;
    spec.not_before = now + 3650L * 86400 * 2;
    spec.not_after = spec.not_before + 86400;
    assert_int_equal(pki_leaf_build_tbs(&spec, c.issuing, &tbs, &tbs_len, &alg, &alg_len, &err), -1);
    assert_string_equal(problem_kind_name(err.kind), "validity-invalid");
    assert_int_equal(err.status, 422);
    spec.n_uris = 0;
    assert_int_equal(pki_leaf_build_tbs(&spec, c.issuing, &tbs, &tbs_len, &alg, &alg_len, &err), -1);
    assert_string_equal(problem_kind_name(err.kind), "uri-missing");
    X509_NAME_free(subj);
    tu_free_cas(&c);
}

/* pki_base64_decode undoes pki_base64 for every length mod 3, and refuses
 * what is not one line of padded base64. */
static void test_base64_round_trip(void **state)
{
    (void)state;
    unsigned char in[7] = {0, 1, 2, 0xfd, 0xfe, 0xff, 0x80};
    for (size_t n = 1; n <= sizeof in; n++) {
        char *b = pki_base64(in, n);
        unsigned char *out = NULL;
        size_t len = 0;
        assert_int_equal(pki_base64_decode(b, &out, &len), 0);
        assert_int_equal(len, n);
        assert_memory_equal(out, in, n);
        free(out);
        free(b);
    }
    unsigned char *out = NULL;
    size_t len;
    const char *bad[] = {"", "abc", "ab!d", "AAAA\nAAAA"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(pki_base64_decode(bad[i], &out, &len), -1);
        assert_null(out);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_root_and_issuing),
        cmocka_unit_test(test_leaf_chain_ec),
        cmocka_unit_test(test_leaf_chain_rsa),
        cmocka_unit_test(test_leaf_refusals),
        cmocka_unit_test(test_base64_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

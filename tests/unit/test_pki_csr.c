/* CSR parsing, proof of possession and key policy. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <openssl/rsa.h>

#include "pki/csr.h"
#include "pki/encode.h"
#include "pki_test_util.h"

/* A CSR (DER, malloc'd) for key with CN=test and SAN URIs, signed by key. */
static unsigned char *make_csr_der(EVP_PKEY *key, const char *uri, size_t *len)
{
    X509_REQ *req = X509_REQ_new();
    X509_NAME *n = X509_NAME_new();
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)"test", -1, -1, 0);
    X509_REQ_set_subject_name(req, n);
    X509_REQ_set_pubkey(req, key);
    STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
    GENERAL_NAMES *gns = GENERAL_NAMES_new();
    GENERAL_NAME *gn = GENERAL_NAME_new();
    ASN1_IA5STRING *s = ASN1_IA5STRING_new();
    ASN1_STRING_set(s, uri, -1);
    GENERAL_NAME_set0_value(gn, GEN_URI, s);
    sk_GENERAL_NAME_push(gns, gn);
    X509V3_add1_i2d(&exts, NID_subject_alt_name, gns, 0, 0);
    X509_REQ_add_extensions(req, exts);
    int id = EVP_PKEY_get_base_id(key);
    assert_true(X509_REQ_sign(req, key, id == EVP_PKEY_ED25519 ? NULL : EVP_sha256()) > 0);
    unsigned char *tmp = NULL;
    int n_der = i2d_X509_REQ(req, &tmp);
    unsigned char *out = malloc((size_t)n_der);
    memcpy(out, tmp, (size_t)n_der);
    *len = (size_t)n_der;
    OPENSSL_free(tmp);
    GENERAL_NAMES_free(gns);
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
    X509_NAME_free(n);
    X509_REQ_free(req);
    return out;
}

/* Run the full check on a CSR from key, as PEM; return the error code ("" when accepted). */
static void expect_csr(EVP_PKEY *key, bool rsa_only, int status, const char *code)
{
    size_t len;
    unsigned char *der = make_csr_der(key, "https://a.org/fhir/", &len);
    char *pem = pki_der_to_pem(der, len, "CERTIFICATE REQUEST");
    struct problem err = {0};
    X509_REQ *req = pki_csr_parse(pem, strlen(pem), &err);
    assert_non_null(req);
    struct pki_key_policy pol = {.rsa_only = rsa_only};
    int rc = pki_csr_check(req, &pol, &err);
    if (code == NULL) {
        assert_int_equal(rc, 0);
    } else {
        assert_int_equal(rc, -1);
        assert_int_equal(err.status, status);
        assert_string_equal(problem_kind_name(err.kind), code);
    }
    X509_REQ_free(req);
    free(pem);
    free(der);
}

static void test_key_policy(void **state)
{
    (void)state;
    EVP_PKEY *rsa1024 = EVP_RSA_gen(1024), *rsa2048 = EVP_RSA_gen(2048);
    EVP_PKEY *p256 = EVP_EC_gen("P-256"), *p384 = EVP_EC_gen("P-384"), *p521 = EVP_EC_gen("P-521");
    EVP_PKEY *k1 = EVP_EC_gen("secp256k1");
    EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    expect_csr(rsa2048, false, 0, NULL);
    expect_csr(rsa2048, true, 0, NULL);
    expect_csr(p256, false, 0, NULL);
    expect_csr(p384, false, 0, NULL);
    expect_csr(rsa1024, false, 422, "key-weak");
    expect_csr(p521, false, 422, "key-type-not-allowed");
    expect_csr(k1, false, 422, "key-type-not-allowed");
    expect_csr(ed, false, 422, "key-type-not-allowed");
    expect_csr(p256, true, 422, "rsa-required");
    EVP_PKEY *rsa_e3 = NULL;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
    BIGNUM *e = BN_new();
    BN_set_word(e, 3);
    EVP_PKEY_keygen_init(ctx);
    EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, 2048);
    EVP_PKEY_CTX_set1_rsa_keygen_pubexp(ctx, e);
    EVP_PKEY_keygen(ctx, &rsa_e3);
    expect_csr(rsa_e3, false, 0, NULL); /* odd and >= 3 is accepted */
    BN_free(e);
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(rsa_e3);
    EVP_PKEY *l[] = {rsa1024, rsa2048, p256, p384, p521, k1, ed};
    for (size_t i = 0; i < sizeof l / sizeof l[0]; i++)
        EVP_PKEY_free(l[i]);
}

/* A profile's key_types: exact types and sizes, the refusal names them. */
static void test_key_types_of_a_profile(void **state)
{
    (void)state;
    EVP_PKEY *rsa2048 = EVP_RSA_gen(2048), *rsa2560 = EVP_RSA_gen(2560);
    EVP_PKEY *p256 = EVP_EC_gen("P-256"), *p384 = EVP_EC_gen("P-384");
    assert_int_equal(pki_key_type_bit(rsa2048), PKI_KEYT_RSA2048);
    assert_int_equal(pki_key_type_bit(rsa2560), 0);
    assert_int_equal(pki_key_type_bit(p256), PKI_KEYT_EC_P256);
    assert_int_equal(pki_key_type_bit(p384), PKI_KEYT_EC_P384);
    struct pki_key_policy pol = {false, PKI_KEYT_RSA3072 | PKI_KEYT_EC_P256, "RSA-3072, EC-P256"};
    struct problem err = {0};
    assert_int_equal(pki_key_check(p256, &pol, &err), 0);
    assert_int_equal(pki_key_check(p384, &pol, &err), -1);
    assert_string_equal(problem_kind_name(err.kind), "key-type-not-allowed");
    assert_non_null(strstr(err.detail, "RSA-3072, EC-P256"));
    assert_non_null(strstr(err.detail, "EC P-384"));
    assert_int_equal(pki_key_check(rsa2048, &pol, &err), -1);
    assert_string_equal(problem_kind_name(err.kind), "key-type-not-allowed");
    /* no list: every size the base checks pass, as before profiles */
    struct pki_key_policy any = {0};
    assert_int_equal(pki_key_check(rsa2560, &any, &err), 0);
    EVP_PKEY *l[] = {rsa2048, rsa2560, p256, p384};
    for (size_t i = 0; i < sizeof l / sizeof l[0]; i++)
        EVP_PKEY_free(l[i]);
}

static void test_dsa_refused(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp(), *out = NULL;
    assert_int_equal(tu_run(NULL, "cd %s && openssl dsaparam -out p.pem 2048 && "
                                  "openssl req -new -newkey dsa:p.pem -nodes -keyout k.pem -subj /CN=x -out r.pem", dir), 0);
    char *p = tu_path(dir, "r.pem");
    assert_int_equal(tu_run(&out, "cat %s", p), 0);
    struct problem err;
    X509_REQ *req = pki_csr_parse(out, strlen(out), &err);
    assert_non_null(req);
    assert_int_equal(pki_csr_check(req, NULL, &err), -1);
    assert_string_equal(problem_kind_name(err.kind), "key-type-not-allowed");
    X509_REQ_free(req);
    free(out);
    free(p);
    tu_rmdir(dir);
}

/* A P-256 key written with explicit curve parameters (not the named-curve
 * OID): refused, as RFC 5480 section 2.1.1 requires named curves. */
static void test_ec_explicit_parameters_refused(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp(), *out = NULL;
    assert_int_equal(tu_run(NULL, "cd %s && openssl ecparam -name prime256v1 -param_enc "
                                  "explicit -genkey -noout -out k.pem && openssl req -new "
                                  "-key k.pem -subj /CN=x -out r.pem", dir), 0);
    char *p = tu_path(dir, "r.pem");
    assert_int_equal(tu_run(&out, "cat %s", p), 0);
    struct problem err = {0};
    X509_REQ *req = pki_csr_parse(out, strlen(out), &err);
    assert_non_null(req);
    assert_int_equal(pki_csr_check(req, NULL, &err), -1);
    assert_string_equal(problem_kind_name(err.kind), "key-type-not-allowed");
    assert_non_null(strstr(err.detail, "named curve"));
    X509_REQ_free(req);
    free(out);
    free(p);
    tu_rmdir(dir);
}

static void test_tampered_and_garbage(void **state)
{
    (void)state;
    EVP_PKEY *k = EVP_RSA_gen(2048);
    size_t len;
    unsigned char *der = make_csr_der(k, "https://a.org/fhir/", &len);
    struct problem err;
    /* DER input is accepted too; flip a bit in the signature's last byte. */
    der[len - 1] ^= 0x01;
    X509_REQ *req = pki_csr_parse((const char *)der, len, &err);
    assert_non_null(req);
    assert_int_equal(pki_csr_check(req, NULL, &err), -1);
    assert_int_equal(err.status, 422);
    assert_string_equal(problem_kind_name(err.kind), "csr-signature-invalid");
    X509_REQ_free(req);
    free(der);
    EVP_PKEY_free(k);

    static const char *const garbage[] = {
        "hello", "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n",
        "-----BEGIN CERTIFICATE REQUEST-----\n", "\x30\x82\xff\xff",
    };
    for (size_t i = 0; i < sizeof garbage / sizeof garbage[0]; i++) {
        assert_null(pki_csr_parse(garbage[i], strlen(garbage[i]), &err));
        assert_int_equal(err.status, 400);
        assert_string_equal(problem_kind_name(err.kind), "csr-malformed");
    }
    assert_null(pki_csr_parse("", 0, &err));
}

static void test_summary(void **state)
{
    (void)state;
    EVP_PKEY *k = EVP_EC_gen("P-384");
    size_t len;
    unsigned char *der = make_csr_der(k, "https://Mixed.Case.org/fhir/", &len);
    char *pem = pki_der_to_pem(der, len, "NEW CERTIFICATE REQUEST");
    struct problem err;
    X509_REQ *req = pki_csr_parse(pem, strlen(pem), &err);
    assert_non_null(req);
    struct pki_csr_summary s;
    assert_int_equal(pki_csr_summarize(req, &s, &err), 0);
    assert_string_equal(s.key_type, "EC");
    assert_int_equal(s.bits, 384);
    assert_string_equal(s.curve, "P-384");
    assert_string_equal(s.key_desc, "EC P-384");
    assert_string_equal(s.subject, "CN=test");
    assert_int_equal(s.n_uris, 1);
    assert_string_equal(s.uris[0], "https://Mixed.Case.org/fhir/");
    pki_csr_summary_free(&s);
    X509_REQ_free(req);
    free(pem);
    free(der);
    EVP_PKEY_free(k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_policy),
        cmocka_unit_test(test_key_types_of_a_profile),
        cmocka_unit_test(test_dsa_refused),
        cmocka_unit_test(test_ec_explicit_parameters_refused),
        cmocka_unit_test(test_tampered_and_garbage),
        cmocka_unit_test(test_summary),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Keys, DER writer and encoding helpers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <openssl/core_names.h>
#include <string.h>

#include "ca/compromised.h"
#include "pki/der.h"
#include "pki/encode.h"
#include "pki/keys.h"
#include "pki/sign.h"
#include "pki_test_util.h"

static void test_keygen_specs(void **state)
{
    (void)state;
    static const char *const specs[][2] = {
        {"rsa:2048", "RSA 2048"}, {"RSA-3072", "RSA 3072"}, {"ec:P-256", "EC P-256"},
        {"EC-P256", "EC P-256"}, {"ec:P-384", "EC P-384"}, {"EC-P384", "EC P-384"},
    };
    for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++) {
        struct problem err;
        EVP_PKEY *k = pki_key_generate(specs[i][0], &err);
        assert_non_null(k);
        char desc[32];
        pki_key_describe(k, desc, sizeof desc);
        assert_string_equal(desc, specs[i][1]);
        assert_non_null(pki_digest_for_key(k));
        EVP_PKEY_free(k);
    }
    static const char *const bad[] = {"rsa:1024", "ec:P-521", "ed25519", "", "RSA-2048 "};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct problem err;
        assert_null(pki_key_generate(bad[i], &err));
        assert_int_equal(err.status, 400);
        assert_string_equal(problem_kind_name(err.kind), "key-spec-invalid");
    }
    assert_true(pki_key_spec_valid("RSA-4096"));
    assert_false(pki_key_spec_valid("rsa:8192"));
}

static void test_key_encrypt_roundtrip(void **state)
{
    (void)state;
    struct problem err;
    EVP_PKEY *k = pki_key_generate("ec:P-256", &err);
    char *pem = pki_key_encrypt_pem(k, "correct horse", &err);
    assert_non_null(pem);
    assert_non_null(strstr(pem, "-----BEGIN ENCRYPTED PRIVATE KEY-----"));
    EVP_PKEY *back = pki_key_decrypt_pem(pem, strlen(pem), "correct horse", &err);
    assert_non_null(back);
    assert_int_equal(EVP_PKEY_eq(k, back), 1);
    assert_null(pki_key_decrypt_pem(pem, strlen(pem), "wrong horse", &err));
    assert_int_equal(err.status, 422);
    assert_string_equal(problem_kind_name(err.kind), "key-decrypt-failed");
    assert_null(pki_key_decrypt_pem("garbage", 7, "x", &err));
    assert_string_equal(problem_kind_name(err.kind), "key-malformed");

    /* Independent check of the algorithms with the openssl command. */
    char *dir = tu_mkdtemp(), *path = tu_path(dir, "k.pem"), *out = NULL;
    assert_int_equal(tu_write(path, pem, strlen(pem)), 0);
    assert_int_equal(tu_run(&out, "openssl asn1parse -in %s", path), 0);
    assert_non_null(strstr(out, "PBES2"));
    assert_non_null(strstr(out, "PBKDF2"));
    assert_non_null(strstr(out, "hmacWithSHA256"));
    assert_non_null(strstr(out, "aes-256-cbc"));
    assert_non_null(strstr(out, ":0927C0")); /* 600000 iterations */
    free(out);
    assert_int_equal(tu_run(NULL, "openssl pkey -in %s -passin pass:'correct horse' -noout", path), 0);
    assert_int_not_equal(tu_run(NULL, "openssl pkey -in %s -passin pass:nope -noout", path), 0);
    free(path);
    tu_rmdir(dir);
    free(pem);
    EVP_PKEY_free(back);
    EVP_PKEY_free(k);
}

static void test_der_writer(void **state)
{
    (void)state;
    struct der_buf b;
    der_init(&b, 0);
    size_t m = der_begin(&b, DER_SEQUENCE);
    unsigned char ser[] = {0x00, 0x00, 0x80, 0x01};
    der_put_uint_bytes(&b, ser, sizeof ser);   /* 02 03 00 80 01 */
    der_put_uint64(&b, 0);                     /* 02 01 00 */
    der_put_uint64(&b, 300);                   /* 02 02 01 2c */
    der_put_time(&b, 0x7fffffff);              /* 2038: UTCTime */
    der_put_time(&b, 2524608000);              /* 2050-01-01: GeneralizedTime */
    der_end(&b, m);
    size_t len;
    unsigned char *d = der_take(&b, &len);
    static const unsigned char want[] = {
        0x30, 0x2c, 0x02, 0x03, 0x00, 0x80, 0x01, 0x02, 0x01, 0x00, 0x02, 0x02, 0x01, 0x2c,
        0x17, 0x0d, '3', '8', '0', '1', '1', '9', '0', '3', '1', '4', '0', '7', 'Z',
        0x18, 0x0f, '2', '0', '5', '0', '0', '1', '0', '1', '0', '0', '0', '0', '0', '0', 'Z'};
    assert_int_equal(len, sizeof want);
    assert_memory_equal(d, want, len);
    free(d);

    /* Long lengths and the strict reader. */
    der_init(&b, 0);
    m = der_begin(&b, DER_OCTET_STRING);
    for (int i = 0; i < 300; i++)
        der_put(&b, "x", 1);
    der_end(&b, m);
    d = der_take(&b, &len);
    assert_int_equal(len, 304);
    assert_int_equal(d[1], 0x82);
    const unsigned char *p = d, *val;
    size_t vlen;
    assert_int_equal(der_expect(&p, d + len, DER_OCTET_STRING, &val, &vlen), 0);
    assert_int_equal(vlen, 300);
    p = d;
    assert_int_equal(der_expect(&p, d + len - 1, DER_OCTET_STRING, &val, &vlen), -1); /* truncated */
    free(d);
    static const unsigned char nonmin[] = {0x04, 0x81, 0x01, 0x00}, indef[] = {0x30, 0x80, 0, 0};
    p = nonmin;
    assert_int_equal(der_expect(&p, nonmin + 4, DER_OCTET_STRING, &val, &vlen), -1);
    p = indef;
    assert_int_equal(der_expect(&p, indef + 4, DER_SEQUENCE, &val, &vlen), -1);
}

static void test_encodings(void **state)
{
    (void)state;
    static const unsigned char der[] = {0x30, 0x03, 0x02, 0x01, 0x05};
    char fp[PKI_FP_HEX_SIZE];
    pki_fingerprint_sha256((const unsigned char *)"abc", 3, false, fp);
    assert_string_equal(fp, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    pki_fingerprint_sha256((const unsigned char *)"abc", 3, true, fp);
    assert_int_equal(strlen(fp), 95);
    assert_memory_equal(fp, "ba:78:16:bf", 11);
    char *pem = pki_der_to_pem(der, sizeof der, "TEST");
    assert_string_equal(pem, "-----BEGIN TEST-----\nMAMCAQU=\n-----END TEST-----\n");
    unsigned char *back;
    size_t blen;
    assert_int_equal(pki_pem_to_der(pem, strlen(pem), "TEST", &back, &blen), 0);
    assert_int_equal(blen, sizeof der);
    assert_memory_equal(back, der, blen);
    free(back);
    assert_int_equal(pki_pem_to_der(pem, strlen(pem), "CERTIFICATE", &back, &blen), -1);
    free(pem);
    char *b64 = pki_base64(der, sizeof der);
    assert_string_equal(b64, "MAMCAQU=");
    free(b64);
}

/* A compromised EC key sent again with a compressed point, or with the
 * conversion form of the parsed key, hashes the same: no way around the
 * key-compromised refusal by re-encoding. */
static void test_spki_hash_is_canonical(void **state)
{
    (void)state;
    EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    assert_non_null(k);
    EVP_PKEY *c = EVP_PKEY_dup(k);
    assert_int_equal(EVP_PKEY_set_utf8_string_param(
                         c, OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
                         OSSL_PKEY_EC_POINT_CONVERSION_FORMAT_COMPRESSED), 1);
    unsigned char *d1 = NULL, *d2 = NULL;
    int l1 = i2d_PUBKEY(k, &d1), l2 = i2d_PUBKEY(c, &d2);
    assert_true(l1 > l2); /* the encodings differ */
    const unsigned char *p = d2;
    EVP_PKEY *parsed = d2i_PUBKEY(NULL, &p, l2); /* as from a CSR */
    assert_non_null(parsed);
    unsigned char h1[32], h2[32], h3[32];
    assert_int_equal(ca_spki_sha256(k, h1), 0);
    assert_int_equal(ca_spki_sha256(c, h2), 0);
    assert_int_equal(ca_spki_sha256(parsed, h3), 0);
    assert_memory_equal(h1, h2, 32);
    assert_memory_equal(h1, h3, 32);
    EVP_PKEY *other = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    assert_int_equal(ca_spki_sha256(other, h2), 0);
    assert_memory_not_equal(h1, h2, 32);
    OPENSSL_free(d1);
    OPENSSL_free(d2);
    EVP_PKEY_free(k);
    EVP_PKEY_free(c);
    EVP_PKEY_free(parsed);
    EVP_PKEY_free(other);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keygen_specs),
        cmocka_unit_test(test_key_encrypt_roundtrip),
        cmocka_unit_test(test_der_writer),
        cmocka_unit_test(test_encodings),
        cmocka_unit_test(test_spki_hash_is_canonical),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* PKCS#12 bundles opened by `openssl pkcs12`. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "pki/pkcs12.h"
#include "pki_test_util.h"

static void test_pkcs12_roundtrip(void **state)
{
    (void)state;
    struct tu_cas c;
    assert_int_equal(tu_make_cas(&c, "ec:P-256", "ec:P-256"), 0);
    X509 *chain[] = {c.issuing, c.root};
    unsigned char *der;
    size_t len;
    struct problem err;
    /* The issuing CA stands in for a leaf: the bundle format does not care. */
    assert_int_equal(pki_pkcs12_create(c.int_key, c.issuing, chain, 2, "s3cret pass", "member", &der, &len, &err), 0);
    unsigned char *none;
    size_t none_len;
    assert_int_equal(pki_pkcs12_create(c.int_key, c.issuing, chain, 2, "", "m", &none, &none_len, &err), -1);
    assert_string_equal(problem_kind_name(err.kind), "passphrase-missing");
    char *dir = tu_mkdtemp(), *p = tu_path(dir, "b.p12"), *out = NULL;
    tu_write(p, der, len);
    assert_int_equal(tu_run(&out, "openssl pkcs12 -info -nokeys -in %s -passin pass:'s3cret pass'", p), 0);
    assert_non_null(strstr(out, "MAC: sha256, Iteration 300000"));
    /* .NET 9's default loading limits: 300,000 per derivation and MAC */
    assert_non_null(strstr(out, "PBES2, PBKDF2, AES-256-CBC, Iteration 300000, PRF hmacWithSHA256"));
    assert_null(strstr(out, "Iteration 600000"));
    assert_non_null(strstr(out, "BEGIN CERTIFICATE"));
    free(out);
    assert_int_equal(tu_run(&out, "openssl pkcs12 -in %s -nodes -passin pass:'s3cret pass' | openssl pkey -noout", p), 0);
    free(out);
    assert_int_not_equal(tu_run(&out, "openssl pkcs12 -info -nokeys -in %s -passin pass:wrong", p), 0);
    free(out);
    /* Independent implementation: python3-cryptography, if present. */
    if (access("/usr/bin/python3", X_OK) == 0 &&
        tu_run(NULL, "/usr/bin/python3 -c 'import cryptography'") == 0) {
        assert_int_equal(tu_run(&out, "/usr/bin/python3 -c \"import sys;from cryptography.hazmat.primitives.serialization import pkcs12;"
                                      "k,c,a=pkcs12.load_key_and_certificates(open('%s','rb').read(),b's3cret pass');"
                                      "print(len(a), k is not None)\"", p), 0);
        assert_non_null(strstr(out, "2 True"));
        free(out);
    }
    free(p);
    tu_rmdir(dir);
    free(der);
    tu_free_cas(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pkcs12_roundtrip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

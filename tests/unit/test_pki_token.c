/* PKCS#11 URIs (RFC 7512 subset of pki/token.h): what is read, what is
 * refused with the attribute named, and that formatting reads back. The
 * token itself (SoftHSM2) is exercised by tests/e2e/test_pkcs11.py. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "pki/token.h"

static void test_uri_reads_token_object_id(void **state)
{
    (void)state;
    struct pki_token_uri u;
    struct problem err = {0};
    assert_int_equal(pki_token_uri_parse("pkcs11:token=troth%20ca;object=issuing;id=%01%a0%FF;type=private", &u,
                                         &err), 0);
    assert_string_equal(u.token, "troth ca");
    assert_string_equal(u.object, "issuing");
    assert_int_equal(u.id_len, 3);
    assert_memory_equal(u.id, "\x01\xa0\xff", 3);
    assert_int_equal(pki_token_uri_parse("pkcs11:token=t", &u, &err), 0);
    assert_string_equal(u.token, "t");
    assert_int_equal(u.id_len, 0);
    assert_string_equal(u.object, "");
}

static void test_uri_format_reads_back(void **state)
{
    (void)state;
    struct pki_token_uri u = {.token = "my token;x", .object = "troth-issuing", .id_len = 16};
    for (size_t i = 0; i < u.id_len; i++)
        u.id[i] = (unsigned char)(i * 17);
    char out[PKI_TOKEN_URI_MAX];
    assert_int_equal(pki_token_uri_format(&u, out, sizeof out), 0);
    assert_non_null(strstr(out, "token=my%20token%3Bx;object=troth-issuing;id=%00%11%22"));
    struct pki_token_uri back;
    struct problem err = {0};
    assert_int_equal(pki_token_uri_parse(out, &back, &err), 0);
    assert_string_equal(back.token, u.token);
    assert_string_equal(back.object, u.object);
    assert_int_equal(back.id_len, 16);
    assert_memory_equal(back.id, u.id, 16);
    char tiny[20];
    assert_int_equal(pki_token_uri_format(&u, tiny, sizeof tiny), -1);
}

static void test_uri_refusals_name_the_attribute(void **state)
{
    (void)state;
    static const char *const bad[][2] = {
        {"pkcs11:", "token=LABEL is required"},
        {"pkcs11:object=x", "token=LABEL is required"},
        {"file:/etc/key.pem", "starts with pkcs11:"},
        {"pkcs11:token=a?pin-value=1234", "no query attributes"},
        {"pkcs11:token=a;pin-source=file:/p", "pin-source is not supported"},
        {"pkcs11:token=a;token=b", "token twice"},
        {"pkcs11:token=a;object=x;object=y", "object twice"},
        {"pkcs11:token=a;id=%0", "id must be"},
        {"pkcs11:token=a;id=%zz", "id must be"},
        {"pkcs11:token=a;id=", "id must be"},
        {"pkcs11:token=a;type=cert", "type must be private"},
        {"pkcs11:token=a;object", "attribute without a value"},
        {"pkcs11:token=%00", "token must be"},
        {"pkcs11:token=a b", "token must be"},
        {"pkcs11:token=0123456789012345678901234567890123", "token must be 1 to 32"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct pki_token_uri u;
        struct problem err = {0};
        assert_int_equal(pki_token_uri_parse(bad[i][0], &u, &err), -1);
        assert_int_equal(err.status, 400);
        assert_string_equal(problem_kind_name(err.kind), "key-uri-invalid");
        if (strstr(err.detail, bad[i][1]) == NULL)
            fail_msg("%s: %s (wanted %s)", bad[i][0], err.detail, bad[i][1]);
    }
    struct problem err = {0};
    struct pki_token_uri u;
    assert_int_equal(pki_token_uri_parse(NULL, &u, &err), -1);
}

static void test_open_without_module_or_token(void **state)
{
    (void)state;
    struct problem err = {0};
    assert_null(pki_token_open(NULL, "t", "1234", &err));
    assert_string_equal(problem_kind_name(err.kind), "token-config");
    assert_null(pki_token_open("/nonexistent/module.so", "t", "1234", &err));
    assert_int_equal(err.status, 503);
    assert_string_equal(problem_kind_name(err.kind), "token-unavailable");
    struct pki_token_uri u = {.token = "t"};
    assert_int_equal(pki_token_generate("/nonexistent/module.so", "1234", "ec:P-256", &u, &err), -1);
    assert_string_equal(problem_kind_name(err.kind), "token-unavailable");
    assert_int_equal(pki_token_generate("/nonexistent/module.so", "1234", "dsa:1024", &u, &err), -1);
    assert_string_equal(problem_kind_name(err.kind), "key-spec-invalid");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_uri_reads_token_object_id),
        cmocka_unit_test(test_uri_format_reads_back),
        cmocka_unit_test(test_uri_refusals_name_the_attribute),
        cmocka_unit_test(test_open_without_module_or_token),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* NPI, URI, e-mail validation and URI look-alike keys. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "util/validate.h"

static void test_npi(void **state)
{
    (void)state;
    /* CMS's worked example and other valid numbers */
    assert_true(npi_valid("1234567893"));
    assert_true(npi_valid("1245319599"));
    assert_true(npi_valid("1003000126"));
    assert_true(npi_valid("1679576722"));
    /* wrong check digit, every other digit */
    for (char d = '0'; d <= '9'; d++) {
        char s[11] = "123456789";
        s[9] = d;
        s[10] = 0;
        assert_int_equal(npi_valid(s), d == '3');
    }
    /* transposition caught */
    assert_false(npi_valid("1234567839"));
    assert_false(npi_valid("2134567893"));
    /* shape */
    assert_false(npi_valid(""));
    assert_false(npi_valid(NULL));
    assert_false(npi_valid("123456789"));
    assert_false(npi_valid("12345678930"));
    assert_false(npi_valid("12345678a3"));
    assert_false(npi_valid(" 234567893"));
    assert_false(npi_valid("-234567893"));
    assert_false(npi_valid("１234567893"));
}

static int check(const char *s)
{
    char why[256];
    return uri_check(s, NULL, why, sizeof why);
}

static void expect_bad(const char *s, const char *why_part)
{
    char why[256] = "";
    if (uri_check(s, NULL, why, sizeof why) != -1)
        fail_msg("accepted %s", s);
    if (why_part && !strstr(why, why_part))
        fail_msg("%s: \"%s\" does not say \"%s\"", s, why, why_part);
}

static void test_uri_good(void **state)
{
    (void)state;
    const char *good[] = {
        "https://a.org",
        "https://a.org/",
        "https://a.org/fhir/r4",
        "https://A.Example.ORG:8443/fhir?x=1&y=%2F",
        "http://localhost:8080/",
        "https://[2001:db8::1]/fhir",
        "https://[2001:db8::1]:443/",
        "https://10.0.0.1/app",
        "https://a.org/p;x=1/(c)!$&'*+,=~_-.",
        "HTTPS://a.org/",
        "urn:oid:2.16.840.1.113883.3.7204",
        "urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66",
        "urn:ietf:rfc:3986",
        "did:web:example.com",
        "did:example:123456789abcdefghi",
        "https://a.org/@user",
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        if (check(good[i]))
            fail_msg("refused %s", good[i]);
    /* exactly URI_MAX bytes is fine, one more is not */
    char big[URI_MAX + 2];
    memset(big, 'a', sizeof big);
    memcpy(big, "https://a.org/", 14);
    big[URI_MAX] = 0;
    assert_int_equal(check(big), 0);
    big[URI_MAX] = 'a';
    big[URI_MAX + 1] = 0;
    expect_bad(big, "longer than 2048");
}

static void test_uri_bad(void **state)
{
    (void)state;
    expect_bad("", "empty");
    expect_bad("a.org/fhir", "not absolute");
    expect_bad("/fhir", "not absolute");
    expect_bad("//a.org/fhir", "not absolute");
    expect_bad("1https://a.org", "not absolute");
    expect_bad("https://a.org/fhir#frag", "fragment");
    expect_bad("https://a.org/#", "fragment");
    expect_bad("https://a.org/ fhir", "whitespace");
    expect_bad(" https://a.org", "whitespace");
    expect_bad("https://a.org/\tx", "control");
    expect_bad("https://a.org/\x7f", "control");
    expect_bad("https://a.org/\n", "control");
    expect_bad("https://a.org/caf\xc3\xa9", "percent-encode");
    expect_bad("https://a.org/<x>", "percent-encode");
    expect_bad("https://a.org/a\"b", "percent-encode");
    expect_bad("https://a.org/a\\b", "percent-encode");
    expect_bad("https://a.org/%zz", "percent-escape");
    expect_bad("https://a.org/%4", "percent-escape");
    expect_bad("https://a.org/%", "percent-escape");
    expect_bad("ftp://a.org/", "not allowed");
    expect_bad("javascript:alert(1)", "not allowed");
    expect_bad("mailto:a@b.org", "not allowed");
    expect_bad("https:", "empty after");
    expect_bad("https:a.org", "//host");
    expect_bad("https:///fhir", "no host");
    expect_bad("https://", "no host");
    expect_bad("https://:443/", "no host");
    expect_bad("https://user@a.org/", "user information");
    expect_bad("https://good.org@evil.org/", "user information");
    expect_bad("https://a.org:/", "empty port");
    expect_bad("https://a.org:0/", "1 to 65535");
    expect_bad("https://a.org:65536/", "1 to 65535");
    expect_bad("https://a.org:99999999999999999999/", "1 to 65535");
    expect_bad("https://a.org:44x/", "digits");
    expect_bad("https://[]/", "IP literal");
    expect_bad("https://[::1/", "IP literal");
    expect_bad("https://[zz::1]/", "IP literal");
    expect_bad("https://[::1]x/", "IP literal");
    expect_bad("https://a.org/[x]", "IP literal");
    expect_bad("urn:", "empty after");
    expect_bad("urn:oid", "urn:NID:NSS");
    expect_bad("urn::x", "urn:NID:NSS");
    expect_bad("urn:-a:x", "urn:NID:NSS");
    expect_bad("urn:a_b:x", "urn:NID:NSS");
    expect_bad("urn:oid:", "empty NSS");
    expect_bad("urn:abcdefghijabcdefghijabcdefghijabc:x", "urn:NID:NSS");
    expect_bad("did:web", "did:method:id");
    expect_bad("did::x", "did:method:id");
    expect_bad("did:Web:x", "lowercase");
    expect_bad("did:web:", "did:method:id");
}

static int check_flags(const char *s, unsigned flags, char *why, size_t whylen)
{
    return uri_check_opts(s, NULL, flags, why, whylen);
}

/* UDAP identifiers carry fragments ("namespace#value", TEFCA "#T-TREAT"):
 * accepted for opaque identifiers, refused with a reason for fetched URLs */
static void test_uri_fragments(void **state)
{
    (void)state;
    char why[256];
    const char *good[] = {
        "urn:oid:2.16.840.1.113883.4.6#1234567893",
        "https://fhir.example.org/r4#T-TREAT",
        "https://a.org/app#a/b?c=d:e@f!$&'()*+,;=-._~%41",
        "did:web:example.com#key-1",
        "urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66#x",
        "https://[2001:db8::1]:8443/p%20q#T-PYMNT",
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        if (check_flags(good[i], URI_FRAGMENT_OK, why, sizeof why))
            fail_msg("refused %s: %s", good[i], why);
        assert_int_equal(check_flags(good[i], URI_FETCHED, why, sizeof why), -1);
        assert_non_null(strstr(why, "fetch"));
        assert_int_equal(check_flags(good[i], 0, why, sizeof why), -1);
    }
    const char *bad[][2] = {
        {"https://a.org/#", "empty"},
        {"https://a.org/x#a#b", "fragment"},
        {"https://a.org/x#a[1]", "fragment"},
        {"https://a.org/x#%zz", "percent-escape"},
        {"https://a.org/x#%4", "percent-escape"},
        {"https://a.org/x#a b", "whitespace"},
        {"https://a.org/x#caf\xc3\xa9", "percent-encode"},
        {"https://a.org/x#a\"b", "percent-encode"},
        {"https://a.org:0/#x", "1 to 65535"},
        {"urn:oid:#x", "empty NSS"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        why[0] = 0;
        if (check_flags(bad[i][0], URI_FRAGMENT_OK, why, sizeof why) != -1)
            fail_msg("accepted %s", bad[i][0]);
        if (!strstr(why, bad[i][1]))
            fail_msg("%s: \"%s\" does not say \"%s\"", bad[i][0], why, bad[i][1]);
    }
    assert_int_equal(uri_kind_flags("client"), URI_FRAGMENT_OK);
    assert_int_equal(uri_kind_flags("server"), URI_FETCHED);
    assert_int_equal(uri_kind_flags("idp"), URI_FETCHED);
}

/* Go's crypto/x509 refuses the whole certificate for these SAN URI hosts */
static void test_uri_forms_go_refuses(void **state)
{
    (void)state;
    expect_bad("https://a.org./fhir", "Go");
    expect_bad("https://a.org.:8443/fhir", "Go");
    expect_bad("https://.a.org/fhir", "Go");
    expect_bad("https://a..org/fhir", "Go");
    expect_bad("https://a%2Eorg/fhir", "Go");
    expect_bad("https://caf%C3%A9.org/", "Go");
    assert_int_equal(check("https://a.org/p%2Eq/%C3%A9"), 0); /* in the path: fine */
}

static void test_uri_scheme_list_is_a_parameter(void **state)
{
    (void)state;
    const char *only_https[] = {"https", NULL};
    char why[256];
    assert_int_equal(uri_check("https://a.org/", only_https, why, sizeof why), 0);
    assert_int_equal(uri_check("http://a.org/", only_https, why, sizeof why), -1);
    assert_non_null(strstr(why, "allowed: https"));
    assert_int_equal(uri_check("urn:oid:1.2", only_https, why, sizeof why), -1);
    const char *custom[] = {"spiffe", NULL};
    assert_int_equal(uri_check("spiffe://trust.org/app", custom, why, sizeof why), 0);
    assert_int_equal(uri_check("SPIFFE://trust.org/app", custom, why, sizeof why), 0);
    assert_int_equal(uri_check("spiffe:", custom, why, sizeof why), -1);
    /* why may be NULL */
    assert_int_equal(uri_check("nope", NULL, NULL, 0), -1);
}

static void test_email(void **state)
{
    (void)state;
    char why[256];
    const char *good[] = {"a@b.org", "first.last+tag@mail.example.co.uk",
                          "x_y-z@a-b.c1.org", "O'Brien@clinic.ie"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        if (email_check(good[i], why, sizeof why))
            fail_msg("refused %s: %s", good[i], why);
    const char *bad[] = {
        "", "a", "a@", "@b.org", "a@b", "a@@b.org", "a@b@c.org", "a b@c.org",
        "a@b .org", "a@b.org ", "a\t@b.org", "a@b..org", "a@.b.org", "a@b.org.",
        ".a@b.org", "a.@b.org", "a..b@c.org", "a@-b.org", "a@b-.org",
        "a@b_c.org", "a<b>@c.org", "\"a\"@b.org", "a@b.org\n", "a,b@c.org",
        "a@[1.2.3.4]",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (email_check(bad[i], why, sizeof why) == 0)
            fail_msg("accepted \"%s\"", bad[i]);
    char long_local[80];
    memset(long_local, 'a', 65);
    strcpy(long_local + 65, "@b.org");
    assert_int_equal(email_check(long_local, why, sizeof why), -1);
    /* "x@" + 63.63.63.60 = 254 bytes: the limit; one more is refused */
    char big[300] = "x@";
    const int labels[] = {63, 63, 63, 60};
    for (int l = 0; l < 4; l++) {
        if (l)
            strcat(big, ".");
        size_t n = strlen(big);
        memset(big + n, 'a', (size_t)labels[l]);
        big[n + (size_t)labels[l]] = 0;
    }
    assert_int_equal(strlen(big), 254);
    assert_int_equal(email_check(big, why, sizeof why), 0);
    strcat(big, "a");
    assert_int_equal(email_check(big, why, sizeof why), -1);
    assert_non_null(strstr(why, "254"));
}

static void test_lookalike_pairs(void **state)
{
    (void)state;
    const char *pairs[][2] = {
        {"https://a.org/fhir", "https://a.org/fhir/"},
        {"https://a.org/fhir", "https://A.ORG/fhir"},
        {"https://a.org/fhir", "https://a.org:443/fhir"},
        {"https://a.org", "https://a.org/"},
        {"https://a.org", "https://a.org:443/"},
        {"http://a.org/x", "http://a.org:80/x/"},
        {"https://a.org/fhir", "HTTPS://a.org/fhir"},
        {"https://a.org/fhir", "https://A.org:443/fhir//"},
        {"https://a.org/fhir?x=1", "https://a.org/fhir/?x=1"},
        {"https://a.org/%2f", "https://a.org/%2F"},
        {"https://[2001:DB8::1]/", "https://[2001:db8::1]"},
        {"https://[2001:db8::1]:443/x", "https://[2001:db8::1]/x"},
        {"urn:oid:1.2.3", "URN:oid:1.2.3"},
        {"https://a.org/r4#T-TREAT", "https://a.org/r4"},        /* without it */
        {"https://a.org/r4#T-TREAT", "https://a.org/r4#t-treat"}, /* case only */
        {"https://a.org/r4#T-TREAT", "https://A.org/r4/#T-TREAT"},
        {"urn:oid:2.16.840.1.113883.4.6#123", "urn:oid:2.16.840.1.113883.4.6"},
    };
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        if (!uri_lookalikes(pairs[i][0], pairs[i][1]))
            fail_msg("%s ~ %s not detected", pairs[i][0], pairs[i][1]);
        if (!uri_lookalikes(pairs[i][1], pairs[i][0]))
            fail_msg("%s ~ %s not symmetric", pairs[i][1], pairs[i][0]);
    }
}

static void test_lookalike_non_pairs(void **state)
{
    (void)state;
    const char *pairs[][2] = {
        {"https://a.org/fhir", "https://a.org/fhir"},      /* identical */
        {"https://a.org/fhir", "https://a.org/FHIR"},      /* path case */
        {"https://a.org/fhir", "http://a.org/fhir"},       /* scheme */
        {"https://a.org/fhir", "https://a.org:8443/fhir"}, /* other port */
        {"https://a.org/fhir", "https://a.org:80/fhir"},   /* not https default */
        {"http://a.org/fhir", "http://a.org:443/fhir"},    /* not http default */
        {"https://a.org/fhir", "https://b.org/fhir"},
        {"https://a.org/fhir", "https://a.org/fhir2"},
        {"https://a.org/fhir", "https://a.org/fhir?x"},
        {"https://a.org/fhir?x=/", "https://a.org/fhir?x="}, /* query slash */
        {"https://a.org:4431/", "https://a.org/"},
        {"urn:oid:1.2.3", "urn:oid:1.2.4"},
        {"did:web:a.org", "did:web:A.org"},                /* not a host */
        {"https://a.org/r4#T-TREAT", "https://a.org/r4#T-PYMNT"}, /* other purpose */
        {"https://a.org/r4#x", "https://a.org/r5#x"},
    };
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++)
        if (uri_lookalikes(pairs[i][0], pairs[i][1]))
            fail_msg("%s ~ %s wrongly flagged", pairs[i][0], pairs[i][1]);
}

static void test_lookalike_key(void **state)
{
    (void)state;
    char k[URI_MAX + 1];
    assert_int_equal(uri_lookalike_key("HTTPS://User@A.Org:443/Fhir/?Q=1", k, sizeof k), 0);
    assert_string_equal(k, "https://User@a.org/Fhir?Q=1");
    assert_int_equal(uri_lookalike_key("HTTPS://A.org:443/r4/#T-Treat", k, sizeof k), 0);
    assert_string_equal(k, "https://a.org/r4#t-treat");
    assert_int_equal(uri_lookalike_key("https://a.org:443", k, sizeof k), 0);
    assert_string_equal(k, "https://a.org");
    assert_int_equal(uri_lookalike_key("no-colon/", k, sizeof k), 0);
    assert_string_equal(k, "no-colon/"); /* not a URI: left alone */
    char small[8];
    assert_int_equal(uri_lookalike_key("https://a.org/", small, sizeof small), -1);
}

static void test_utf8(void **state)
{
    (void)state;
    assert_true(utf8_valid(""));
    assert_true(utf8_valid("plain"));
    assert_true(utf8_valid("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
    assert_false(utf8_valid("\xff"));
    assert_false(utf8_valid("\xc3"));             /* truncated */
    assert_false(utf8_valid("\xc0\xaf"));         /* overlong '/' */
    assert_false(utf8_valid("\xe0\x80\xaf"));     /* overlong */
    assert_false(utf8_valid("\xed\xa0\x80"));     /* surrogate */
    assert_false(utf8_valid("\xf4\x90\x80\x80")); /* above U+10FFFF */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_npi),
        cmocka_unit_test(test_utf8),
        cmocka_unit_test(test_uri_good),
        cmocka_unit_test(test_uri_bad),
        cmocka_unit_test(test_uri_fragments),
        cmocka_unit_test(test_uri_forms_go_refuses),
        cmocka_unit_test(test_uri_scheme_list_is_a_parameter),
        cmocka_unit_test(test_email),
        cmocka_unit_test(test_lookalike_pairs),
        cmocka_unit_test(test_lookalike_non_pairs),
        cmocka_unit_test(test_lookalike_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

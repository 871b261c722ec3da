/* Config parsing, including every error path. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

static char err[CONFIG_ERR_MAX];

static int parse(struct config *c, const char *text)
{
    err[0] = 0;
    return config_parse(c, "t.conf", text, err, sizeof err);
}

static void test_defaults_and_values(void **state)
{
    (void)state;
    unsetenv("TROTH_DATABASE_URL");
    struct config c;
    assert_int_equal(parse(&c, "# comment\n[server]\n"
                                "public_listen = 0.0.0.0:80\n"
                                "threads = 4\n"
                                "connection_memory_limit = 128k\n"
                                "access_log = off\n"
                                "; another comment\n"
                                "[database]\nurl = postgresql:///x\n"),
                     0);
    assert_string_equal(c.public_listen, "0.0.0.0:80");
    assert_string_equal(c.admin_listen, "127.0.0.1:8443");
    assert_int_equal(c.threads, 4);
    assert_int_equal(c.connection_memory_limit, 128 * 1024);
    assert_false(c.access_log);
    assert_string_equal(c.database_url, "postgresql:///x");
    assert_null(c.tls_cert);
    config_free(&c);
}

static void test_env_overrides_url(void **state)
{
    (void)state;
    setenv("TROTH_DATABASE_URL", "postgresql:///fromenv", 1);
    struct config c;
    assert_int_equal(parse(&c, "[database]\nurl = postgresql:///file\n"), 0);
    assert_string_equal(c.database_url, "postgresql:///fromenv");
    config_free(&c);
    assert_int_equal(parse(&c, ""), 0); /* env alone is enough */
    config_free(&c);
    unsetenv("TROTH_DATABASE_URL");
}

struct bad {
    const char *text;
    const char *message; /* the exact error expected */
};

static void test_errors_name_file_and_line(void **state)
{
    (void)state;
    unsetenv("TROTH_DATABASE_URL");
    static const struct bad cases[] = {
        {"[server]\nbogus = 1\n", "t.conf:2: unknown key \"bogus\" in [server]"},
        {"[nope]\n", "t.conf:1: unknown section [nope]"},
        {"x = 1\n", "t.conf:1: key \"x\" outside a section"},
        {"[server\n", "t.conf:1: malformed section header \"[server\""},
        {"[server]\njunk\n", "t.conf:2: expected key = value, got \"junk\""},
        {"[server]\nthreads = -1\n",
         "t.conf:2: [server] threads: expected a whole number from 0 to 256, "
         "got \"-1\""},
        {"[server]\nthreads = 999\n",
         "t.conf:2: [server] threads: expected a whole number from 0 to 256, "
         "got \"999\""},
        {"[server]\nthreads = 4x\n",
         "t.conf:2: [server] threads: expected a whole number from 0 to 256, "
         "got \"4x\""},
        {"[server]\naccess_log = maybe\n",
         "t.conf:2: [server] access_log: expected on or off, got \"maybe\""},
        {"[server]\npublic_listen = nohost\n",
         "t.conf:2: [server] public_listen: expected host:port (e.g. "
         "127.0.0.1:8080), got \"nohost\""},
        {"[server]\npublic_listen = 1.2.3.4:70000\n",
         "t.conf:2: [server] public_listen: expected host:port (e.g. "
         "127.0.0.1:8080), got \"1.2.3.4:70000\""},
        {"[server]\npublic_url = ftp://x\n",
         "t.conf:2: [server] public_url: expected an http:// or https:// URL, "
         "got \"ftp://x\""},
        {"[server]\npublic_url = http://x/\n",
         "t.conf:2: [server] public_url: must not end with '/', got "
         "\"http://x/\""},
        {"[server]\nthreads = 1\nthreads = 2\n",
         "t.conf:3: [server] threads given twice"},
        {"[server]\n", "t.conf: [database] url is required (or set "
                       "TROTH_DATABASE_URL)"},
        {"[database]\nurl = x\n[server]\ntls_cert = a.pem\n",
         "t.conf: [server] tls_cert and tls_key must be given together"},
        {"[database]\nurl = x\n[ca]\ncrl_validity_hours = 24\ncrl_refresh_hours = 24\n",
         "t.conf: [ca] crl_refresh_hours (24) must be less than crl_validity_hours "
         "(24): a CRL must be replaced before it expires"},
        {"[ca]\nkey_kdf_iterations = 999\n",
         "t.conf:2: [ca] key_kdf_iterations: expected a whole number from 1000 to "
         "100000000, got \"999\""},
        {"[profiles]\nudap_client_days = 0\n",
         "t.conf:2: [profiles] udap_client_days: expected a whole number from 1 to "
         "3650, got \"0\""},
        {"[auth]\nsession_idle_minutes = 0\n",
         "t.conf:2: [auth] session_idle_minutes: expected a whole number from 1 to "
         "10080, got \"0\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct config c;
        assert_int_equal(parse(&c, cases[i].text), -1);
        assert_string_equal(err, cases[i].message);
    }
}

static void test_long_lines_are_not_truncated(void **state)
{
    (void)state;
    unsetenv("TROTH_DATABASE_URL");
    char text[2048] = "[database]\nurl = postgresql://u:";
    size_t n = strlen(text);
    memset(text + n, 'p', 600);
    strcpy(text + n + 600, "@h/db\n");
    struct config c;
    assert_int_equal(parse(&c, text), 0);
    assert_int_equal(strlen(c.database_url), strlen("postgresql://u:") + 600 + 5);
    config_free(&c);
}

/* [profile NAME]: the shipped defaults, a section changing some keys of
 * one, a new profile, and every misconfiguration stopping with file:line. */
static void test_profiles(void **state)
{
    (void)state;
    setenv("TROTH_DATABASE_URL", "postgresql:///x", 1);
    struct config c;
    if (parse(&c, "[server]\n")) fail_msg("%s", err);
    assert_int_equal(c.n_profiles, 2);
    const struct profile_conf *cl = config_profile(&c, "udap-client"),
                              *sv = config_profile(&c, "udap-server");
    assert_non_null(cl);
    assert_non_null(sv);
    assert_int_equal(cl->key_types, PROFILE_KEY_ALL);
    assert_int_equal(sv->key_types, PROFILE_KEY_RSA2048 | PROFILE_KEY_RSA3072 | PROFILE_KEY_RSA4096);
    assert_int_equal(cl->uri_kinds, PROFILE_URI_CLIENT);
    assert_int_equal(sv->uri_kinds, PROFILE_URI_SERVER | PROFILE_URI_IDP);
    assert_int_equal(sv->san_fragment, SAN_FRAGMENT_FORBID);
    assert_true(cl->subject_cn);
    assert_null(config_profile(&c, "tefca-client"));
    config_free(&c);

    assert_int_equal(parse(&c, "[profile udap-client]\nvalidity_days = 90\neku = clientAuth\n"
                               "[profile dt-client]\nuri_kinds = client, idp\n"
                               "key_types = EC-P256\nmax_uris = 1\n"
                               "certificate_policies = 2.16.840.1.113883.3.1, 1.3.6.1.4.1.41179.2\n"
                               "eku = clientAuth, serverAuth\nsan_fragment = allow\n"
                               "san_fragment_values = T-TREAT,T-PYMNT\nsubject = O\n"),
                     0);
    assert_int_equal(c.n_profiles, 3);
    cl = config_profile(&c, "udap-client");
    assert_int_equal(cl->validity_days, 90);
    assert_true(cl->eku_client_auth && !cl->eku_server_auth);
    assert_int_equal(cl->uri_kinds, PROFILE_URI_CLIENT); /* untouched keys keep the default */
    const struct profile_conf *dt = config_profile(&c, "dt-client");
    assert_non_null(dt);
    assert_int_equal(dt->uri_kinds, PROFILE_URI_CLIENT | PROFILE_URI_IDP);
    assert_int_equal(dt->key_types, PROFILE_KEY_EC_P256);
    assert_int_equal(dt->max_uris, 1);
    assert_int_equal(dt->validity_days, 365);
    assert_int_equal(dt->n_policies, 2);
    assert_string_equal(dt->policies[1], "1.3.6.1.4.1.41179.2");
    assert_true(dt->eku_client_auth && dt->eku_server_auth);
    assert_int_equal(dt->n_fragments, 2);
    assert_string_equal(dt->fragments[1], "T-PYMNT");
    assert_false(dt->subject_cn);
    config_free(&c);

    /* the older [profiles] keys still set the shipped profiles */
    assert_int_equal(parse(&c, "[profiles]\nudap_client_days = 5\nudap_server_eku_server_auth = on\n"), 0);
    assert_int_equal(config_profile(&c, "udap-client")->validity_days, 5);
    assert_true(config_profile(&c, "udap-server")->eku_server_auth);
    config_free(&c);

    static const struct { const char *text, *message; } bad[] = {
        {"[profile x]\nkey_types = EC-P256\n",
         "t.conf:1: [profile x]: uri_kinds is required (client, server, idp)"},
        {"[profile x]\nuri_kinds = client\nkey_types =\n",
         "t.conf:3: [profile x] key_types: expected one or more of RSA-2048, RSA-3072, "
         "RSA-4096, EC-P256, EC-P384 (an empty list issues nothing), got \"\""},
        {"[profile x]\nuri_kinds = client\nkey_types = RSA-1024\n",
         "t.conf:3: [profile x] key_types: \"RSA-1024\" is not one of RSA-2048, RSA-3072, "
         "RSA-4096, EC-P256, EC-P384, or is given twice"},
        {"[profile x]\nuri_kinds = client\ncertificate_policies = 2.16.840.1.x\n",
         "t.conf:3: [profile x] certificate_policies: \"2.16.840.1.x\" is not an OID in "
         "dotted decimal (e.g. 2.5.29.32.0)"},
        {"[profile x]\nuri_kinds = client\ncertificate_policies = 3.1\n",
         "t.conf:3: [profile x] certificate_policies: \"3.1\" is not an OID in "
         "dotted decimal (e.g. 2.5.29.32.0)"},
        {"[profile x]\nuri_kinds = client\ncertificate_policies = 1.2.03\n",
         "t.conf:3: [profile x] certificate_policies: \"1.2.03\" is not an OID in "
         "dotted decimal (e.g. 2.5.29.32.0)"},
        {"[profile x]\nuri_kinds = client\nsan_fragment = forbid\n"
         "san_fragment_values = T-TREAT\n",
         "t.conf:4: [profile x] san_fragment_values: fragment values need san_fragment "
         "= require or allow (it is forbid)"},
        {"[profile udap-server]\nsan_fragment_values = T-TREAT\n",
         "t.conf:2: [profile udap-server] san_fragment_values: fragment values need "
         "san_fragment = require or allow (it is forbid)"},
        {"[profile x]\nuri_kinds = server\nsan_fragment = require\n",
         "t.conf:1: [profile x]: san_fragment = require needs uri_kinds = client: "
         "server and idp URIs never carry a fragment (clients fetch them)"},
        {"[profile x]\nuri_kinds = client\nsan_fragment_values = T TREAT\n",
         "t.conf:3: [profile x] san_fragment_values: \"T TREAT\" is not a fragment value "
         "(1 to 64 of A-Z a-z 0-9 - . _ ~ ! $ & ' ( ) * + , ; = : @ / ?, without the '#')"},
        {"[profile x]\nuri_kinds = client\neku = codeSigning\n",
         "t.conf:3: [profile x] eku: expected none, clientAuth, serverAuth or "
         "\"clientAuth, serverAuth\", got \"codeSigning\""},
        {"[profile x]\nuri_kinds = client\nsubject = CN\n",
         "t.conf:3: [profile x] subject: expected \"O, CN\" (the member's legal name and "
         "the first URI's host) or \"O\"; the CSR's subject is never used, got \"CN\""},
        {"[profile x]\nuri_kinds = client\nmax_uris = 17\n",
         "t.conf:3: [profile x] max_uris: expected a whole number from 1 to 16, got \"17\""},
        {"[profile x]\nuri_kinds = client\nvalidity = 3\n",
         "t.conf:3: unknown key \"validity\" in [profile x] (description, uri_kinds, "
         "key_types, validity_days, max_uris, certificate_policies, eku, san_fragment, "
         "san_fragment_values, subject)"},
        {"[profile x]\nuri_kinds = client\n[profile x]\n",
         "t.conf:3: [profile x] given twice (first on line 1)"},
        {"[profile X_1]\n",
         "t.conf:1: [profile X_1]: a profile name is 1 to 32 characters a-z, 0-9 and '-', "
         "starting with a letter"},
        {"[profile x]\nuri_kinds = client\nuri_kinds = server\n",
         "t.conf:3: [profile x] uri_kinds given twice"},
        {"[profiles]\nudap_client_days = 5\n[profile udap-client]\nvalidity_days = 9\n",
         "t.conf:3: [profiles] udap_client_days and [profile udap-client] validity_days "
         "both set it: keep one"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(parse(&c, bad[i].text), -1);
        assert_string_equal(err, bad[i].message);
    }
    unsetenv("TROTH_DATABASE_URL");
}

/* The shipped troth.conf parses and documents every key it sets. */
static void test_shipped_config_parses(void **state)
{
    (void)state;
    setenv("TROTH_DATABASE_URL", "postgresql:///x", 1);
    struct config c;
    int rc = config_load(&c, "troth.conf", err, sizeof err);
    if (rc)
        fail_msg("%s", err);
    assert_int_equal(c.crl_validity_hours, 48);
    assert_int_equal(c.crl_refresh_hours, 12);
    assert_int_equal(c.crl_backdate_seconds, 90);
    assert_int_equal(c.key_kdf_iterations, 600000);
    /* the shipped profiles, and the TEFCA example requiring a purpose code */
    assert_int_equal(c.n_profiles, 3);
    const struct profile_conf *t = config_profile(&c, "tefca-client");
    assert_non_null(t);
    assert_int_equal(t->san_fragment, SAN_FRAGMENT_REQUIRE);
    assert_int_equal(t->uri_kinds, PROFILE_URI_CLIENT);
    assert_true(t->n_fragments >= 6);
    assert_string_equal(t->fragments[0], "T-TREAT");
    assert_int_equal(config_profile(&c, "udap-server")->key_types,
                     PROFILE_KEY_RSA2048 | PROFILE_KEY_RSA3072 | PROFILE_KEY_RSA4096);
    config_free(&c);
    unsetenv("TROTH_DATABASE_URL");
}

static void test_load_missing_file(void **state)
{
    (void)state;
    struct config c;
    assert_int_equal(config_load(&c, "/nonexistent/troth.conf", err, sizeof err), -1);
    assert_non_null(strstr(err, "/nonexistent/troth.conf: cannot open"));
}

static void test_split_listen(void **state)
{
    (void)state;
    char host[64];
    unsigned short port;
    assert_int_equal(config_split_listen("[::1]:8443", host, sizeof host, &port), 0);
    assert_string_equal(host, "::1");
    assert_int_equal(port, 8443);
    assert_int_equal(config_split_listen(":80", host, sizeof host, &port), -1);
    assert_int_equal(config_split_listen("h:", host, sizeof host, &port), -1);
    assert_int_equal(config_split_listen("h:123456", host, sizeof host, &port), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_and_values),
        cmocka_unit_test(test_profiles),
        cmocka_unit_test(test_env_overrides_url),
        cmocka_unit_test(test_errors_name_file_and_line),
        cmocka_unit_test(test_long_lines_are_not_truncated),
        cmocka_unit_test(test_shipped_config_parses),
        cmocka_unit_test(test_load_missing_file),
        cmocka_unit_test(test_split_listen),
    };
    return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}

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
        cmocka_unit_test(test_env_overrides_url),
        cmocka_unit_test(test_errors_name_file_and_line),
        cmocka_unit_test(test_long_lines_are_not_truncated),
        cmocka_unit_test(test_shipped_config_parses),
        cmocka_unit_test(test_load_missing_file),
        cmocka_unit_test(test_split_listen),
    };
    return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}

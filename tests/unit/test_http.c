/* Route matching, problem+json building and JSON body checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "http/json_body.h"
#include "http/problem.h"
#include "http/route.h"

static void h(struct req *r) { (void)r; }

static const struct route table[] = {
    {"GET", "/healthz", LISTENER_PUBLIC, ROLE_ANON, 0, h, NULL, 0},
    {"GET", "/crl/{ca}.crl", LISTENER_PUBLIC, ROLE_ANON, 0, h, NULL, 0},
    {"GET", "/api/v1/members/{id}", LISTENER_ADMIN, ROLES_USER, 0, h, NULL, 0},
    {"PATCH", "/api/v1/members/{id}", LISTENER_ADMIN, ROLES_USER, 1024, h, NULL, 0},
    {"POST", "/api/v1/members/{id}/uris/{uri_id}/approve", LISTENER_ADMIN,
     ROLES_USER, 0, h, NULL, 0},
};
#define N (sizeof table / sizeof table[0])

static void test_route_found_with_params(void **state)
{
    (void)state;
    const struct route *r;
    struct route_params p;
    char allow[64];
    assert_int_equal(route_match(table, N, LISTENER_ADMIN, "POST",
                                 "/api/v1/members/42/uris/7/approve", &r, &p,
                                 allow, sizeof allow),
                     ROUTE_FOUND);
    assert_ptr_equal(r, &table[4]);
    assert_string_equal(route_param(&p, "id"), "42");
    assert_string_equal(route_param(&p, "uri_id"), "7");
    assert_null(route_param(&p, "nope"));

    assert_int_equal(route_match(table, N, LISTENER_PUBLIC, "GET",
                                 "/crl/issuing.crl", &r, &p, allow, sizeof allow),
                     ROUTE_FOUND);
    assert_string_equal(route_param(&p, "ca"), "issuing");
    /* HEAD answers like GET */
    assert_int_equal(route_match(table, N, LISTENER_PUBLIC, "HEAD", "/healthz",
                                 &r, &p, allow, sizeof allow),
                     ROUTE_FOUND);
}

static void test_route_not_found_and_listener(void **state)
{
    (void)state;
    const struct route *r;
    struct route_params p;
    char allow[64];
    const char *paths[] = {"/", "/healthz/", "/healthzz", "/crl/.crl",
                           "/crl/a.crlx", "/crl/a/b.crl", "/api/v1/members/",
                           "/api/v1/members/1/2"};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
        assert_int_equal(route_match(table, N, LISTENER_PUBLIC | LISTENER_ADMIN,
                                     "GET", paths[i], &r, &p, allow, sizeof allow),
                         ROUTE_NOT_FOUND);
    /* a public route is not on the admin listener */
    assert_int_equal(route_match(table, N, LISTENER_ADMIN, "GET", "/healthz", &r,
                                 &p, allow, sizeof allow),
                     ROUTE_NOT_FOUND);
}

static void test_route_bad_method_lists_allow(void **state)
{
    (void)state;
    const struct route *r;
    struct route_params p;
    char allow[64];
    assert_int_equal(route_match(table, N, LISTENER_ADMIN, "DELETE",
                                 "/api/v1/members/9", &r, &p, allow, sizeof allow),
                     ROUTE_BAD_METHOD);
    assert_string_equal(allow, "GET, HEAD, PATCH");
}

static void test_route_param_decoding(void **state)
{
    (void)state;
    struct route_params p;
    assert_true(route_pattern_match("/api/v1/members/{id}", "/api/v1/members/a%20b", &p));
    assert_string_equal(route_param(&p, "id"), "a b");
    /* an encoded slash or NUL, or a broken escape, is no match */
    assert_false(route_pattern_match("/api/v1/members/{id}", "/api/v1/members/a%2fb", &p));
    assert_false(route_pattern_match("/api/v1/members/{id}", "/api/v1/members/a%00", &p));
    assert_false(route_pattern_match("/api/v1/members/{id}", "/api/v1/members/a%2", &p));
    assert_false(route_pattern_match("/api/v1/members/{id}", "/api/v1/members/%zz", &p));
    /* a parameter before an extension stops at the extension */
    assert_false(route_pattern_match("/c/{serial}.pem", "/c/ab.chain.pem", &p));
    assert_false(route_pattern_match("/c/{serial}.pem", "/c/ab%2echain.pem", &p));
    assert_true(route_pattern_match("/c/{serial}.chain.pem", "/c/ab.chain.pem", &p));
    assert_string_equal(route_param(&p, "serial"), "ab");
    assert_true(route_pattern_match("/app/{file}", "/app/main.js", &p));
    assert_string_equal(route_param(&p, "file"), "main.js");
    char longp[400] = "/api/v1/members/";
    memset(longp + strlen(longp), 'x', 300);
    assert_false(route_pattern_match("/api/v1/members/{id}", longp, &p));
}

static void test_problem_shape(void **state)
{
    (void)state;
    json_t *p = problem_json(PK_URI_NOT_APPROVED, "uri https://x is not approved",
                             "uris[0]");
    assert_string_equal(json_string_value(json_object_get(p, "type")),
                        "urn:troth:problem:uri-not-approved");
    assert_string_equal(json_string_value(json_object_get(p, "title")),
                        "URI not approved");
    assert_int_equal(json_integer_value(json_object_get(p, "status")), 422);
    assert_string_equal(json_string_value(json_object_get(p, "field")), "uris[0]");
    json_decref(p);
    p = problem_json(PK_NOT_FOUND, "gone", NULL);
    assert_null(json_object_get(p, "field"));
    json_decref(p);
    /* invalid UTF-8 in a detail never yields a NULL member */
    p = problem_json(PK_INVALID_FIELD, "\xff\xfe", NULL);
    assert_non_null(json_object_get(p, "detail"));
    json_decref(p);
}

static const struct jfield fields[] = {
    {"name", JT_STRING, true, 10, 0, 0},
    {"days", JT_INT, false, 0, 1, 365},
    {"uris", JT_STRING_ARRAY, false, 2, 0, 0},
    {"csr", JT_TEXT, false, 0, 0, 0},
    {"flag", JT_BOOL, false, 0, 0, 0},
};

static int check(const char *text, struct json_err *e)
{
    json_t *v = json_parse_body(text, strlen(text), e);
    if (!v)
        return -2;
    int rc = json_check(v, fields, sizeof fields / sizeof fields[0], e);
    json_decref(v);
    return rc;
}

static void test_json_checks_name_the_field(void **state)
{
    (void)state;
    struct json_err e;
    assert_int_equal(check("{\"name\":\"ok\",\"days\":30,\"uris\":[\"a\"],"
                           "\"csr\":\"a\\nb\",\"flag\":true}", &e), 0);
    struct { const char *body, *field, *detail; } bad[] = {
        {"{\"name\":\"ok\",\"extra\":1}", "extra", "unknown field \"extra\""},
        {"{}", "name", "name is required"},
        {"{\"name\":\"\"}", "name", "name must not be empty"},
        {"{\"name\":5}", "name", "name must be a string"},
        {"{\"name\":\"01234567890\"}", "name", "name is longer than 10 bytes"},
        {"{\"name\":\"a\\u0001\"}", "name", "name contains a control character at byte 1"},
        {"{\"name\":\"a\\nb\"}", "name", "name contains a control character at byte 1"},
        {"{\"name\":\"a\",\"days\":0}", "days", "days must be from 1 to 365"},
        {"{\"name\":\"a\",\"days\":\"3\"}", "days", "days must be an integer"},
        {"{\"name\":\"a\",\"uris\":\"x\"}", "uris", "uris must be an array"},
        {"{\"name\":\"a\",\"uris\":[\"a\",\"b\",\"c\"]}", "uris", "uris has more than 2 items"},
        {"{\"name\":\"a\",\"uris\":[1]}", "uris[0]", "uris[0] must be a string"},
        {"{\"name\":\"a\",\"flag\":1}", "flag", "flag must be true or false"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(check(bad[i].body, &e), -1);
        assert_string_equal(e.field, bad[i].field);
        assert_string_equal(e.detail, bad[i].detail);
    }
}

static void test_json_parse_refuses(void **state)
{
    (void)state;
    struct json_err e;
    assert_int_equal(check("{\"name\":", &e), -2);
    assert_non_null(strstr(e.detail, "malformed JSON"));
    assert_int_equal(check("[1]", &e), -2);
    assert_string_equal(e.detail, "the body must be a JSON object");
    assert_int_equal(check("{\"name\":\"a\",\"name\":\"b\"}", &e), -2);
    assert_int_equal(check("{\"name\":\"\xff\"}", &e), -2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_route_found_with_params),
        cmocka_unit_test(test_route_not_found_and_listener),
        cmocka_unit_test(test_route_bad_method_lists_allow),
        cmocka_unit_test(test_route_param_decoding),
        cmocka_unit_test(test_problem_shape),
        cmocka_unit_test(test_json_checks_name_the_field),
        cmocka_unit_test(test_json_parse_refuses),
    };
    return cmocka_run_group_tests_name("http", tests, NULL, NULL);
}

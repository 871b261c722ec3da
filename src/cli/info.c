/* troth version, troth routes: facts about this build. */
#include "cli/cli.h"

#include <jansson.h>
#include <openssl/opensslv.h>
#include <stdio.h>

#include "api/routes.h"
#include "http/json_body.h"

#ifndef TROTH_VERSION
#define TROTH_VERSION "0.1.0"
#endif

int cmd_version(int argc, char **argv, const char *config_path)
{
    (void)argc, (void)argv, (void)config_path;
    printf("troth %s (%s, jansson %s)\n", TROTH_VERSION, OPENSSL_VERSION_TEXT,
           JANSSON_VERSION);
    return 0;
}

/* A route's body fields as JSON Schema would name them: {name, type,
 * items (arrays), required, and min/max for integers}; null: no body. */
static json_t *body_json(const struct route *r)
{
    if (!r->body_fields)
        return json_null();
    static const char *const types[] = {
        [JT_STRING] = "string", [JT_TEXT] = "string", [JT_INT] = "integer",
        [JT_BOOL] = "boolean", [JT_STRING_ARRAY] = "array", [JT_OBJECT_ARRAY] = "array",
        [JT_OBJECT] = "object"};
    json_t *out = json_array();
    for (size_t i = 0; i < r->body_fields; i++) {
        const struct jfield *f = &r->body[i];
        json_t *o = json_pack("{s:s, s:s, s:b}", "name", f->name, "type", types[f->type],
                              "required", f->required);
        if (f->type == JT_STRING_ARRAY || f->type == JT_OBJECT_ARRAY)
            json_object_set_new(o, "items",
                                json_string(f->type == JT_STRING_ARRAY ? "string" : "object"));
        if (f->type == JT_INT) {
            json_object_set_new(o, "minimum", json_integer(f->min));
            json_object_set_new(o, "maximum", json_integer(f->max));
        }
        json_array_append_new(out, o);
    }
    return out;
}

/* The route table as JSON: the authorization-matrix and OpenAPI tests read it. */
int cmd_routes(int argc, char **argv, const char *config_path)
{
    (void)argc, (void)argv, (void)config_path;
    static const char *role_names[] = {"anonymous", "member", "auditor",
                                       "operator", "admin"};
    json_t *out = json_array();
    for (size_t i = 0; i < routes_count; i++) {
        const struct route *r = &routes[i];
        json_t *roles = json_array();
        for (unsigned b = 0; b < 5; b++)
            if (r->roles & (1u << b))
                json_array_append_new(roles, json_string(role_names[b]));
        json_t *listeners = json_array();
        if (r->listener & LISTENER_PUBLIC)
            json_array_append_new(listeners, json_string("public"));
        if (r->listener & LISTENER_ADMIN)
            json_array_append_new(listeners, json_string("admin"));
        json_array_append_new(
            out, json_pack("{s:s, s:s, s:o, s:o, s:I, s:o}", "method", r->method,
                           "pattern", r->pattern, "listeners", listeners,
                           "roles", roles, "body_limit",
                           (json_int_t)r->body_limit, "body", body_json(r)));
    }
    json_dumpf(out, stdout, JSON_INDENT(1));
    putchar('\n');
    json_decref(out);
    return 0;
}

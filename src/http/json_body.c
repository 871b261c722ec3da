#include "http/json_body.h"

#include <stdio.h>
#include <string.h>

static int fail(struct json_err *err, const char *field, const char *detail)
{
    snprintf(err->field, sizeof err->field, "%s", field ? field : "");
    snprintf(err->detail, sizeof err->detail, "%s", detail);
    return -1;
}

json_t *json_parse_body(const char *body, size_t len, struct json_err *err)
{
    json_error_t je;
    /* JSON_REJECT_DUPLICATES: {"a":1,"a":2} is ambiguous, refuse it */
    json_t *v = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
    if (!v) {
        char d[256];
        snprintf(d, sizeof d, "malformed JSON at line %d column %d: %s",
                 je.line, je.column, je.text);
        fail(err, NULL, d);
        return NULL;
    }
    if (!json_is_object(v)) {
        json_decref(v);
        fail(err, NULL, "the body must be a JSON object");
        return NULL;
    }
    return v;
}

int json_check_string(const json_t *v, const char *what, bool multiline,
                      size_t max_len, struct json_err *err)
{
    char d[256];
    if (!json_is_string(v)) {
        snprintf(d, sizeof d, "%s must be a string", what);
        return fail(err, what, d);
    }
    size_t len = json_string_length(v);
    const unsigned char *s = (const unsigned char *)json_string_value(v);
    if (len > (max_len ? max_len : 1024)) {
        snprintf(d, sizeof d, "%s is longer than %zu bytes", what,
                 max_len ? max_len : 1024);
        return fail(err, what, d);
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = s[i];
        bool ok = c >= 0x20 && c != 0x7f;
        if (multiline && (c == '\n' || c == '\r' || c == '\t'))
            ok = true;
        if (!ok) {
            snprintf(d, sizeof d, "%s contains a control character at byte %zu",
                     what, i);
            return fail(err, what, d);
        }
    }
    return 0;
}

static int check_value(const json_t *v, const struct jfield *f,
                       struct json_err *err)
{
    char d[256];
    switch (f->type) {
    case JT_STRING:
    case JT_TEXT:
        return json_check_string(v, f->name, f->type == JT_TEXT, f->max_len,
                                 err);
    case JT_INT:
        if (!json_is_integer(v)) {
            snprintf(d, sizeof d, "%s must be an integer", f->name);
            return fail(err, f->name, d);
        }
        if (json_integer_value(v) < f->min || json_integer_value(v) > f->max) {
            snprintf(d, sizeof d, "%s must be from %lld to %lld", f->name,
                     f->min, f->max);
            return fail(err, f->name, d);
        }
        return 0;
    case JT_BOOL:
        if (!json_is_boolean(v)) {
            snprintf(d, sizeof d, "%s must be true or false", f->name);
            return fail(err, f->name, d);
        }
        return 0;
    case JT_OBJECT:
        if (!json_is_object(v)) {
            snprintf(d, sizeof d, "%s must be an object", f->name);
            return fail(err, f->name, d);
        }
        return 0;
    case JT_STRING_ARRAY:
    case JT_OBJECT_ARRAY: {
        size_t max = f->max_len ? f->max_len : 64;
        if (!json_is_array(v)) {
            snprintf(d, sizeof d, "%s must be an array", f->name);
            return fail(err, f->name, d);
        }
        if (json_array_size(v) > max) {
            snprintf(d, sizeof d, "%s has more than %zu items", f->name, max);
            return fail(err, f->name, d);
        }
        size_t i;
        json_t *item;
        json_array_foreach(v, i, item)
        {
            char what[64];
            snprintf(what, sizeof what, "%s[%zu]", f->name, i);
            if (f->type == JT_STRING_ARRAY) {
                if (json_check_string(item, what, false, 2048, err))
                    return -1;
            } else if (!json_is_object(item)) {
                snprintf(d, sizeof d, "%s must be an object", what);
                return fail(err, what, d);
            }
        }
        return 0;
    }
    }
    return fail(err, f->name, "unsupported field type");
}

int json_check(const json_t *obj, const struct jfield *fields, size_t n,
               struct json_err *err)
{
    char d[256];
    if (!json_is_object(obj))
        return fail(err, NULL, "the body must be a JSON object");
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v)
    {
        size_t i;
        for (i = 0; i < n; i++)
            if (strcmp(fields[i].name, key) == 0)
                break;
        if (i == n) {
            snprintf(d, sizeof d, "unknown field \"%.64s\"", key);
            return fail(err, key, d);
        }
        if (json_is_null(v) && !fields[i].required)
            continue;
        if (check_value(v, &fields[i], err))
            return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (!fields[i].required)
            continue;
        v = json_object_get(obj, fields[i].name);
        if (!v || json_is_null(v)) {
            snprintf(d, sizeof d, "%s is required", fields[i].name);
            return fail(err, fields[i].name, d);
        }
        if (json_is_string(v) && json_string_length(v) == 0) {
            snprintf(d, sizeof d, "%s must not be empty", fields[i].name);
            return fail(err, fields[i].name, d);
        }
    }
    return 0;
}

const char *json_get_str(const json_t *obj, const char *name)
{
    return json_string_value(json_object_get(obj, name));
}

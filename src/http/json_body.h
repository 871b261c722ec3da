/* Strict checks of JSON request bodies: known fields only, right types,
 * bounded strings without control characters. Errors name the field. */
#ifndef TROTH_JSON_BODY_H
#define TROTH_JSON_BODY_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

enum jtype {
    JT_STRING,       /* string, max_len bytes, no control characters */
    JT_TEXT,         /* string that may hold newlines and tabs (PEM, notes) */
    JT_INT,          /* integer in [min, max] */
    JT_BOOL,
    JT_STRING_ARRAY, /* array of at most max_items JT_STRING */
    JT_OBJECT_ARRAY, /* array of at most max_items objects, checked by the caller */
    JT_OBJECT,       /* an object, its members checked by the caller */
};

struct jfield {
    const char *name;
    enum jtype type;
    bool required;
    size_t max_len;   /* strings: bytes (0 = 1024); arrays: items (0 = 64) */
    long long min, max; /* JT_INT */
};

struct json_err {
    char field[64];
    char detail[256];
};

/* Parses a request body. Returns NULL and fills err on malformed JSON. */
json_t *json_parse_body(const char *body, size_t len, struct json_err *err);

/* Checks an object against its fields. Returns 0, or -1 with err filled. */
int json_check(const json_t *obj, const struct jfield *fields, size_t n,
               struct json_err *err);

/* Checks one string value by the JT_STRING / JT_TEXT rules; `what` names it. */
int json_check_string(const json_t *v, const char *what, bool multiline,
                      size_t max_len, struct json_err *err);

/* The string member `name`, or NULL when absent or null. */
const char *json_get_str(const json_t *obj, const char *name);

#endif

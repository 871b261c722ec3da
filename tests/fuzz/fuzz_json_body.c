/* libFuzzer: request bodies as every JSON handler reads them: parse, then
 * the strict field check (known fields, types, bounds, no controls). */
#include <stddef.h>
#include <stdint.h>

#include "http/json_body.h"

static const struct jfield fields[] = {
    {"username", JT_STRING, true, 128, 0, 0},
    {"csr", JT_TEXT, false, 16384, 0, 0},
    {"days", JT_INT, false, 0, 1, 3650},
    {"disabled", JT_BOOL, false, 0, 0, 0},
    {"uris", JT_STRING_ARRAY, false, 20, 0, 0},
    {"contacts", JT_OBJECT_ARRAY, false, 10, 0, 0},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct json_err err;
    json_t *j = json_parse_body((const char *)data, size, &err);
    if (!j)
        return 0;
    if (json_check(j, fields, sizeof fields / sizeof fields[0], &err) == 0) {
        const char *u = json_get_str(j, "username");
        if (!u)
            __builtin_trap(); /* required: the check let it through */
    }
    json_decref(j);
    return 0;
}

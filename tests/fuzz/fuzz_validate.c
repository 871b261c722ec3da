/* libFuzzer: URI (every kind), e-mail, NPI, UTF-8 and look-alike key
 * checks, on NUL-terminated text as the handlers pass it. A URI accepted
 * must have a look-alike key that fits URI_MAX + 1 (the callers' buffer). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = 0;
    char why[256];
    static const char *const kinds[] = {"client", "server", "idp"};
    for (int i = 0; i < 3; i++) {
        if (uri_check_opts(s, NULL, uri_kind_flags(kinds[i]), why, sizeof why) == 0) {
            char key[URI_MAX + 1];
            if (uri_lookalike_key(s, key, sizeof key) != 0)
                __builtin_trap();
            uri_lookalikes(s, key);
        }
    }
    uri_check(s, NULL, why, sizeof why);
    email_check(s, why, sizeof why);
    npi_valid(s);
    id_valid(s);
    if (utf8_valid(s))
        utf8_length(s);
    char small[16];
    uri_lookalike_key(s, small, sizeof small);
    free(s);
    return 0;
}

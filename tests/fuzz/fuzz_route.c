/* libFuzzer: route matching over the real route table (both listeners):
 * input "METHOD path". Path parameters are percent-decoded and bounded. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/routes.h"
#include "http/route.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = 0;
    char *sp = strchr(s, ' ');
    const char *method = "GET", *path = s;
    if (sp) {
        *sp = 0;
        method = s;
        path = sp + 1;
    }
    for (unsigned l = LISTENER_PUBLIC; l <= LISTENER_ADMIN; l++) {
        const struct route *found;
        struct route_params params;
        char allow[128];
        if (route_match(routes, routes_count, l, method, path, &found, &params, allow,
                        sizeof allow) == ROUTE_FOUND) {
            for (unsigned i = 0; i < params.n; i++)
                if (strchr(params.value[i], '/'))
                    __builtin_trap(); /* a parameter may not hold '/' */
        }
    }
    free(s);
    return 0;
}

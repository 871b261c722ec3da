#include "http/route.h"

#include <stdbool.h>
#include <string.h>

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Percent-decodes [s, s+len) into out; refuses NUL, '/' and bad escapes. */
static bool decode_param(const char *s, size_t len, char *out, size_t outlen)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == '%') {
            if (i + 2 >= len)
                return false;
            int h = hexval(s[i + 1]), l = hexval(s[i + 2]);
            if (h < 0 || l < 0)
                return false;
            c = (char)(h * 16 + l);
            i += 2;
        }
        if (c == 0 || c == '/' || o + 1 >= outlen)
            return false;
        out[o++] = c;
    }
    if (o == 0)
        return false;
    out[o] = 0;
    return true;
}

int route_pattern_match(const char *pattern, const char *path,
                        struct route_params *params)
{
    params->n = 0;
    const char *p = pattern, *s = path;
    while (*p) {
        if (*p != '{') {
            if (*p != *s)
                return 0;
            p++, s++;
            continue;
        }
        /* a parameter: {name}, then a literal suffix up to the next '/' */
        const char *close = strchr(p, '}');
        if (!close || params->n >= ROUTE_MAX_PARAMS)
            return 0;
        const char *lit = close + 1;
        size_t litlen = strcspn(lit, "/");
        size_t seglen = strcspn(s, "/");
        if (seglen <= litlen || memcmp(s + seglen - litlen, lit, litlen) != 0)
            return 0;
        unsigned i = params->n;
        params->name[i] = p + 1;
        params->name_len[i] = (size_t)(close - p - 1);
        if (!decode_param(s, seglen - litlen, params->value[i],
                          sizeof params->value[i]))
            return 0;
        /* before a literal suffix (an extension) a parameter takes no '.':
         * {serial}.pem must not match "X.chain.pem" as serial "X.chain" */
        if (litlen && strchr(params->value[i], '.'))
            return 0;
        params->n++;
        p = lit + litlen;
        s += seglen;
    }
    return *s == 0;
}

enum route_result route_match(const struct route *table, size_t n,
                              unsigned listener, const char *method,
                              const char *path, const struct route **found,
                              struct route_params *params, char *allow,
                              size_t allow_len)
{
    const char *m = strcmp(method, "HEAD") == 0 ? "GET" : method;
    bool path_known = false;
    size_t used = 0;
    if (allow_len)
        allow[0] = 0;
    struct route_params tmp;
    for (size_t i = 0; i < n; i++) {
        const struct route *r = &table[i];
        if (!(r->listener & listener))
            continue;
        if (!route_pattern_match(r->pattern, path, &tmp))
            continue;
        if (strcmp(r->method, m) == 0) {
            *found = r;
            *params = tmp;
            return ROUTE_FOUND;
        }
        path_known = true;
        const char *add[2] = {r->method, strcmp(r->method, "GET") ? NULL : "HEAD"};
        for (int k = 0; k < 2 && add[k]; k++) {
            size_t l = strlen(add[k]);
            if (used + l + 3 < allow_len) {
                if (used) {
                    memcpy(allow + used, ", ", 2);
                    used += 2;
                }
                memcpy(allow + used, add[k], l + 1);
                used += l;
            }
        }
    }
    return path_known ? ROUTE_BAD_METHOD : ROUTE_NOT_FOUND;
}

const char *route_param(const struct route_params *p, const char *name)
{
    size_t l = strlen(name);
    for (unsigned i = 0; i < p->n; i++)
        if (p->name_len[i] == l && memcmp(p->name[i], name, l) == 0)
            return p->value[i];
    return NULL;
}

/* The static route table: method, pattern, listener, roles, body limit,
 * handler, and the fields of its JSON body. */
#ifndef TROTH_ROUTE_H
#define TROTH_ROUTE_H
#include <stddef.h>

#include "auth/roles.h"

struct jfield;
struct req;

enum listener { LISTENER_PUBLIC = 1, LISTENER_ADMIN = 2 };

typedef void (*handler_fn)(struct req *r);

struct route {
    const char *method;  /* "GET", "POST", ... (GET also answers HEAD) */
    const char *pattern; /* "/api/v1/members/{id}", "/crl/{ca}.crl" */
    unsigned listener;   /* LISTENER_* bits */
    unsigned roles;      /* ROLE_* bits allowed (auth/roles.h) */
    size_t body_limit;   /* max request body bytes; 0 = no body accepted */
    handler_fn handler;
    /* the JSON body's fields (http/json_body.h), checked before the handler
     * runs: no other field, each of its type, the required ones present */
    const struct jfield *body;
    size_t body_fields; /* 0: the route takes no JSON body */
};

#define ROUTE_MAX_PARAMS 4
#define ROUTE_PARAM_MAX 256

struct route_params {
    unsigned n;
    const char *name[ROUTE_MAX_PARAMS];     /* points into the pattern */
    size_t name_len[ROUTE_MAX_PARAMS];
    char value[ROUTE_MAX_PARAMS][ROUTE_PARAM_MAX];
};

enum route_result { ROUTE_FOUND, ROUTE_NOT_FOUND, ROUTE_BAD_METHOD };

/* Finds the route for (listener, method, path). On ROUTE_BAD_METHOD `allow`
 * lists the methods the path answers, comma-separated. Path parameters are
 * percent-decoded and may not contain '/' or NUL. */
enum route_result route_match(const struct route *table, size_t n,
                              unsigned listener, const char *method,
                              const char *path, const struct route **found,
                              struct route_params *params, char *allow,
                              size_t allow_len);

/* Matches one pattern against a path (exposed for tests). */
int route_pattern_match(const char *pattern, const char *path,
                        struct route_params *params);

/* The value of path parameter `name`, or NULL. */
const char *route_param(const struct route_params *p, const char *name);

#endif

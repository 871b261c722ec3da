/* Every route of both listeners: method, pattern, listener, who may call it,
 * the largest body it takes, and its handler. The authorization matrix test
 * and the OpenAPI check read this table through `troth routes`. */
#include "api/routes.h"

#include "api/handlers.h"

#define PUB LISTENER_PUBLIC
#define ADM LISTENER_ADMIN
#define ANY ROLE_ANON | ROLES_USER
#define KB 1024

const struct route routes[] = {
    /* public listener: unauthenticated, served from memory */
    {"GET", "/healthz", PUB, ANY, 0, h_healthz},
    {"GET", "/readyz", PUB, ANY, 0, h_readyz},
    /* admin listener */
    {"GET", "/api/v1/openapi.json", ADM, ANY, 0, h_openapi},
};

const size_t routes_count = sizeof routes / sizeof routes[0];

/* The two libmicrohttpd listeners (public and admin) and their dispatch. */
#ifndef TROTH_SERVER_H
#define TROTH_SERVER_H
#include <stddef.h>

#include "http/route.h"

struct config;
struct server;

/* Starts both listeners. Returns NULL and prints why on failure. */
/* Reads [server] tls_cert/tls_key now (before the process drops its
 * privileges), for server_start to use. 0, or -1 (logged). */
int server_preload_tls(const struct config *cfg);
struct server *server_start(const struct config *cfg, const struct route *routes,
                            size_t nroutes);

/* Stops both listeners, waiting for requests in flight. */
void server_stop(struct server *s);

/* True if `host` is a loopback address or "localhost". */
int server_is_loopback(const char *host);

#endif

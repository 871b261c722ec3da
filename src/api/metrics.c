/* GET /metrics: the Prometheus exposition, for staff (bearer token, as
 * Prometheus's `authorization` setting sends it) and, when [server]
 * metrics_open_on_loopback is on, for loopback callers without a token. */
#include "api/handlers.h"

#include <stdlib.h>

#include "config.h"
#include "http/http.h"
#include "http/server.h"
#include "metrics/metrics.h"

void h_metrics(struct req *r)
{
    const struct config *cfg = config_current();
    bool staff = (r->who.role & ROLES_STAFF) != 0;
    bool open = cfg && cfg->metrics_open_on_loopback && r->who.role == ROLE_ANON &&
                server_is_loopback(r->client_ip);
    if (!staff && !open) {
        if (r->who.role == ROLE_ANON) {
            reply_problem(r, PK_UNAUTHENTICATED, NULL,
                          "send a staff API token (Authorization: Bearer)");
            reply_header(r, "WWW-Authenticate", "Bearer");
        } else {
            reply_problem(r, PK_FORBIDDEN, NULL, "metrics are for staff roles");
        }
        return;
    }
    size_t len = 0;
    char *text = metrics_render(&len);
    if (!text) {
        reply_problem(r, PK_INTERNAL, NULL, "out of memory rendering metrics");
        return;
    }
    reply_shared(r, 200, "text/plain; version=0.0.4; charset=utf-8", text, len, free,
                 text);
}

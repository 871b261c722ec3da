/* GET /healthz (the process answers) and GET /readyz (it can do its job). */
#include "api/handlers.h"

#include "ca/crl_status.h"
#include "ca/registry.h"
#include "ca/service.h"
#include "config.h"
#include "db/db.h"
#include "db/migrate.h"
#include "http/http.h"
#include "metrics/metrics.h"

void h_healthz(struct req *r)
{
    reply_json(r, 200, json_pack("{s:s}", "status", "ok"));
    reply_header(r, "Cache-Control", "no-store");
}

void h_readyz(struct req *r)
{
    char why[512];
    int rc = migrate_check(req_db(r), why, sizeof why);
    json_t *checks = json_object();
    json_object_set_new(checks, "database",
                        json_string(rc < 0 ? "unavailable" : "ok"));
    json_object_set_new(checks, "schema",
                        json_string(rc == 0 ? "current" : rc < 0 ? "unknown" : why));
    char ca_why[256];
    ca_service_health(ca_why, sizeof ca_why);
    json_object_set_new(checks, "ca", json_string(ca_why[0] ? ca_why : "ok"));
    bool ok = rc == 0 && !ca_why[0];
    json_t *warnings = ca_crl_warnings(ca_current(), config_current()->root_crl_warn_days);
    metrics_undecided_warnings(warnings);
    json_t *body = json_pack("{s:s, s:o, s:o}", "status", ok ? "ready" : "not ready",
                             "checks", checks, "warnings", warnings);
    reply_json(r, ok ? 200 : 503, body);
    reply_header(r, "Cache-Control", "no-store");
    if (!ok)
        reply_header(r, "Retry-After", "5");
}

/* The conformance sandbox: what the public listener serves under
 * /sandbox/ (from memory, see sandbox/publish.c), and the admin's
 * POST /api/v1/sandbox/init and /refresh, which build a generation in
 * this process (test material, never the signer) and publish it. */
#include "api/handlers.h"

#include <stdio.h>
#include <string.h>

#include "ca/publish.h"
#include "config.h"
#include "http/http.h"
#include "sandbox/sandbox.h"
#include "util/log.h"

static void serve_path(struct req *r, const char *path, const char *what)
{
    char ctype[48] = "application/octet-stream";
    struct pub_blob *b = sandbox_get_typed(path, ctype, sizeof ctype);
    serve_blob(r, b, ctype, what);
}

void h_sandbox_index(struct req *r)
{
    serve_path(r, "index.json", "sandbox (run troth sandbox init)");
}

void h_sandbox_anchors(struct req *r)
{
    serve_path(r, "anchors.pem", "sandbox (run troth sandbox init)");
}

void h_sandbox_ca(struct req *r)
{
    char path[96];
    snprintf(path, sizeof path, "ca/%s.crt", req_param(r, "name"));
    serve_path(r, path, "sandbox CA certificate");
}

void h_sandbox_crl(struct req *r)
{
    char path[96];
    snprintf(path, sizeof path, "crl/%s.crl", req_param(r, "name"));
    serve_path(r, path, "sandbox CRL");
}

void h_sandbox_fixture(struct req *r)
{
    char path[96];
    snprintf(path, sizeof path, "fixtures/%s/%s", req_param(r, "name"), req_param(r, "file"));
    serve_path(r, path, "sandbox fixture file");
}

static void generate(struct req *r, bool refresh)
{
    const struct config *cfg = config_current();
    struct audit_actor actor = audit_actor_of(&r->who, r->client_ip);
    json_t *summary = NULL;
    char err[256];
    enum db_rc rc = sandbox_generate(req_db(r), cfg && cfg->public_url ? cfg->public_url : "",
                                     refresh, &actor, &summary, err, sizeof err);
    if (rc == DB_CONFLICT) {
        reply_problem(r, 409, "sandbox-exists", NULL,
                      "the sandbox exists already: refresh it (POST /api/v1/sandbox/refresh)");
        return;
    }
    if (rc == DB_NOTFOUND) {
        reply_problem(r, 409, "sandbox-missing", NULL,
                      "there is no sandbox yet: initialise it (POST /api/v1/sandbox/init)");
        return;
    }
    if (rc != DB_OK) {
        if (err[0])
            log_msg("sandbox: %s", err);
        reply_db_failure(r, rc);
        return;
    }
    /* this node serves it before answering; the others on NOTIFY */
    sandbox_publish_load(req_db(r));
    reply_json(r, refresh ? 200 : 201, summary);
}

void h_sandbox_init(struct req *r)
{
    generate(r, false);
}

void h_sandbox_refresh(struct req *r)
{
    generate(r, true);
}

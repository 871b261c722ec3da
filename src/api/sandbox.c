/* The conformance sandbox: what the public listener serves under
 * /sandbox/ (from memory, see sandbox/publish.c), and the admin's
 * POST /api/v1/sandbox/init and /refresh, which build a generation in
 * this process (test material, never the signer) and publish it. */
#include "api/handlers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ca/publish.h"
#include "config.h"
#include "http/http.h"
#include "http/offload.h"
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

/* GET /api/v1/sandbox: the index, for the admin UI (same origin). */
void h_sandbox_get(struct req *r)
{
    struct pub_blob *b = sandbox_get("index.json");
    json_error_t je;
    json_t *idx = b ? json_loadb((const char *)b->data, b->len, 0, &je) : NULL;
    pub_blob_release(b);
    if (!idx) {
        reply_problem(r, PK_SANDBOX_MISSING, NULL,
                      "there is no sandbox yet: an admin initialises it (troth sandbox init)");
        return;
    }
    reply_json(r, 200, idx);
}

static void reply_rc(struct req *r, enum db_rc rc)
{
    if (rc == DB_CONFLICT)
        reply_problem(r, PK_SANDBOX_EXISTS, NULL,
                      "the sandbox exists already: refresh it (POST /api/v1/sandbox/refresh)");
    else if (rc == DB_NOTFOUND)
        reply_problem(r, PK_SANDBOX_MISSING_409, NULL,
                      "there is no sandbox yet: initialise it (POST /api/v1/sandbox/init)");
    else
        reply_db_failure(r, rc);
}

struct job {
    struct sandbox_job sb;
    int build_rc;
    bool busy; /* commit: another generation came first */
};

static void build_work(void *arg)
{
    struct job *j = arg;
    j->build_rc = sandbox_job_build(&j->sb);
}

static void build_done(struct req *r, void *arg)
{
    struct job *j = arg;
    if (r && j->build_rc) {
        log_msg("sandbox: %s", j->sb.err);
        reply_problem(r, PK_INTERNAL, NULL, "building the sandbox failed (request %s)",
                      r->id);
    } else if (r) {
        struct audit_actor actor = audit_actor_of(&r->who, r->client_ip);
        json_t *summary = NULL;
        enum db_rc rc = sandbox_commit(req_db(r), &j->sb, &actor, &summary);
        if (rc == DB_CONFLICT)
            reply_problem(r, PK_SANDBOX_BUSY, NULL,
                          "another init or refresh of the sandbox committed first; try again");
        else if (rc != DB_OK)
            reply_rc(r, rc);
        else {
            /* this node serves it before answering; the others on NOTIFY */
            sandbox_publish_load(req_db(r));
            reply_json(r, j->sb.refresh ? 200 : 201, summary);
        }
    }
    sandbox_job_free(&j->sb);
    free(j);
}

/* Keys, certificates and PKCS#12 files take seconds to make (more than
 * the read deadline under ASan): built on an offload worker, stored back
 * on the listener's thread. */
static void generate(struct req *r, bool refresh)
{
    const struct config *cfg = config_current();
    struct job *j = calloc(1, sizeof *j);
    if (!j) {
        reply_problem(r, PK_INTERNAL, NULL, "out of memory");
        return;
    }
    enum db_rc rc = sandbox_prepare(req_db(r), cfg && cfg->public_url ? cfg->public_url : "",
                                    refresh, &j->sb);
    if (rc != DB_OK) {
        reply_rc(r, rc);
        sandbox_job_free(&j->sb);
        free(j);
        return;
    }
    if (!req_offload(r, build_work, build_done, j)) {
        sandbox_job_free(&j->sb);
        free(j);
        reply_problem(r, PK_BUSY, NULL, "all key generation slots are busy; try again shortly");
        reply_header(r, "Retry-After", "5");
    }
}

void h_sandbox_init(struct req *r)
{
    generate(r, false);
}

void h_sandbox_refresh(struct req *r)
{
    generate(r, true);
}

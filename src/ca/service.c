#include "ca/service.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ca/crl_gen.h"
#include "ca/crl_status.h"
#include "ca/crl_worker.h"
#include "ca/publish.h"
#include "ca/registry.h"
#include "config.h"
#include "db/db.h"
#include "signer/client.h"
#include "signer/signer.h"
#include "util/log.h"

static struct ca_set g_set;
static struct signer_pool *g_pool;

DB_STMT(q_community, 0, "SELECT uri, name FROM community");

int ca_service_start(struct db *db, const struct config *cfg, char *err, size_t errlen)
{
    int rc = ca_set_load(db, cfg->public_url, &g_set);
    if (rc < 0) {
        snprintf(err, errlen, "cannot load the CAs: %s", db_last_error(db));
        return -1;
    }
    if (rc == 1) {
        log_msg("no CA yet: run `troth init`; serving without one");
        return 0;
    }
    ca_set_current(&g_set);
    PGresult *res;
    const char *uri = cfg->community_uri, *name = cfg->community_name;
    bool have = db_exec(db, &q_community, &res, NULL) == DB_OK;
    if (have && PQntuples(res) == 1) {
        uri = PQgetvalue(res, 0, 0);
        name = PQgetvalue(res, 0, 1);
    }
    publish_init(&g_set, uri, name);
    if (have)
        PQclear(res);
    for (size_t i = 0; i < g_set.n; i++)
        if (crl_load_latest(db, &g_set.cas[i]) != 0) {
            snprintf(err, errlen, "cannot load CRLs: %s", db_last_error(db));
            return -1;
        }

    size_t workers = cfg->signer_workers ? cfg->signer_workers
                                         : (size_t)sysconf(_SC_NPROCESSORS_ONLN);
    if (ca_signer_start(&g_set, cfg, workers ? workers : 1, &g_pool, err, errlen))
        return -1;
    log_msg("%zu CA(s) loaded, %zu signer worker(s) ready", g_set.n, workers ? workers : 1);
    return 0;
}

int ca_signer_start(const struct ca_set *set, const struct config *cfg, size_t workers,
                    struct signer_pool **pool, char *err, size_t errlen)
{
    struct signer_ca_blob blobs[SIGNER_MAX_CAS];
    size_t n = 0;
    for (size_t i = 0; i < set->n && n < SIGNER_MAX_CAS; i++)
        if (set->cas[i].key_pem) /* an offline root's key is not here at all */
            blobs[n++] = (struct signer_ca_blob){set->cas[i].id, set->cas[i].der,
                                                 set->cas[i].der_len, set->cas[i].key_pem,
                                                 strlen(set->cas[i].key_pem)};
    if (!cfg->key_passphrase_file || access(cfg->key_passphrase_file, R_OK) != 0) {
        snprintf(err, errlen, "[ca] key_passphrase_file %s is not readable",
                 cfg->key_passphrase_file ? cfg->key_passphrase_file : "(unset)");
        return -1;
    }
    struct pki_err perr = {0};
    if (signer_pool_start(pool, workers, blobs, n, cfg->key_passphrase_file,
                          signer_spawn_fork, &perr) != 0) {
        snprintf(err, errlen, "cannot start the signer: %s", perr.detail);
        return -1;
    }
    return 0;
}

int ca_service_start_worker(const struct config *cfg)
{
    return g_pool ? crl_worker_start(cfg, &g_set, g_pool) : 0;
}

void ca_service_stop(void)
{
    crl_worker_stop();
    if (g_pool)
        signer_pool_free(g_pool);
    g_pool = NULL;
    ca_set_current(NULL);
    publish_shutdown();
    ca_set_free(&g_set);
}

struct signer_pool *ca_signer(void) { return g_pool; }

int ca_sign_crl_by_signer(void *ctx, const struct ca_info *ca,
                          const unsigned char *tbs, size_t tbs_len,
                          unsigned char **der, size_t *der_len, struct pki_err *err)
{
    return signer_sign_crl(ctx, ca->id, tbs, tbs_len, der, der_len, err) ? -1 : 0;
}

void ca_service_check_signer(void)
{
    if (g_pool && signer_pool_check(g_pool) > 0)
        log_msg("signer worker(s) restarted");
}

void ca_service_health(char *why, size_t len)
{
    why[0] = 0;
    if (!g_pool)
        return;
    if (signer_pool_alive(g_pool) == 0) {
        snprintf(why, len, "signer unavailable");
        return;
    }
    const struct config *cfg = config_current();
    ca_crl_health(&g_set, cfg ? cfg->root_crl_warn_days : 7, why, len);
}

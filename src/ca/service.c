#include "ca/service.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "ca/compromised.h"
#include "ca/crl_gen.h"
#include "ca/crl_status.h"
#include "ca/crl_worker.h"
#include "ca/publish.h"
#include "ca/registry.h"
#include "config.h"
#include "counters/counters.h"
#include "db/db.h"
#include "ca/signer_pool.h"
#include "signer/signer.h"
#include "util/clock.h"
#include "util/log.h"

static struct ca_set g_set;
static struct signer_pool *g_pool;

DB_STMT(q_community, 0, "SELECT uri, name FROM community");

static size_t worker_count(const struct config *cfg)
{
    size_t n = cfg->signer_workers ? cfg->signer_workers : (size_t)sysconf(_SC_NPROCESSORS_ONLN);
    return n ? n : 1;
}

static struct signer_pool_opts pool_opts(const struct config *cfg, size_t workers, long web_uid, bool serve)
{
    return (struct signer_pool_opts){.workers = workers, .passphrase_file = cfg->key_passphrase_file,
                                     .pkcs11_module = cfg->pkcs11_module, .pkcs11_pin_file = cfg->pkcs11_pin_file,
                                     .pkcs11_keep_env = cfg->pkcs11_keep_env,
                                     .crl_validity_hours = cfg->crl_validity_hours, .web_uid = web_uid,
                                     .warn_same_uid = serve && web_uid < 0,
                                     .scrub = &cfg->database_url, .n_scrub = 1};
}

int ca_service_fork_signer(const struct config *cfg, long web_uid, char *err, size_t errlen)
{
    struct problem perr = {0};
    struct signer_pool_opts o = pool_opts(cfg, worker_count(cfg), web_uid, true);
    if (signer_pool_fork(&g_pool, &o, &perr) != 0) {
        snprintf(err, errlen, "cannot start the signer supervisor: %s", perr.detail);
        return -1;
    }
    return 0;
}

/* The web process keeps no key material: not even the encrypted PEM. */
static void forget_keys(struct ca_set *set)
{
    for (size_t i = 0; i < set->n; i++)
        if (set->cas[i].key_pem) {
            OPENSSL_cleanse(set->cas[i].key_pem, strlen(set->cas[i].key_pem));
            free(set->cas[i].key_pem);
            set->cas[i].key_pem = NULL;
        }
}

static size_t blobs_of(const struct ca_set *set, struct signer_ca_blob *blobs)
{
    size_t n = 0;
    for (size_t i = 0; i < set->n && n < SIGNER_MAX_CAS; i++) {
        /* an offline root's key is not here at all; a token key is a URI */
        const char *ref = set->cas[i].key_pem ? set->cas[i].key_pem : set->cas[i].key_uri;
        if (ref)
            blobs[n++] = (struct signer_ca_blob){set->cas[i].id, set->cas[i].der, set->cas[i].der_len, ref,
                                                 strlen(ref)};
    }
    return n;
}

static int hand_cas(struct signer_pool *pool, struct ca_set *set, char *err, size_t errlen)
{
    struct signer_ca_blob blobs[SIGNER_MAX_CAS];
    struct problem perr = {0};
    int rc = signer_pool_start(pool, blobs, blobs_of(set, blobs), &perr);
    forget_keys(set);
    if (rc != 0)
        snprintf(err, errlen, "cannot start the signer: %s", perr.detail);
    return rc;
}

/* A short-lived child reads the encrypted keys from the database and sends
 * the CA set to the supervisor: no key byte ever enters this process, nor
 * libpq's buffers in it. Before any thread exists (fork). */
static int hand_cas_from_child(struct signer_pool *pool, const struct config *cfg, char *err, size_t errlen)
{
    pid_t pid = fork();
    if (pid == 0) {
        struct db *db = db_open(cfg->database_url);
        struct ca_set keys;
        struct problem perr = {0};
        struct signer_ca_blob blobs[SIGNER_MAX_CAS];
        int rc = db != NULL && ca_set_load(db, cfg->public_url, &keys) == 0 ? 0 : 1;
        if (rc == 0 && signer_pool_send_cas(pool, blobs, blobs_of(&keys, blobs), &perr) != 0)
            rc = 1;
        _exit(rc); /* its memory, keys and libpq buffers, goes with it */
    }
    int st = 0;
    if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        snprintf(err, errlen, "cannot hand the CA keys to the signer (database unreachable?)");
        return -1;
    }
    struct problem perr = {0};
    if (signer_pool_await(pool, &perr) != 0) {
        snprintf(err, errlen, "cannot start the signer: %s", perr.detail);
        return -1;
    }
    return 0;
}

int ca_service_start(struct db *db, const struct config *cfg, char *err, size_t errlen)
{
    int rc = ca_set_load_opts(db, cfg->public_url, &g_set, false);
    if (rc < 0) {
        snprintf(err, errlen, "cannot load the CAs: %s", db_last_error(db));
        return -1;
    }
    if (rc == 1) {
        log_msg("no CA yet: run `troth init`; serving without one");
        signer_pool_free(g_pool); /* the supervisor leaves without a CA set */
        g_pool = NULL;
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
    long marked = ca_compromised_backfill(db);
    if (marked < 0) {
        snprintf(err, errlen, "cannot mark compromised keys: %s", db_last_error(db));
        return -1;
    }
    if (marked > 0)
        log_msg("%ld earlier keyCompromise revocation(s): their keys are now refused", marked);
    if (g_pool == NULL && ca_service_fork_signer(cfg, -1, err, errlen) != 0)
        return -1;
    if (hand_cas_from_child(g_pool, cfg, err, errlen) != 0)
        return -1;
    log_msg("%zu CA(s) loaded, %zu signer worker(s) ready", g_set.n, worker_count(cfg));
    return 0;
}

int ca_signer_start(struct ca_set *set, const struct config *cfg, size_t workers,
                    struct signer_pool **pool, char *err, size_t errlen)
{
    struct problem perr = {0};
    struct signer_pool_opts o = pool_opts(cfg, workers, -1, false);
    if (signer_pool_fork(pool, &o, &perr) != 0) {
        snprintf(err, errlen, "cannot start the signer: %s", perr.detail);
        return -1;
    }
    if (hand_cas(*pool, set, err, errlen) != 0) {
        signer_pool_free(*pool);
        *pool = NULL;
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
                          unsigned char **der, size_t *der_len, struct problem *err)
{
    return signer_sign_crl(ctx, ca->id, tbs, tbs_len, der, der_len, err) ? -1 : 0;
}

void ca_service_check_signer(void)
{
    if (g_pool && signer_pool_check(g_pool) > 0)
        log_msg("signer worker(s) restarted by the supervisor");
}

/* A key in a token: is the token still there? A signature inside a worker,
 * at most once per TOKEN_PROBE_MS whatever the rate of /readyz (public: a
 * flood must not become a flood of token signatures, slow on a real HSM);
 * callers meanwhile get the last answer. 1 with why when a token is gone. */
#define TOKEN_PROBE_MS 1000
static pthread_mutex_t g_probe_mu = PTHREAD_MUTEX_INITIALIZER;
static long long g_probe_at = -1;
static char g_probe_why[300];

static int token_health(char *why, size_t len)
{
    pthread_mutex_lock(&g_probe_mu);
    if (g_probe_at < 0 || now_ms() - g_probe_at >= TOKEN_PROBE_MS) {
        g_probe_why[0] = '\0';
        for (size_t i = 0; i < g_set.n && !g_probe_why[0]; i++) {
            struct problem perr = {0};
            if (strcmp(g_set.cas[i].key_store, "pkcs11"))
                continue;
            bool ok = signer_probe(g_pool, g_set.cas[i].id, &perr) == 0;
            metrics_token_probe(ok);
            if (!ok)
                snprintf(g_probe_why, sizeof g_probe_why, "CA %s: %.255s", g_set.cas[i].id, perr.detail);
        }
        g_probe_at = now_ms();
    }
    snprintf(why, len, "%s", g_probe_why);
    pthread_mutex_unlock(&g_probe_mu);
    return why[0] != '\0';
}

void ca_service_health(char *why, size_t len)
{
    why[0] = 0;
    if (!g_pool)
        return;
    char down[256];
    if (signer_pool_alive(g_pool) == 0) {
        if (signer_pool_token_down(g_pool, down, sizeof down))
            snprintf(why, len, "signer unavailable: %s", down);
        else
            snprintf(why, len, "signer unavailable");
        return;
    }
    if (token_health(why, len))
        return;
    const struct config *cfg = config_current();
    ca_crl_health(&g_set, cfg ? cfg->root_crl_warn_days : 7, why, len);
}

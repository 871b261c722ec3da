/* troth serve: check the schema, start the listeners, run until a signal. */
#include "cli/cli.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/routes.h"
#include "audit/audit.h"
#include "auth/login_limits.h"
#include "auth/password.h"
#include "ca/service.h"
#include "config.h"
#include "confine/web.h"
#include "db/db.h"
#include "db/migrate.h"
#include "http/server.h"
#include "metrics/metrics.h"
#include "notify/outbox.h"
#include "sandbox/sandbox.h"
#include "util/log.h"

/* Waits up to `seconds` for the database, then checks the schema. */
static int check_schema(const struct config *cfg, int seconds)
{
    struct db *db = db_open(cfg->database_url);
    char err[512];
    int rc = -1;
    for (int i = 0; db && i <= seconds * 2; i++) {
        rc = migrate_check(db, err, sizeof err);
        if (rc >= 0)
            break;
        if (i == 0)
            log_msg("waiting for the database: %s", err);
        usleep(500000);
    }
    db_close(db);
    if (rc != 0)
        log_msg("troth serve: refusing to start: %s", err);
    return rc;
}

static atomic_bool stopping;

/* Background upkeep: seals audit events into the hash chain, takes the
 * signer workers the supervisor restarted, audits the failed sign-ins of
 * closed windows (every 5 s). */
static void *upkeep(void *arg)
{
    (void)arg;
    unsigned tick = 0;
    while (!atomic_load(&stopping)) {
        if (tick++ % 25 == 0)
            login_limits_sweep(db_thread(), config_current()->login_window_minutes);
        long n = audit_seal(db_thread(), 1000);
        ca_service_check_signer(); /* cheap: takes workers the supervisor restarted */
        if (n < 1000)
            usleep(200000);
    }
    db_close(db_thread());
    return NULL;
}

int cmd_serve(int argc, char **argv, const char *config_path)
{
    if (cli_wants_help(argc, argv) || argc > 0) {
        fprintf(argc > 0 && !cli_wants_help(argc, argv) ? stderr : stdout,
                "usage: troth serve [-c FILE]\n"
                "Serves the public listener (CRLs, CA certificates, anchors, "
                "health) and the admin listener (REST API, admin UI) until "
                "SIGINT or SIGTERM.\n");
        return cli_wants_help(argc, argv) ? 0 : 2;
    }
    struct config cfg;
    if (cli_load_config(&cfg, config_path))
        return 1;
    char err[512];
    long uid, gid;
    /* 1. the signer supervisor, before anything else (no thread, socket or
     *    database connection yet); 2. the TLS files, still as root; 3. this
     *    process drops to [server] user */
    snprintf(err, sizeof err, "cannot read the TLS files");
    if (confine_web_user(cfg.server_user, &uid, &gid, err, sizeof err) != 0 ||
        ca_service_fork_signer(&cfg, uid, err, sizeof err) != 0 || server_preload_tls(&cfg) != 0 ||
        confine_web_drop(uid, gid, cfg.key_passphrase_file, err, sizeof err) != 0) {
        log_msg("troth serve: refusing to start: %s", err);
        ca_service_stop();
        config_free(&cfg);
        return 1;
    }
    if (check_schema(&cfg, 30) != 0) {
        ca_service_stop();
        config_free(&cfg);
        return 1;
    }
    db_configure(cfg.database_url);
    config_set_current(&cfg);
    /* 4. the CA set goes to the supervisor, which answers once its workers are up */
    struct db *boot = db_open(cfg.database_url);
    int ca_rc = boot ? ca_service_start(boot, &cfg, err, sizeof err) : -1;
    db_close(boot);
    if (ca_rc != 0) {
        log_msg("troth serve: %s", boot ? err : "out of memory");
        ca_service_stop();
        config_free(&cfg);
        return 1;
    }
    password_configure(cfg.argon2_t_cost, cfg.argon2_m_cost_kib, cfg.argon2_lanes);
    password_gate_configure(cfg.password_hash_concurrency, cfg.password_hash_queue);

    /* block the stop signals in every thread; this one waits for them */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);

    /* 5. this process's own seccomp filter, before any request is read */
    if (confine_web_seccomp(err, sizeof err) != 0) {
        log_msg("troth serve: refusing to start: %s", err);
        ca_service_stop();
        config_free(&cfg);
        return 1;
    }
    /* the request counters know the routes by method and pattern (for the
     * life of the process) */
    const char **methods = calloc(routes_count, sizeof *methods);
    const char **patterns = calloc(routes_count, sizeof *patterns);
    for (size_t i = 0; methods && patterns && i < routes_count; i++) {
        methods[i] = routes[i].method;
        patterns[i] = routes[i].pattern;
    }
    if (methods && patterns)
        metrics_init(methods, patterns, routes_count);
    if (outbox_start(&cfg) != 0) {
        ca_service_stop();
        config_free(&cfg);
        return 1;
    }
    struct server *srv = server_start(&cfg, routes, routes_count);
    if (!srv || ca_service_start_worker(&cfg) != 0 || metrics_gauges_start(10) != 0 ||
        sandbox_watch_start() != 0) {
        sandbox_watch_stop();
        outbox_stop();
        server_stop(srv);
        ca_service_stop();
        config_free(&cfg);
        return 1;
    }
    pthread_t upkeep_thread;
    pthread_create(&upkeep_thread, NULL, upkeep, NULL);
    log_msg("troth serving: public http://%s, admin %s://%s", cfg.public_listen,
            cfg.tls_cert ? "https" : "http", cfg.admin_listen);
    int sig = 0;
    sigwait(&stop, &sig);
    log_msg("troth: %s received, stopping", strsignal(sig));
    server_stop(srv);
    atomic_store(&stopping, true);
    pthread_join(upkeep_thread, NULL);
    sandbox_watch_stop();
    metrics_gauges_stop();
    outbox_stop();
    ca_service_stop();
    config_free(&cfg);
    db_configure("");
    return 0;
}

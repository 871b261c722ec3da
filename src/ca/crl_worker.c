#include "ca/crl_worker.h"

#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit/audit.h"
#include "ca/crl_gen.h"
#include "ca/publish.h"
#include "ca/registry.h"
#include "ca/service.h"
#include "config.h"
#include "db/db.h"
#include "counters/counters.h"
#include "util/log.h"
#include "util/clock.h"

/* A revocation is put in a CRL at once when none was made in the last
 * COALESCE_MS; otherwise COALESCE_MS after the last one, so a burst of
 * revocations (and those arriving while a CRL is built) share one CRL. */
#define COALESCE_MS 200
#define CHECK_EVERY_MS 5000

struct worker {
    pthread_t thread;
    atomic_bool stop;
    bool running;
    const struct config *cfg;
    const struct ca_set *set;
    struct signer_pool *pool;
    long long due_ms[64]; /* per CA: when to generate; 0 = not pending */
    long long last_ms[64]; /* per CA: when the last generation ended */
};

static struct worker W;

static int ca_index(const char *id)
{
    for (size_t i = 0; i < W.set->n && i < 64; i++)
        if (!strcmp(W.set->cas[i].id, id))
            return (int)i;
    return -1;
}

static void generate(struct db *db, size_t i, const char *why)
{
    struct audit_actor system = {NULL, NULL, "system", ""};
    struct crl_result out;
    struct problem err;
    long long t0 = now_ms();
    int rc = crl_generate(db, &W.set->cas[i], W.cfg->crl_validity_hours,
                          ca_sign_crl_by_signer, W.pool, &system, &out, &err);
    if (rc == 0) {
        metrics_crl_generated((double)(now_ms() - t0) / 1000);
        metrics_crl_served(i);
    }
    if (rc == 0)
        log_msg("CRL %llu of CA %s: %ld entries, %zu bytes (%s); ms: build %lld, "
                "reserve %lld, sign %lld, store %lld",
                (unsigned long long)out.number, W.set->cas[i].id, out.entries,
                out.der_len, why, out.build_ms, out.reserve_ms, out.sign_ms,
                out.store_ms);
    else if (rc < 0)
        log_msg("CRL of CA %s not made (%s): %s", W.set->cas[i].id, why, err.detail);
    /* retry a failure in 1 s; when another instance held the lock, its CRL
     * may predate this revocation: try again shortly */
    long long end = now_ms();
    W.last_ms[i] = end; /* revocations from now on wait COALESCE_MS */
    W.due_ms[i] = rc < 0 ? end + 1000 : rc == 1 ? end + 300 : 0;
}

DB_STMT(q_state, 1,
        "SELECT c.crl_generation > coalesce(l.covers_generation, -1), "
        "coalesce(l.crl_number, 0), "
        "coalesce(extract(epoch FROM now() - l.this_update)::bigint, 0) "
        "FROM cas c LEFT JOIN LATERAL (SELECT * FROM crls WHERE ca_id = c.id "
        "ORDER BY crl_number DESC LIMIT 1) l ON true WHERE c.id = $1");

/* Regenerates what is missing, dirty (a revocation not yet in a CRL, e.g.
 * after a crash) or old; loads CRLs made by other instances. */
static void check_all(struct db *db)
{
    for (size_t i = 0; i < W.set->n && i < 64; i++) {
        const struct ca_info *ca = &W.set->cas[i];
        PGresult *res;
        if (db_exec(db, &q_state, &res, (const char *[]){ca->id}) != DB_OK)
            return;
        if (PQntuples(res) != 1) {
            PQclear(res);
            continue;
        }
        bool dirty = PQgetvalue(res, 0, 0)[0] == 't';
        unsigned long long stored = strtoull(PQgetvalue(res, 0, 1), NULL, 10);
        long long age = atoll(PQgetvalue(res, 0, 2));
        PQclear(res);
        uint64_t published = 0;
        time_t tu, nu;
        publish_crl_info(ca->id, &published, &tu, &nu);
        if (stored > published)
            crl_load_latest(db, ca);
        if (ca_is_offline(ca))
            continue; /* its CRLs are signed offline and imported */
        if (stored == 0)
            generate(db, i, "first CRL");
        else if (dirty)
            generate(db, i, "revocations not yet in a CRL");
        else if (age >= (long long)W.cfg->crl_refresh_hours * 3600)
            generate(db, i, "refresh before nextUpdate");
    }
}

static void on_notify(struct db *db, PGnotify *n)
{
    if (!strcmp(n->relname, "troth_revoked")) {
        int i = ca_index(n->extra);
        if (i >= 0)
            metrics_revocation_seen((size_t)i);
        if (i >= 0 && W.due_ms[i] == 0 && !ca_is_offline(&W.set->cas[i])) {
            long long t = now_ms(), spaced = W.last_ms[i] + COALESCE_MS;
            W.due_ms[i] = t > spaced ? t : spaced;
        }
    } else if (!strcmp(n->relname, "troth_crl")) {
        char id[CA_ID_MAX];
        snprintf(id, sizeof id, "%.*s", (int)strcspn(n->extra, ":"), n->extra);
        const struct ca_info *ca = ca_find(W.set, id);
        uint64_t have = 0;
        time_t tu, nu;
        publish_crl_info(id, &have, &tu, &nu);
        const char *colon = strchr(n->extra, ':');
        if (ca && colon && strtoull(colon + 1, NULL, 10) > have &&
            crl_load_latest(db, ca) == 0)
            metrics_crl_served((size_t)ca_index(id)); /* built by another node */
    }
}

/* Handles the notifications libpq holds; returns how many. */
static int drain(struct db *db, PGconn *conn)
{
    int count = 0;
    PGnotify *n;
    while ((n = PQnotifies(conn))) {
        on_notify(db, n);
        PQfreemem(n);
        count++;
    }
    return count;
}

/* How long to wait for a notification: until the earliest CRL due, at
 * most 200 ms (the stop flag is checked in between). */
static int wait_ms(void)
{
    long long t = now_ms(), wait = 200;
    for (size_t i = 0; i < W.set->n && i < 64; i++)
        if (W.due_ms[i] && W.due_ms[i] - t < wait)
            wait = W.due_ms[i] - t;
    return wait > 0 ? (int)wait : 0;
}

static void *run(void *arg)
{
    (void)arg;
    struct db *db = db_thread();
    PGconn *listening = NULL;
    long long next_check = 0;
    while (!atomic_load(&W.stop)) {
        PGconn *conn = db_conn(db);
        if (conn && conn != listening) {
            PGresult *r = PQexec(conn, "LISTEN troth_revoked; LISTEN troth_crl");
            if (PQresultStatus(r) == PGRES_COMMAND_OK) {
                listening = conn;
                next_check = 0; /* (re)connected: look at everything now */
            }
            PQclear(r);
        }
        long long t = now_ms();
        if (listening && t >= next_check) {
            check_all(db);
            next_check = t + CHECK_EVERY_MS;
        }
        for (size_t i = 0; i < W.set->n && i < 64; i++)
            if (W.due_ms[i] && now_ms() >= W.due_ms[i])
                generate(db, i, "revocation");
        if (!listening || PQstatus(listening) != CONNECTION_OK) {
            listening = NULL;
            struct timespec ts = {0, 200 * 1000000L};
            nanosleep(&ts, NULL);
            continue;
        }
        /* our own queries on this connection may have read notifications
         * already: handle those first, or they wait for the next packet */
        if (drain(db, listening))
            continue;
        struct pollfd pfd = {PQsocket(listening), POLLIN, 0};
        if (poll(&pfd, 1, wait_ms()) > 0) {
            if (!PQconsumeInput(listening)) {
                listening = NULL; /* the next db call reconnects */
                continue;
            }
            drain(db, listening);
        }
    }
    db_close(db);
    return NULL;
}

int crl_worker_start(const struct config *cfg, const struct ca_set *set,
                     struct signer_pool *pool)
{
    memset(W.due_ms, 0, sizeof W.due_ms);
    memset(W.last_ms, 0, sizeof W.last_ms);
    W.cfg = cfg;
    W.set = set;
    W.pool = pool;
    atomic_store(&W.stop, false);
    if (pthread_create(&W.thread, NULL, run, NULL) != 0)
        return -1;
    W.running = true;
    return 0;
}

void crl_worker_stop(void)
{
    if (!W.running)
        return;
    atomic_store(&W.stop, true);
    pthread_join(W.thread, NULL);
    W.running = false;
}

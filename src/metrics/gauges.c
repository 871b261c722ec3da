/* Gauges: the CA and CRL facts from memory at each scrape; the database
 * facts from one query that a thread runs every few seconds. */
#include "metrics/metrics.h"

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ca/publish.h"
#include "ca/registry.h"
#include "ca/service.h"
#include "config.h"
#include "db/db.h"
#include "counters/exposition.h"
#include "ca/signer_pool.h"

#ifndef TROTH_VERSION
#define TROTH_VERSION "0.1.0"
#endif
#include "commit.h" /* build/gen/commit.h: TROTH_COMMIT, written by the Makefile */

#define UNDECIDED_AGE "5 minutes"

DB_STMT(q_gauges, 0,
        "SELECT json_build_object("
        " 'certificates', (SELECT coalesce(json_object_agg(s, n), '{}') FROM ("
        "   SELECT CASE WHEN status = 'valid' AND not_after <= now() THEN 'expired' "
        "   ELSE status END s, count(*) n FROM certificates GROUP BY 1) c),"
        " 'expiring', (SELECT json_build_object("
        "   '7d', count(*) FILTER (WHERE not_after <= now() + interval '7 days'),"
        "   '30d', count(*) FILTER (WHERE not_after <= now() + interval '30 days'),"
        "   '90d', count(*)) FROM certificates WHERE status = 'valid' "
        "   AND not_after > now() AND not_after <= now() + interval '90 days'),"
        " 'unsealed', (SELECT count(*) FROM audit_events WHERE chain_seq IS NULL),"
        " 'entries', (SELECT coalesce(json_object_agg(ca_id, entries), '{}') FROM ("
        "   SELECT DISTINCT ON (ca_id) ca_id, entries FROM crls "
        "   ORDER BY ca_id, crl_number DESC) e),"
        " 'pending', (SELECT coalesce(json_object_agg(channel, n), '{}') FROM ("
        "   SELECT channel, count(*) n FROM outbox WHERE status = 'pending' "
        "   GROUP BY 1) p),"
        " 'dead', (SELECT coalesce(json_object_agg(channel, n), '{}') FROM ("
        "   SELECT channel, count(*) n FROM outbox WHERE status = 'dead' "
        "   GROUP BY 1) d),"
        /* reservations a crash left (signed, or about to be, never stored),
         * once no issuance could still be between its steps; the partial
         * index signatures_open holds only the reserved rows */
        " 'undecided', (SELECT coalesce(json_object_agg(ca_id, n), '{}') FROM ("
        "   SELECT ca_id, count(*) n FROM signatures WHERE state = 'reserved' "
        "   AND reserved_at < now() - interval '" UNDECIDED_AGE "' GROUP BY 1) u))::text");

static struct {
    pthread_mutex_t lock;
    json_t *snap; /* the last answer, or NULL */
    struct metrics_db_state db;
    pthread_t thread;
    atomic_bool stop;
    bool running;
    unsigned seconds;
} G = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void refresh(struct db *db)
{
    PGresult *res = NULL;
    json_t *j = NULL;
    if (db_exec(db, &q_gauges, &res, NULL) == DB_OK && PQntuples(res) == 1)
        j = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
    PQclear(res);
    long long now = (long long)time(NULL);
    pthread_mutex_lock(&G.lock);
    if (j) {
        json_decref(G.snap);
        G.snap = j;
        G.db.up = true;
        G.db.down_since = 0;
        G.db.refreshed_at = now;
    } else {
        G.db.up = false;
        if (!G.db.down_since)
            G.db.down_since = now;
    }
    pthread_mutex_unlock(&G.lock);
}

static void *run(void *arg)
{
    (void)arg;
    struct db *db = db_thread();
    while (!atomic_load(&G.stop)) {
        refresh(db);
        for (unsigned i = 0; i < G.seconds * 5 && !atomic_load(&G.stop); i++)
            usleep(200000);
    }
    db_close(db);
    return NULL;
}

int metrics_gauges_start(unsigned seconds)
{
    G.seconds = seconds ? seconds : 1;
    atomic_store(&G.stop, false);
    if (pthread_create(&G.thread, NULL, run, NULL))
        return -1;
    G.running = true;
    return 0;
}

void metrics_gauges_stop(void)
{
    if (G.running) {
        atomic_store(&G.stop, true);
        pthread_join(G.thread, NULL);
        G.running = false;
    }
    pthread_mutex_lock(&G.lock);
    json_decref(G.snap);
    G.snap = NULL;
    pthread_mutex_unlock(&G.lock);
}

void metrics_db_state(struct metrics_db_state *out)
{
    pthread_mutex_lock(&G.lock);
    *out = G.db;
    pthread_mutex_unlock(&G.lock);
}

/* One gauge per key of a JSON object: name{label="key"} value. */
static void object_gauges(struct mbuf *b, const char *name, const char *label,
                          json_t *obj, const char *const *always)
{
    for (size_t i = 0; always && always[i]; i++)
        if (!json_object_get(obj, always[i]))
            mbuf_printf(b, "%s{%s=\"%s\"} 0\n", name, label, always[i]);
    const char *k;
    json_t *v;
    json_object_foreach(obj, k, v)
        mbuf_printf(b, "%s{%s=\"%s\"} %lld\n", name, label, k,
                    (long long)json_integer_value(v));
}

static void ca_gauges(struct mbuf *b, json_t *entries)
{
    const struct ca_set *set = ca_current();
    static const char *const names[][2] = {
        {"troth_crl_this_update_timestamp_seconds", "thisUpdate of the CRL served"},
        {"troth_crl_next_update_timestamp_seconds", "nextUpdate of the CRL served"},
        {"troth_crl_number", "CRL number of the CRL served"},
        {"troth_crl_entries", "Entries of the CA's newest stored CRL"},
        {"troth_crl_bytes", "Size of the CRL served (DER)"},
        {"troth_ca_not_after_timestamp_seconds", "notAfter of the CA certificate"},
    };
    for (size_t m = 0; m < sizeof names / sizeof names[0]; m++) {
        mbuf_head(b, names[m][0], "gauge", names[m][1]);
        for (size_t i = 0; set && i < set->n; i++) {
            const struct ca_info *ca = &set->cas[i];
            uint64_t number;
            time_t tu, nu;
            bool has_crl = publish_crl_info(ca->id, &number, &tu, &nu) == 0;
            long long v;
            if (m == 5)
                v = (long long)ca->not_after;
            else if (!has_crl)
                continue;
            else if (m == 0)
                v = (long long)tu;
            else if (m == 1)
                v = (long long)nu;
            else if (m == 2)
                v = (long long)number;
            else if (m == 3) {
                json_t *e = json_object_get(entries, ca->id);
                if (!e)
                    continue;
                v = (long long)json_integer_value(e);
            } else {
                struct pub_blob *blob = publish_get_crl(ca->id);
                if (!blob)
                    continue;
                v = (long long)blob->len;
                pub_blob_release(blob);
            }
            mbuf_printf(b, "%s{ca=\"%s\"} %lld\n", names[m][0], ca->id, v);
        }
    }
}

/* troth_signatures_undecided{ca}: one line per CA, 0 when none. */
static void undecided_gauges(struct mbuf *b, json_t *undecided)
{
    const struct ca_set *set = ca_current();
    mbuf_head(b, "troth_signatures_undecided", "gauge",
              "Signatures reserved over " UNDECIDED_AGE " ago and never stored or abandoned");
    for (size_t i = 0; set && i < set->n; i++)
        mbuf_printf(b, "troth_signatures_undecided{ca=\"%s\"} %lld\n", set->cas[i].id,
                    (long long)json_integer_value(json_object_get(undecided, set->cas[i].id)));
}

void metrics_undecided_warnings(json_t *warnings)
{
    pthread_mutex_lock(&G.lock);
    json_t *u = json_incref(json_object_get(G.snap, "undecided"));
    pthread_mutex_unlock(&G.lock);
    const char *ca;
    json_t *v;
    json_object_foreach(u, ca, v) {
        json_int_t n = json_integer_value(v);
        if (n < 1)
            continue;
        char w[512];
        snprintf(w, sizeof w,
                 "CA %s: %lld signature%s reserved over " UNDECIDED_AGE " ago and never "
                 "stored (troth stopped between signing and storing); see `troth ca "
                 "signatures %s --state reserved`, check each serial or CRL number, and "
                 "settle it with --abandon ID --reason TEXT",
                 ca, (long long)n, n == 1 ? "" : "s", ca);
        json_array_append_new(warnings, json_string(w));
    }
    json_decref(u);
}

void metrics_render_gauges(struct mbuf *b)
{
    pthread_mutex_lock(&G.lock);
    json_t *snap = json_incref(G.snap);
    struct metrics_db_state dbs = G.db;
    pthread_mutex_unlock(&G.lock);

    ca_gauges(b, json_object_get(snap, "entries"));

    static const char *const statuses[] = {"valid", "revoked", "on_hold", "expired", NULL};
    static const char *const windows[] = {"7d", "30d", "90d", NULL};
    static const char *const channels[] = {"webhook", "email", NULL};
    if (snap) {
        mbuf_head(b, "troth_certificates", "gauge", "Certificates by status");
        object_gauges(b, "troth_certificates", "status",
                      json_object_get(snap, "certificates"), statuses);
        mbuf_head(b, "troth_certificates_expiring", "gauge",
                  "Valid certificates whose notAfter is within the window");
        object_gauges(b, "troth_certificates_expiring", "within",
                      json_object_get(snap, "expiring"), windows);
        mbuf_head(b, "troth_audit_unsealed_events", "gauge",
                  "Audit events not yet sealed into the hash chain");
        mbuf_printf(b, "troth_audit_unsealed_events %lld\n",
                    (long long)json_integer_value(json_object_get(snap, "unsealed")));
        mbuf_head(b, "troth_notifications_pending", "gauge",
                  "Notices in the outbox not yet delivered, by channel");
        object_gauges(b, "troth_notifications_pending", "channel",
                      json_object_get(snap, "pending"), channels);
        mbuf_head(b, "troth_notifications_dead", "gauge",
                  "Notices given up after [notify] max_attempts, by channel");
        object_gauges(b, "troth_notifications_dead", "channel",
                      json_object_get(snap, "dead"), channels);
        undecided_gauges(b, json_object_get(snap, "undecided"));
    }
    json_decref(snap);

    mbuf_head(b, "troth_database_up", "gauge",
              "1 when the last periodic database query succeeded");
    mbuf_printf(b, "troth_database_up %d\n", dbs.up ? 1 : 0);
    mbuf_head(b, "troth_database_last_refresh_timestamp_seconds", "gauge",
              "When the database gauges were last read");
    mbuf_printf(b, "troth_database_last_refresh_timestamp_seconds %lld\n",
                dbs.refreshed_at);

    struct signer_pool *pool = ca_signer();
    const struct config *cfg = config_current();
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    size_t want = cfg && cfg->signer_workers ? cfg->signer_workers
                                             : (size_t)(cores > 0 ? cores : 1);
    size_t alive = pool ? signer_pool_alive(pool) : 0;
    if (!pool)
        want = 0;
    mbuf_head(b, "troth_signer_workers", "gauge", "Signer worker processes by state");
    mbuf_printf(b, "troth_signer_workers{state=\"up\"} %zu\n", alive);
    mbuf_printf(b, "troth_signer_workers{state=\"down\"} %zu\n",
                want > alive ? want - alive : 0);

    mbuf_head(b, "troth_build_info", "gauge", "Always 1; the build's version and commit");
    mbuf_printf(b, "troth_build_info{version=\"%s\",commit=\"%s\"} 1\n", TROTH_VERSION,
                TROTH_COMMIT);
}

#include "notify/outbox.h"

#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "db/db.h"
#include "notify/alerts.h"
#include "notify/mail.h"
#include "notify/webhook.h"
#include "util/log.h"

#define SENDER_LOCK_KEY "7206414869"
#define BATCH 20

static struct {
    pthread_t thread;
    atomic_bool stop;
    bool running;
    const struct config *cfg;
} S;

long long outbox_backoff_ms(const struct config *cfg, int failures)
{
    long long ms = cfg->retry_base_ms, cap = (long long)cfg->retry_max_seconds * 1000;
    for (int i = 1; i < failures && ms < cap; i++)
        ms *= 2;
    return ms < cap ? ms : cap;
}

DB_STMT(q_lock, 0, "SELECT pg_try_advisory_lock(" SENDER_LOCK_KEY ")");
/* the oldest pending notice of each (channel, endpoint, key), when due */
DB_STMT(q_due, 1,
        "SELECT o.id, o.channel, coalesce(w.url, ''), coalesce(w.secret, ''), "
        "array_to_json(o.recipients)::text, o.event, o.payload::text, o.attempts, "
        SQL_TIME("o.created_at") " FROM ("
        "  SELECT DISTINCT ON (channel, coalesce(webhook_id, 0), order_key) * FROM outbox "
        "  WHERE status = 'pending' ORDER BY channel, coalesce(webhook_id, 0), order_key, id) o "
        "LEFT JOIN webhooks w ON w.id = o.webhook_id "
        "WHERE o.next_attempt_at <= now() ORDER BY o.id LIMIT $1");
/* one attempt: recorded and the notice moved on, in one statement */
DB_STMT(q_record, 7,
        "WITH a AS (INSERT INTO outbox_attempts (outbox_id, ok, http_status, error, "
        "  duration_ms) VALUES ($1::bigint, $2::boolean, nullif($3, '0')::int, $4, $5::int)) "
        "UPDATE outbox SET attempts = attempts + 1, last_error = $4, "
        "status = CASE WHEN $2::boolean THEN 'sent' "
        "  WHEN attempts + 1 >= $6::int THEN 'dead' ELSE 'pending' END, "
        "done_at = CASE WHEN $2::boolean OR attempts + 1 >= $6::int THEN now() END, "
        "next_attempt_at = now() + $7::bigint * interval '1 millisecond' "
        "WHERE id = $1::bigint RETURNING status");

static long long mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The delivered document: the notice's id, type, time and data. */
static char *webhook_body(const char *id, const char *event, const char *created,
                          const char *payload)
{
    json_t *data = json_loads(payload, 0, NULL);
    if (!data)
        return NULL;
    const struct config *cfg = S.cfg;
    if (!strcmp(event, "crl.published") && json_is_string(json_object_get(data, "ca"))) {
        char url[1024];
        snprintf(url, sizeof url, "%s/crl/%s.crl", cfg->public_url,
                 json_string_value(json_object_get(data, "ca")));
        json_object_set_new(data, "url", json_string(url));
    }
    json_t *doc = json_pack("{s:s, s:s, s:s, s:o}", "id", id, "type", event,
                            "created_at", created, "data", data);
    char *s = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(doc);
    return s;
}

static int deliver_mail(const char *recipients, const char *event, const char *payload,
                        char *err, size_t errlen)
{
    json_t *to = json_loads(recipients, 0, NULL), *data = json_loads(payload, 0, NULL);
    const char *addr[32];
    size_t n = 0;
    for (size_t i = 0; i < json_array_size(to) && n < 32; i++)
        if (json_is_string(json_array_get(to, i)))
            addr[n++] = json_string_value(json_array_get(to, i));
    struct alert_text t = {0};
    int rc = -1;
    if (!data || alerts_render(S.cfg, event, data, &t)) {
        snprintf(err, errlen, "cannot render a %s notice", event);
    } else {
        struct mail m = {addr, n, t.subject, t.text, t.html};
        rc = mail_send(S.cfg, &m, err, errlen);
    }
    alert_text_free(&t);
    json_decref(to);
    json_decref(data);
    return rc;
}

/* Delivers what is due; returns how many were tried, or -1 on a database error. */
static int deliver_due(struct db *db)
{
    char lim[8];
    snprintf(lim, sizeof lim, "%d", BATCH);
    PGresult *res;
    if (db_exec(db, &q_due, &res, (const char *[]){lim}) != DB_OK)
        return -1;
    int n = PQntuples(res);
    for (int i = 0; i < n && !atomic_load(&S.stop); i++) {
        const char *id = PQgetvalue(res, i, 0), *channel = PQgetvalue(res, i, 1);
        const char *event = PQgetvalue(res, i, 5), *payload = PQgetvalue(res, i, 6);
        int attempts = atoi(PQgetvalue(res, i, 7));
        char err[512] = "";
        long status = 0;
        long long t0 = mono_ms();
        int rc;
        if (!strcmp(channel, "webhook")) {
            char *body = webhook_body(id, event, PQgetvalue(res, i, 8), payload);
            rc = body ? webhook_post(PQgetvalue(res, i, 2), PQgetvalue(res, i, 3), id, event,
                                     body, &status, err, sizeof err)
                      : -1;
            if (!body)
                snprintf(err, sizeof err, "cannot build the body");
            free(body);
        } else {
            rc = deliver_mail(PQgetvalue(res, i, 4), event, payload, err, sizeof err);
        }
        char ok[8], st[16], dur[24], max[16], wait[24];
        snprintf(ok, sizeof ok, "%s", rc == 0 ? "true" : "false");
        snprintf(st, sizeof st, "%ld", status);
        snprintf(dur, sizeof dur, "%lld", mono_ms() - t0);
        snprintf(max, sizeof max, "%u", S.cfg->max_attempts);
        snprintf(wait, sizeof wait, "%lld", outbox_backoff_ms(S.cfg, attempts + 1));
        PGresult *r2;
        const char *p[] = {id, ok, st, err, dur, max, wait};
        if (db_exec(db, &q_record, &r2, p) != DB_OK) {
            /* the outcome is not recorded: this notice may be sent again */
            log_msg("outbox: notice %s: cannot record the attempt: %s", id,
                    db_last_error(db));
            PQclear(res);
            return -1;
        }
        if (PQntuples(r2) == 1 && !strcmp(PQgetvalue(r2, 0, 0), "dead"))
            log_msg("outbox: notice %s (%s %s) is dead after %d attempts: %s", id, channel,
                    event, attempts + 1, err);
        PQclear(r2);
    }
    PQclear(res);
    return n;
}

static void nap(int ms)
{
    for (int t = 0; t < ms && !atomic_load(&S.stop); t += 100)
        usleep(100000);
}

static void *run(void *arg)
{
    (void)arg;
    struct db *db = db_thread();
    PGconn *locked_on = NULL;
    long long next_scan = 0;
    while (!atomic_load(&S.stop)) {
        alerts_watch_database(S.cfg, db);
        PGconn *conn = db_conn(db);
        if (!conn || conn != locked_on) {
            locked_on = NULL;
            PGresult *res;
            if (db_exec(db, &q_lock, &res, NULL) == DB_OK) {
                if (PQgetvalue(res, 0, 0)[0] == 't')
                    locked_on = db_conn(db);
                PQclear(res);
            }
        }
        if (!locked_on) {
            nap(1000); /* another node sends, or the database is down */
            continue;
        }
        if (mono_ms() >= next_scan) {
            alerts_scan(S.cfg, db);
            next_scan = mono_ms() + (long long)S.cfg->scan_seconds * 1000;
        }
        int n = deliver_due(db);
        if (n < BATCH)
            nap(n < 0 ? 1000 : 300);
    }
    db_close(db);
    return NULL;
}

int outbox_start(const struct config *cfg)
{
    S.cfg = cfg;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (mail_configured(cfg))
        log_msg("notify: e-mail through %s as %s%s%s", cfg->smtp_url, cfg->mail_from,
                cfg->operator_email ? "; operator alerts to " : "; no operator_email",
                cfg->operator_email ? cfg->operator_email : "");
    else
        log_msg("notify: no SMTP configured ([notify] smtp_url, from): no e-mail is sent");
    atomic_store(&S.stop, false);
    if (pthread_create(&S.thread, NULL, run, NULL))
        return -1;
    S.running = true;
    return 0;
}

void outbox_stop(void)
{
    if (!S.running)
        return;
    atomic_store(&S.stop, true);
    pthread_join(S.thread, NULL);
    S.running = false;
    curl_global_cleanup();
}

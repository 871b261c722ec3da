#include "notify/alerts.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit/audit.h"
#include "ca/service.h"
#include "config.h"
#include "db/db.h"
#include "metrics/metrics.h"
#include "notify/mail.h"
#include "ca/signer_pool.h"
#include "util/log.h"

#define DOWN_AFTER_S 60

DB_STMT(q_expiry, 2,
        "INSERT INTO outbox (channel, event, order_key, recipients, payload, dedupe_key) "
        "SELECT 'email', 'certificate.expiring', c.serial, "
        "  ARRAY(SELECT e ->> 'email' FROM jsonb_array_elements(m.contacts) e "
        "        WHERE coalesce(e ->> 'email', '') <> ''), "
        "  jsonb_build_object('serial', c.serial, 'uris', to_jsonb(c.uris), "
        "    'not_after', " SQL_TIME("c.not_after") ", 'member', m.name, "
        "    'days', t.d, 'ca', c.ca_id, 'profile', c.profile), "
        "  'expiry:' || c.serial || ':' || t.d "
        "FROM certificates c JOIN members m ON m.id = c.member_id "
        "CROSS JOIN LATERAL (SELECT min(x) AS d FROM unnest($1::int[]) x "
        "  WHERE c.not_after <= now() + x * interval '1 day') t "
        "WHERE c.status = 'valid' AND c.not_after > now() "
        "  AND c.not_after <= now() + $2::int * interval '1 day' AND t.d IS NOT NULL "
        "  AND m.status = 'active' "
        "  AND EXISTS (SELECT 1 FROM jsonb_array_elements(m.contacts) e "
        "              WHERE coalesce(e ->> 'email', '') <> '') "
        "  AND NOT EXISTS (SELECT 1 FROM certificates r WHERE r.renewed_from = c.serial "
        "                  AND r.status = 'valid') "
        "ORDER BY c.not_after, c.serial "
        "ON CONFLICT (dedupe_key) DO NOTHING");

/* operator alerts: $1 the operator's address */
#define ALERT_INSERT \
    "INSERT INTO outbox (channel, event, order_key, recipients, payload, dedupe_key) "
DB_STMT(q_alert_crl, 2,
        ALERT_INSERT
        "SELECT 'email', 'operator.alert', 'operator', ARRAY[$1], "
        "  jsonb_build_object('subject', 'CRL of CA ' || l.ca_id || ' is not being refreshed', "
        "    'detail', 'CRL ' || l.crl_number || ' of CA ' || l.ca_id || ' was made at ' || "
        "    " SQL_TIME("l.this_update") " || ' and its nextUpdate is ' || "
        "    " SQL_TIME("l.next_update") " || '; no newer CRL was made. Relying parties "
        "reject every member once nextUpdate passes. Check the signer and the CRL worker "
        "in the serve logs.'), "
        "  'alert:crl:' || l.ca_id || ':' || l.crl_number "
        "FROM (SELECT DISTINCT ON (ca_id) ca_id, crl_number, this_update, next_update "
        "      FROM crls ORDER BY ca_id, crl_number DESC) l "
        "WHERE l.this_update < now() - ($2::int + 1) * interval '1 hour' "
        "   OR l.next_update < now() + interval '1 hour' "
        "ON CONFLICT (dedupe_key) DO NOTHING");
DB_STMT(q_alert_ca, 1,
        ALERT_INSERT
        "SELECT 'email', 'operator.alert', 'operator', ARRAY[$1], "
        "  jsonb_build_object('subject', 'CA certificate ' || c.id || ' expires within ' || "
        "    w.d || ' days', 'detail', 'The certificate of CA ' || c.id || ' (' || c.subject || "
        "    ') expires at ' || " SQL_TIME("c.not_after") " || '. Every certificate under it "
        "stops verifying then: plan its successor now.'), "
        "  'alert:ca:' || c.id || ':' || w.d "
        "FROM cas c CROSS JOIN LATERAL (SELECT min(x) AS d FROM unnest('{90,30}'::int[]) x "
        "  WHERE c.not_after <= now() + x * interval '1 day') w "
        "WHERE w.d IS NOT NULL "
        "ON CONFLICT (dedupe_key) DO NOTHING");
DB_STMT(q_alert, 4,
        ALERT_INSERT
        "VALUES ('email', 'operator.alert', 'operator', ARRAY[$1], "
        "  jsonb_build_object('subject', $2::text, 'detail', $3::text), $4) "
        "ON CONFLICT (dedupe_key) DO NOTHING");

static bool operator_mail(const struct config *cfg)
{
    return mail_configured(cfg) && cfg->operator_email && *cfg->operator_email;
}

static void queue_alert(const struct config *cfg, struct db *db, const char *subject,
                        const char *detail, const char *key)
{
    if (!operator_mail(cfg))
        return;
    const char *p[] = {cfg->operator_email, subject, detail, key};
    if (db_exec(db, &q_alert, NULL, p) != DB_OK)
        log_msg("notify: cannot queue the alert \"%s\": %s", subject, db_last_error(db));
}

void alerts_scan(const struct config *cfg, struct db *db)
{
    if (!mail_configured(cfg))
        return;
    unsigned days[16];
    int n = notify_days_parse(cfg->expiry_days, days, 16);
    if (n > 0) {
        char arr[16 * 6 + 4] = "{", max[8];
        for (int i = 0; i < n; i++)
            snprintf(arr + strlen(arr), sizeof arr - strlen(arr), "%s%u", i ? "," : "",
                     days[i]);
        strcat(arr, "}");
        snprintf(max, sizeof max, "%u", days[0]);
        if (db_exec(db, &q_expiry, NULL, (const char *[]){arr, max}) != DB_OK)
            log_msg("notify: expiry scan failed: %s", db_last_error(db));
    }
    if (!operator_mail(cfg))
        return;
    char refresh[16];
    snprintf(refresh, sizeof refresh, "%u", cfg->crl_refresh_hours);
    db_exec(db, &q_alert_crl, NULL, (const char *[]){cfg->operator_email, refresh});
    db_exec(db, &q_alert_ca, NULL, (const char *[]){cfg->operator_email});
    struct audit_verdict v;
    if (audit_verify(db, &v) == 0 && v.broken_seq) {
        char subject[128], detail[512], key[64];
        snprintf(subject, sizeof subject, "The audit chain fails verification at event %s",
                 v.broken_id);
        snprintf(detail, sizeof detail,
                 "troth audit verify: the link at chain position %ld (event %s) is broken: "
                 "%s. Someone or something changed the audit log; keep a copy of the "
                 "database as it is and investigate.",
                 v.broken_seq, v.broken_id, v.reason);
        snprintf(key, sizeof key, "alert:audit:%ld", v.broken_seq);
        queue_alert(cfg, db, subject, detail, key);
    }
}

static struct {
    long long signer_down_since; /* unix time, 0 while up */
    bool signer_alerted, db_alerted;
} W;

void alerts_watch_database(const struct config *cfg, struct db *db)
{
    if (!operator_mail(cfg))
        return;
    long long now = (long long)time(NULL);
    struct signer_pool *pool = ca_signer();
    if (pool && signer_pool_alive(pool) == 0) {
        if (!W.signer_down_since)
            W.signer_down_since = now;
        if (!W.signer_alerted && now - W.signer_down_since > DOWN_AFTER_S) {
            char host[128] = "", key[200], detail[400];
            gethostname(host, sizeof host - 1);
            snprintf(key, sizeof key, "alert:signer:%s:%lld", host, W.signer_down_since);
            snprintf(detail, sizeof detail,
                     "No signer worker of troth serve on %s has answered since %lld (unix "
                     "time): no certificate and no CRL can be signed there.",
                     host, W.signer_down_since);
            queue_alert(cfg, db, "No signer worker is running", detail, key);
            W.signer_alerted = true;
        }
    } else {
        W.signer_down_since = 0;
        W.signer_alerted = false;
    }
    struct metrics_db_state st;
    metrics_db_state(&st);
    if (st.up) {
        W.db_alerted = false;
    } else if (!W.db_alerted && st.down_since && now - st.down_since > DOWN_AFTER_S) {
        /* the outbox lives in the database: this one goes out directly,
         * from every node that sees it, and is retried each round */
        char detail[512], err[256];
        snprintf(detail, sizeof detail,
                 "troth serve cannot reach PostgreSQL since %lld (unix time): no "
                 "certificate can be issued or revoked, and CRLs are not refreshed.",
                 st.down_since);
        json_t *d = json_pack("{s:s, s:s}", "subject", "The database is down", "detail",
                              detail);
        struct alert_text t = {0};
        const char *to[] = {cfg->operator_email};
        if (d && alerts_render(cfg, "operator.alert", d, &t) == 0) {
            struct mail m = {to, 1, t.subject, t.text, t.html};
            if (mail_send(cfg, &m, err, sizeof err) == 0)
                W.db_alerted = true;
            else
                log_msg("notify: database-down alert not sent: %s", err);
        }
        alert_text_free(&t);
        json_decref(d);
    }
}

void alert_text_free(struct alert_text *t)
{
    free(t->subject);
    free(t->text);
    free(t->html);
    memset(t, 0, sizeof *t);
}

static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static char *fmt(const char *f, ...)
{
    va_list ap;
    va_start(ap, f);
    char *s = NULL;
    if (vasprintf(&s, f, ap) < 0)
        s = NULL;
    va_end(ap);
    return s;
}

static const char *str(json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

static void ui_base(const struct config *cfg, char *out, size_t len)
{
    if (cfg->ui_url)
        snprintf(out, len, "%s", cfg->ui_url);
    else
        snprintf(out, len, "%s://%s", cfg->tls_cert ? "https" : "http", cfg->admin_listen);
}

int alerts_render(const struct config *cfg, const char *event, json_t *data,
                  struct alert_text *out)
{
    memset(out, 0, sizeof *out);
    if (!strcmp(event, "certificate.expiring")) {
        const char *serial = str(data, "serial"), *na = str(data, "not_after");
        long long days = (long long)json_integer_value(json_object_get(data, "days"));
        char base[512], uris[2048] = "";
        ui_base(cfg, base, sizeof base);
        json_t *u = json_object_get(data, "uris");
        for (size_t i = 0; i < json_array_size(u); i++)
            snprintf(uris + strlen(uris), sizeof uris - strlen(uris), "  %s\n",
                     json_string_value(json_array_get(u, i)));
        char *link = fmt("%s/#/certificates/%s", base, serial);
        char *e_uris = mail_html_escape(uris), *e_member = mail_html_escape(str(data, "member"));
        char *e_link = link ? mail_html_escape(link) : NULL;
        out->subject = fmt("Certificate %s expires within %lld day%s (%s)", serial, days,
                           days == 1 ? "" : "s", na);
        out->text = fmt("The UDAP certificate of %s with serial %s expires at %s (within "
                        "%lld day%s).\n\nURIs:\n%s\nRenew it before then, or its "
                        "registrations stop working:\n%s\n\n-- Troth, %s\n",
                        str(data, "member"), serial, na, days, days == 1 ? "" : "s", uris,
                        link ? link : "", cfg->community_name ? cfg->community_name : "");
        out->html = fmt("<p>The UDAP certificate of %s with serial <code>%s</code> expires "
                        "at <b>%s</b>.</p><pre>%s</pre><p><a href=\"%s\">Renew it</a>.</p>",
                        e_member ? e_member : "", serial, na, e_uris ? e_uris : "",
                        e_link ? e_link : "");
        free(link);
        free(e_uris);
        free(e_member);
        free(e_link);
    } else if (!strcmp(event, "invitation.resent")) {
        char *e_member = mail_html_escape(str(data, "member"));
        char *e_user = mail_html_escape(str(data, "username"));
        out->subject = fmt("Your invitation to %s was renewed", str(data, "member"));
        out->text = fmt("Your invitation to join %s as the user %s was renewed: it is valid "
                        "until %s. The link sent before no longer works; the operator who "
                        "invited you sends the new one.\n\n-- Troth, %s\n",
                        str(data, "member"), str(data, "username"), str(data, "expires_at"),
                        cfg->community_name ? cfg->community_name : "");
        out->html = fmt("<p>Your invitation to join %s as the user <b>%s</b> was renewed: it "
                        "is valid until %s. The link sent before no longer works; the "
                        "operator who invited you sends the new one.</p>",
                        e_member ? e_member : "", e_user ? e_user : "",
                        str(data, "expires_at"));
        free(e_member);
        free(e_user);
    } else if (!strcmp(event, "operator.alert")) {
        char *e_detail = mail_html_escape(str(data, "detail"));
        out->subject = fmt("[troth] %s", str(data, "subject"));
        out->text = fmt("%s\n\n-- Troth, %s\n", str(data, "detail"),
                        cfg->community_name ? cfg->community_name : "");
        out->html = fmt("<p>%s</p>", e_detail ? e_detail : "");
        free(e_detail);
    } else {
        return -1;
    }
    if (!out->subject || !out->text || !out->html) {
        alert_text_free(out);
        return -1;
    }
    return 0;
}

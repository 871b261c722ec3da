/* Webhook endpoints (admin): GET/POST /api/v1/webhooks, DELETE
 * /api/v1/webhooks/{id}, an endpoint's delivery log, and the outbox's
 * notices by status (GET /api/v1/notifications?status=dead). The secret is
 * shown once, in the answer to POST; deliveries are signed with it. */
#include "api/handlers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/paging.h"
#include "audit/audit.h"
#include "auth/token.h"
#include "db/row.h"
#include "http/http.h"
#include "http/json_body.h"
#include "notify/webhook.h"

static const char *const events[] = {"certificate.issued", "certificate.revoked",
                                     "certificate.held",   "certificate.released",
                                     "member.status_changed", "crl.published"};
#define NEVENTS (sizeof events / sizeof events[0])
_Static_assert(NEVENTS == WEBHOOK_EVENT_COUNT, "the route table's events limit");

/* The columns of a webhook (w = webhooks) and its notices still pending or
 * dead; db/row.h. */
#define HOOK_ROW(X, S)                                                         \
    X(HOOK_COL_ID, "w.id::text", "id", TEXT) S                                 \
    X(HOOK_COL_URL, "w.url", "url", TEXT) S                                    \
    X(HOOK_COL_EVENTS, "array_to_json(w.events)::text", "events", JSON) S      \
    X(HOOK_COL_CREATED_AT, "w.created_at", "created_at", TIME) S               \
    X(HOOK_COL_PENDING, "(SELECT count(*) FROM outbox o WHERE o.webhook_id = w.id " \
      "AND o.status = 'pending')", "pending", INT) S                           \
    X(HOOK_COL_DEAD, "(SELECT count(*) FROM outbox o WHERE o.webhook_id = w.id " \
      "AND o.status = 'dead')", "dead", INT)
enum hook_col { HOOK_ROW(ROW_ENUM, ) HOOK_COL_COUNT };
#define HOOK_COLUMNS HOOK_ROW(ROW_SQL, ", ")
static const struct row_col hook_cols[] = {HOOK_ROW(ROW_COL, )};

static json_t *hook_json(PGresult *res, int i)
{
    return row_json(hook_cols, HOOK_COL_COUNT, res, i);
}

DB_STMT(q_list, 0,
        "SELECT " HOOK_COLUMNS " FROM webhooks w WHERE w.deleted_at IS NULL ORDER BY w.id");

void h_webhooks_list(struct req *r)
{
    PGresult *res;
    enum db_rc rc = db_exec(req_db(r), &q_list, &res, NULL);
    if (rc != DB_OK) {
        reply_db_failure(r, rc);
        return;
    }
    json_t *items = json_array();
    for (int i = 0; i < PQntuples(res); i++)
        json_array_append_new(items, hook_json(res, i));
    PQclear(res);
    reply_json(r, 200, json_pack("{s:o}", "items", items));
}

DB_STMT(q_insert, 3,
        "INSERT INTO webhooks (url, events, secret) "
        "SELECT $1, ARRAY(SELECT json_array_elements_text($2::json)), $3 "
        "RETURNING id");
DB_STMT(q_get, 1, "SELECT " HOOK_COLUMNS " FROM webhooks w WHERE w.id = $1::bigint");

struct create_arg {
    struct audit_actor actor;
    const char *url;
    char *events_json;
    char secret[TOKEN_MAX + 1];
    PGresult *row;
};

static enum db_rc create_tx(struct db *db, void *arg)
{
    struct create_arg *a = arg;
    PGresult *res;
    const char *p[] = {a->url, a->events_json, a->secret};
    enum db_rc rc = db_exec(db, &q_insert, &res, p);
    if (rc != DB_OK)
        return rc;
    char id[24];
    snprintf(id, sizeof id, "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
    PQclear(a->row);
    a->row = NULL;
    if ((rc = db_exec(db, &q_get, &a->row, (const char *[]){id})) != DB_OK)
        return rc;
    return audit_write(db, &a->actor, "webhook.create", "webhook", id,
                       json_pack("{s:s, s:o}", "url", a->url, "events",
                                 json_loads(a->events_json, 0, NULL)));
}

void h_webhooks_create(struct req *r)
{
    const char *url = json_get_str(r->json, "url");
    char why[160];
    if (webhook_url_check(url, why, sizeof why)) {
        reply_problem(r, PK_INVALID_FIELD_422, "url", "url: %s", why);
        return;
    }
    json_t *ev = json_object_get(r->json, "events");
    if (json_array_size(ev) == 0) {
        reply_problem(r, PK_INVALID_FIELD, "events", "events must name at least one event");
        return;
    }
    for (size_t i = 0; i < json_array_size(ev); i++) {
        const char *e = json_string_value(json_array_get(ev, i));
        size_t k = 0;
        while (k < NEVENTS && strcmp(events[k], e))
            k++;
        if (k == NEVENTS) {
            reply_problem(r, PK_INVALID_FIELD, "events",
                          "events[%zu]: unknown event \"%.64s\"; known: certificate.issued, "
                          "certificate.revoked, certificate.held, certificate.released, "
                          "member.status_changed, crl.published",
                          i, e);
            return;
        }
        for (size_t j = 0; j < i; j++)
            if (!strcmp(json_string_value(json_array_get(ev, j)), e)) {
                reply_problem(r, PK_INVALID_FIELD, "events", "events[%zu] is given twice",
                              i);
                return;
            }
    }
    struct create_arg a = {.actor = audit_actor_of(&r->who, r->client_ip), .url = url};
    a.events_json = json_dumps(ev, JSON_COMPACT);
    token_new("whsec_", a.secret, sizeof a.secret);
    enum db_rc rc = a.events_json ? db_tx(req_db(r), DB_READ_COMMITTED, create_tx, &a)
                                  : DB_ERROR;
    free(a.events_json);
    if (rc != DB_OK) {
        PQclear(a.row);
        reply_db_failure(r, rc);
        return;
    }
    json_t *body = hook_json(a.row, 0);
    PQclear(a.row);
    json_object_set_new(body, "secret", json_string(a.secret));
    memset(a.secret, 0, sizeof a.secret);
    reply_json(r, 201, body);
}

DB_STMT(q_delete, 1,
        "UPDATE webhooks SET deleted_at = now() WHERE id = $1::bigint AND deleted_at IS NULL "
        "RETURNING url");
DB_STMT(q_cancel, 1,
        "UPDATE outbox SET status = 'cancelled', done_at = now() "
        "WHERE webhook_id = $1::bigint AND status = 'pending'");

struct delete_arg {
    struct audit_actor actor;
    const char *id;
};

static enum db_rc delete_tx(struct db *db, void *arg)
{
    struct delete_arg *a = arg;
    PGresult *res;
    enum db_rc rc = db_exec(db, &q_delete, &res, (const char *[]){a->id});
    if (rc != DB_OK)
        return rc;
    if (PQntuples(res) != 1) {
        PQclear(res);
        return DB_NOTFOUND;
    }
    json_t *d = json_pack("{s:s}", "url", PQgetvalue(res, 0, 0));
    PQclear(res);
    if ((rc = db_exec(db, &q_cancel, NULL, (const char *[]){a->id})) != DB_OK) {
        json_decref(d);
        return rc;
    }
    return audit_write(db, &a->actor, "webhook.delete", "webhook", a->id, d);
}

static const char *hook_param(struct req *r)
{
    const char *id = req_param(r, "id");
    if (!id_valid(id)) {
        reply_problem(r, PK_NOT_FOUND, NULL, "no such webhook endpoint");
        return NULL;
    }
    return id;
}

void h_webhooks_delete(struct req *r)
{
    const char *id = hook_param(r);
    if (!id)
        return;
    struct delete_arg a = {audit_actor_of(&r->who, r->client_ip), id};
    enum db_rc rc = db_tx(req_db(r), DB_READ_COMMITTED, delete_tx, &a);
    if (rc == DB_NOTFOUND)
        reply_problem(r, PK_NOT_FOUND, NULL, "no such webhook endpoint");
    else if (rc != DB_OK)
        reply_db_failure(r, rc);
    else
        reply_empty(r, 204);
}

/* ---- notices and their attempts ---- */

/* The columns of a notice (o = outbox) with the log of its attempts. */
#define NOTICE_ROW(X, S)                                                       \
    X(NOTICE_COL_ID, "o.id::text", "id", TEXT) S                               \
    X(NOTICE_COL_CHANNEL, "o.channel", "channel", TEXT) S                      \
    X(NOTICE_COL_WEBHOOK, "o.webhook_id::text", "webhook_id", TEXT) S          \
    X(NOTICE_COL_EVENT, "o.event", "event", TEXT) S                            \
    X(NOTICE_COL_STATUS, "o.status", "status", TEXT) S                         \
    X(NOTICE_COL_ATTEMPTS, "o.attempts", "attempts", INT) S                    \
    X(NOTICE_COL_LAST_ERROR, "o.last_error", "last_error", TEXT) S             \
    X(NOTICE_COL_CREATED_AT, "o.created_at", "created_at", TIME) S             \
    X(NOTICE_COL_NEXT_ATTEMPT_AT, "o.next_attempt_at", "next_attempt_at", TIME) S \
    X(NOTICE_COL_PAYLOAD, "o.payload::text", "payload", JSON) S                \
    X(NOTICE_COL_LOG, "coalesce((SELECT json_agg(json_build_object('at', "     \
      SQL_TIME("a.at") ", 'ok', a.ok, 'http_status', a.http_status, 'error', a.error, " \
      "'duration_ms', a.duration_ms) ORDER BY a.id) FROM outbox_attempts a "   \
      "WHERE a.outbox_id = o.id), '[]')::text", "log", JSON)
enum notice_col { NOTICE_ROW(ROW_ENUM, ) NOTICE_COL_COUNT };
#define NOTICE_COLUMNS NOTICE_ROW(ROW_SQL, ", ")
static const struct row_col notice_cols[] = {NOTICE_ROW(ROW_COL, )};

static json_t *notice_json(PGresult *res, int i)
{
    return row_json(notice_cols, NOTICE_COL_COUNT, res, i);
}

DB_STMT(q_hook_exists, 1, "SELECT 1 FROM webhooks WHERE id = $1::bigint");
DB_STMT(q_deliveries, 3,
        "SELECT " NOTICE_COLUMNS " FROM outbox o WHERE o.webhook_id = $1::bigint "
        "AND o.id < $3::bigint ORDER BY o.id DESC LIMIT $2::int");
DB_STMT(q_notices, 4,
        "SELECT " NOTICE_COLUMNS " FROM outbox o WHERE ($1 = '' OR o.status = $1) "
        "AND ($4 = '' OR o.channel = $4) "
        "AND o.id < $3::bigint ORDER BY o.id DESC LIMIT $2::int");

static void reply_notices(struct req *r, const struct page *pg, PGresult *res)
{
    reply_json(r, 200, page_result(pg, res, notice_json));
    PQclear(res);
}

void h_webhooks_deliveries(struct req *r)
{
    const char *id = hook_param(r);
    struct page pg;
    if (!id || page_parse(r, &pg, true))
        return;
    PGresult *res;
    enum db_rc rc = db_exec(req_db(r), &q_hook_exists, &res, (const char *[]){id});
    if (rc == DB_OK && PQntuples(res) == 0)
        rc = DB_NOTFOUND;
    PQclear(res);
    if (rc == DB_OK)
        rc = db_exec(req_db(r), &q_deliveries, &res,
                     (const char *[]){id, pg.limit_plus_one, pg.after});
    if (rc == DB_NOTFOUND)
        reply_problem(r, PK_NOT_FOUND, NULL, "no such webhook endpoint");
    else if (rc != DB_OK)
        reply_db_failure(r, rc);
    else
        reply_notices(r, &pg, res);
}

void h_notifications_list(struct req *r)
{
    struct page pg;
    if (page_parse(r, &pg, true))
        return;
    const char *status = req_query(r, "status"), *channel = req_query(r, "channel");
    if (status && strcmp(status, "pending") && strcmp(status, "sent") &&
        strcmp(status, "dead") && strcmp(status, "cancelled")) {
        reply_problem(r, PK_INVALID_FIELD, "status",
                      "status must be pending, sent, dead or cancelled");
        return;
    }
    if (channel && strcmp(channel, "webhook") && strcmp(channel, "email")) {
        reply_problem(r, PK_INVALID_FIELD, "channel", "channel must be webhook or email");
        return;
    }
    PGresult *res;
    enum db_rc rc = db_exec(req_db(r), &q_notices, &res,
                            (const char *[]){status ? status : "", pg.limit_plus_one,
                                             pg.after, channel ? channel : ""});
    if (rc != DB_OK)
        reply_db_failure(r, rc);
    else
        reply_notices(r, &pg, res);
}

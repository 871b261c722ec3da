/* The audit log for admins and auditors: GET /api/v1/audit (filters,
 * newest first, each event's object named: the member, the certificate's
 * subject and member, the user) and GET /api/v1/audit/verify (the hash
 * chain and its head, to be kept elsewhere). */
#include "api/handlers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/paging.h"
#include "audit/audit.h"
#include "db/row.h"
#include "http/http.h"

/* The columns of an event (e = audit_events), in the order shown; db/row.h.
 * at keeps its microseconds: events are ordered finer than seconds. */
#define EVENT_ROW(X, S)                                                        \
    X(EVENT_COL_ID, "e.id::text", "id", TEXT) S                                \
    X(EVENT_COL_AT, "to_char(e.at AT TIME ZONE 'UTC', "                        \
      "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')", "at", TEXT) S                    \
    X(EVENT_COL_ACTOR, "e.actor", "actor", TEXT) S                             \
    X(EVENT_COL_ACTOR_USER, "e.actor_user_id::text", "actor_user_id", TEXT) S  \
    X(EVENT_COL_ACTOR_TOKEN, "e.actor_token_id::text", "actor_token_id", TEXT) S \
    X(EVENT_COL_SOURCE_IP, "e.source_ip", "source_ip", TEXT) S                 \
    X(EVENT_COL_ACTION, "e.action", "action", TEXT) S                          \
    X(EVENT_COL_OBJECT_TYPE, "e.object_type", "object_type", TEXT) S           \
    X(EVENT_COL_OBJECT_ID, "e.object_id", "object_id", TEXT) S                 \
    X(EVENT_COL_DETAILS, "e.details::text", "details", JSON) S                 \
    X(EVENT_COL_SEALED, "e.chain_seq IS NOT NULL", "sealed", BOOL)
/* what the object is, read now (the event keeps only its id): the member,
 * the user, the certificate's subject and member, the URI's or the
 * invitation's member (joined in q_list); each only when there is one */
#define EVENT_OBJECT_ROW(X, S)                                                 \
    X(EVENT_COL_OBJ_NAME, "coalesce(m.name, u.username)", "name", OPT) S       \
    X(EVENT_COL_OBJ_MEMBER, "coalesce(m.id::text, c.member_id::text, mu.id::text)", \
      "member_id", OPT) S                                                      \
    X(EVENT_COL_OBJ_MEMBER_NAME, "coalesce(cm.name, mu.name)", "member_name", OPT) S \
    X(EVENT_COL_OBJ_SUBJECT, "c.subject", "subject", OPT)
enum event_col { EVENT_ROW(ROW_ENUM, ) EVENT_OBJECT_ROW(ROW_ENUM, ) EVENT_COL_END };
static const struct row_col event_cols[] = {EVENT_ROW(ROW_COL, )};
static const struct row_col object_cols[] = {EVENT_OBJECT_ROW(ROW_COL, )};

static json_t *event_json(PGresult *res, int i)
{
    json_t *e = row_json(event_cols, EVENT_COL_OBJ_NAME, res, i);
    json_t *obj = json_object();
    row_json_into(obj, object_cols, EVENT_COL_END - EVENT_COL_OBJ_NAME, res, i,
                  EVENT_COL_OBJ_NAME);
    json_object_set_new(e, "object", obj);
    return e;
}

/* The id in a text column as a bigint, or NULL (never a cast error). */
#define BIGINT_OF(x) "CASE WHEN " x " ~ '^[0-9]{1,18}$' THEN (" x ")::bigint END"

DB_STMT(q_list, 8,
        "SELECT " EVENT_ROW(ROW_SQL, ", ") ", " EVENT_OBJECT_ROW(ROW_SQL, ", ") " "
        "FROM audit_events e "
        "LEFT JOIN members m ON e.object_type = 'member' "
        "  AND m.id = " BIGINT_OF("e.object_id") " "
        "LEFT JOIN users u ON e.object_type = 'user' AND u.id = " BIGINT_OF("e.object_id") " "
        "LEFT JOIN certificates c ON e.object_type = 'certificate' AND c.serial = e.object_id "
        "LEFT JOIN members cm ON cm.id = c.member_id "
        "LEFT JOIN members mu ON e.object_type IN ('member_uri', 'invitation') "
        "  AND mu.id = " BIGINT_OF("e.details->>'member_id'") " "
        "WHERE e.id < $1::bigint "
        "AND ($3::text IS NULL OR e.action = $3 "
        "     OR left(e.action, length($3) + 1) = $3 || '.') "
        "AND ($4::text IS NULL OR e.actor = $4) "
        "AND ($5::text IS NULL OR e.object_type = $5) "
        "AND ($6::text IS NULL OR e.object_id = $6) "
        "AND ($7::timestamptz IS NULL OR e.at >= $7::timestamptz) "
        "AND ($8::timestamptz IS NULL OR e.at < $8::timestamptz) "
        "ORDER BY e.id DESC LIMIT $2::int");

static bool plain(const char *s)
{
    if (!s)
        return true;
    if (strlen(s) > 256)
        return false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return false;
    return true;
}

/* RFC 3339 date or date-time, checked before it reaches PostgreSQL. */
static bool time_ok(const char *s)
{
    if (!s)
        return true;
    size_t n = strlen(s);
    if (n < 10 || n > 40)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!strchr("0123456789-:T.Z+", s[i]))
            return false;
    return s[4] == '-' && s[7] == '-';
}

void h_audit_list(struct req *r)
{
    struct page pg;
    if (page_parse(r, &pg, true))
        return;
    static const char *const filters[] = {"action", "actor", "object_type",
                                          "object_id"};
    const char *p[8] = {pg.after, pg.limit_plus_one};
    for (int i = 0; i < 4; i++) {
        p[2 + i] = req_query(r, filters[i]);
        if (!plain(p[2 + i])) {
            reply_problem(r, PK_INVALID_FIELD, filters[i],
                          "%s has characters that are not allowed", filters[i]);
            return;
        }
    }
    p[6] = req_query(r, "since");
    p[7] = req_query(r, "until");
    if (!time_ok(p[6]) || !time_ok(p[7])) {
        const char *f = time_ok(p[6]) ? "until" : "since";
        reply_problem(r, PK_INVALID_FIELD, f,
                      "%s must be an RFC 3339 date or date-time", f);
        return;
    }
    PGresult *res;
    enum db_rc rc = db_exec(req_db(r), &q_list, &res, p);
    if (rc == DB_ERROR) {
        reply_problem(r, PK_INVALID_FIELD, "since",
                      "since/until must be valid RFC 3339 times");
        return;
    }
    if (rc != DB_OK) {
        reply_db_failure(r, rc);
        return;
    }
    reply_json(r, 200, page_result(&pg, res, event_json));
    PQclear(res);
}

/* The last sealed link, read before the walk so the walk covers it. */
#define HEAD_ROW(X, S)                                                         \
    X(HEAD_COL_SEQ, "chain_seq::text", "chain_seq", INT) S                     \
    X(HEAD_COL_HASH, "encode(hash, 'hex')", "hash", TEXT) S                    \
    X(HEAD_COL_EVENT, "id::text", "event_id", TEXT) S                          \
    X(HEAD_COL_AT, "to_char(at AT TIME ZONE 'UTC', "                           \
      "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')", "at", TEXT) S                      \
    X(HEAD_COL_NOW, "clock_timestamp()", "verified_at", TIME)
enum head_col { HEAD_ROW(ROW_ENUM, ) HEAD_COL_COUNT };
static const struct row_col head_cols[] = {HEAD_ROW(ROW_COL, )};
DB_STMT(q_head, 0,
        "SELECT " HEAD_ROW(ROW_SQL, ", ") " "
        "FROM (SELECT 1) one LEFT JOIN (SELECT * FROM audit_events "
        "  WHERE chain_seq IS NOT NULL ORDER BY chain_seq DESC LIMIT 1) h ON true");

void h_audit_verify(struct req *r)
{
    struct audit_verdict v;
    PGresult *head;
    if (db_exec(req_db(r), &q_head, &head, NULL) != DB_OK) {
        reply_db_unavailable(r);
        return;
    }
    if (audit_verify(req_db(r), &v) != 0) {
        PQclear(head);
        reply_db_unavailable(r);
        return;
    }
    json_t *out = json_pack("{s:b, s:I, s:I, s:s}", "intact", v.broken_seq == 0,
                            "checked", (json_int_t)v.checked, "unsealed",
                            (json_int_t)v.unsealed, "verified_at",
                            PQgetvalue(head, 0, HEAD_COL_NOW));
    /* the head as it was when the walk began: a later seal may add links the
     * walk also checked, but the hash given here is one the walk vouched for */
    if (!PQgetisnull(head, 0, HEAD_COL_SEQ) && !v.broken_seq)
        json_object_set_new(out, "head", row_json(head_cols, HEAD_COL_NOW, head, 0));
    else
        json_object_set_new(out, "head", json_null());
    PQclear(head);
    if (v.broken_seq)
        json_object_set_new(out, "first_broken",
                            json_pack("{s:s, s:I, s:s}", "event_id", v.broken_id,
                                      "chain_seq", (json_int_t)v.broken_seq,
                                      "reason", v.reason));
    reply_json(r, 200, out);
}

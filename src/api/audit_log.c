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
#include "http/http.h"

static json_t *event_json(PGresult *res, int i)
{
    json_t *details = json_loads(PQgetvalue(res, i, 8), 0, NULL);
    const char *uid = PQgetvalue(res, i, 2), *tid = PQgetvalue(res, i, 3);
    json_t *e = json_pack(
        "{s:s, s:s, s:s, s:o, s:o, s:s, s:s, s:s, s:s, s:o, s:b}", "id",
        PQgetvalue(res, i, 0), "at", PQgetvalue(res, i, 1), "actor",
        PQgetvalue(res, i, 4), "actor_user_id", *uid ? json_string(uid) : json_null(),
        "actor_token_id", *tid ? json_string(tid) : json_null(), "source_ip",
        PQgetvalue(res, i, 5), "action", PQgetvalue(res, i, 6), "object_type",
        PQgetvalue(res, i, 7), "object_id", PQgetvalue(res, i, 9), "details",
        details ? details : json_object(), "sealed", PQgetvalue(res, i, 10)[0] == 't');
    /* what the object is, read now (the event keeps only its id) */
    json_t *obj = json_object();
    static const char *const names[] = {"name", "member_id", "member_name", "subject"};
    for (int k = 0; k < 4; k++)
        if (*PQgetvalue(res, i, 11 + k))
            json_object_set_new(obj, names[k], json_string(PQgetvalue(res, i, 11 + k)));
    json_object_set_new(e, "object", obj);
    return e;
}

/* The id in a text column as a bigint, or NULL (never a cast error). */
#define BIGINT_OF(x) "CASE WHEN " x " ~ '^[0-9]{1,18}$' THEN (" x ")::bigint END"

DB_STMT(q_list, 8,
        "SELECT e.id, to_char(e.at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), "
        "coalesce(e.actor_user_id::text, ''), coalesce(e.actor_token_id::text, ''), "
        "e.actor, e.source_ip, e.action, e.object_type, e.details::text, e.object_id, "
        "e.chain_seq IS NOT NULL, "
        "coalesce(m.name, u.username, ''), "
        "coalesce(m.id::text, c.member_id::text, mu.id::text, ''), "
        "coalesce(cm.name, mu.name, ''), coalesce(c.subject, '') "
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
DB_STMT(q_head, 0,
        "SELECT chain_seq::text, encode(hash, 'hex'), id::text, "
        "to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), "
        "to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') "
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
                            PQgetvalue(head, 0, 4));
    /* the head as it was when the walk began: a later seal may add links the
     * walk also checked, but the hash given here is one the walk vouched for */
    if (!PQgetisnull(head, 0, 0) && !v.broken_seq)
        json_object_set_new(out, "head",
                            json_pack("{s:I, s:s, s:s, s:s}", "chain_seq",
                                      (json_int_t)atoll(PQgetvalue(head, 0, 0)), "hash",
                                      PQgetvalue(head, 0, 1), "event_id",
                                      PQgetvalue(head, 0, 2), "at", PQgetvalue(head, 0, 3)));
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

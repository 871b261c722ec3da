/* GET /api/v1/stats (staff, issue 14 §4): the community's true numbers,
 * counted over every row rather than one fetched page: members by status,
 * certificates by status and by profile (valid and expired apart; holds
 * apart from revocations), valid certificates expiring within 7 / 30 / 90
 * days, and the last 12 weeks (Monday 00:00 UTC) of certificates issued,
 * revoked and put on hold (revoked and held by their current status and the
 * time of it); the expiry timeline of the next 13 weeks and each CA's CRL
 * freshness (stats_parts.c). GET /api/v1/members/{id}/expiry-timeline: one
 * member's timeline, for the member's users too. */
#include "api/handlers.h"

#include <stdlib.h>
#include <string.h>

#include "api/member_access.h"
#include "api/stats_parts.h"
#include "db/db.h"
#include "member/member.h"
#include "http/http.h"

DB_STMT(q_members, 0, "SELECT status, count(*)::text FROM members GROUP BY status");
DB_STMT(q_certs, 0,
        "SELECT profile, CASE WHEN status = 'valid' AND not_after <= now() "
        "THEN 'expired' ELSE status END, count(*)::text FROM certificates "
        "GROUP BY 1, 2 ORDER BY 1, 2");
DB_STMT(q_expiring, 0,
        "SELECT count(*) FILTER (WHERE not_after <= now() + interval '7 days')::text, "
        "count(*) FILTER (WHERE not_after <= now() + interval '30 days')::text, "
        "count(*)::text FROM certificates WHERE status = 'valid' "
        "AND not_after > now() AND not_after <= now() + interval '90 days'");
DB_STMT(q_weeks, 0,
        "WITH s AS (SELECT date_trunc('week', now() AT TIME ZONE 'UTC') - interval '11 weeks' AS first), "
        "w AS (SELECT generate_series(first, first + interval '11 weeks', interval '1 week') AS wk FROM s), "
        "i AS (SELECT date_trunc('week', created_at AT TIME ZONE 'UTC') AS wk, count(*) AS n "
        "      FROM certificates, s WHERE created_at AT TIME ZONE 'UTC' >= s.first GROUP BY 1), "
        "r AS (SELECT date_trunc('week', revoked_at AT TIME ZONE 'UTC') AS wk, "
        "      count(*) FILTER (WHERE status = 'revoked') AS rv, "
        "      count(*) FILTER (WHERE status = 'on_hold') AS hd "
        "      FROM certificates, s WHERE revoked_at AT TIME ZONE 'UTC' >= s.first GROUP BY 1) "
        "SELECT to_char(w.wk, 'YYYY-MM-DD'), coalesce(i.n, 0)::text, coalesce(r.rv, 0)::text, "
        "coalesce(r.hd, 0)::text FROM w LEFT JOIN i USING (wk) LEFT JOIN r USING (wk) ORDER BY w.wk");

static json_int_t num(PGresult *res, int row, int col)
{
    return (json_int_t)atoll(PQgetvalue(res, row, col));
}

static json_t *zeros(const char *const *keys)
{
    json_t *o = json_object();
    for (; *keys; keys++)
        json_object_set_new(o, *keys, json_integer(0));
    return o;
}

static void add(json_t *o, const char *key, json_int_t n)
{
    json_t *v = json_object_get(o, key);
    json_object_set_new(o, key, json_integer((v ? json_integer_value(v) : 0) + n));
}

static const char *const member_states[] = {"pending", "active", "suspended", "terminated", NULL};
static const char *const cert_states[] = {"valid", "expired", "on_hold", "revoked", NULL};

void h_stats(struct req *r)
{
    struct db *db = req_db(r);
    PGresult *m = NULL, *c = NULL, *e = NULL, *w = NULL;
    enum db_rc rc = db_exec(db, &q_members, &m, NULL);
    if (rc == DB_OK)
        rc = db_exec(db, &q_certs, &c, NULL);
    if (rc == DB_OK)
        rc = db_exec(db, &q_expiring, &e, NULL);
    if (rc == DB_OK)
        rc = db_exec(db, &q_weeks, &w, NULL);
    json_t *timeline = NULL, *crls = NULL;
    if (rc == DB_OK)
        rc = stats_expiry_timeline(db, NULL, &timeline);
    if (rc == DB_OK)
        rc = stats_crl_freshness(db, &crls);
    if (rc != DB_OK) {
        json_decref(timeline);
        PQclear(m);
        PQclear(c);
        PQclear(e);
        PQclear(w);
        reply_db_failure(r, rc);
        return;
    }
    json_t *members = zeros(member_states);
    for (int i = 0; i < PQntuples(m); i++)
        add(members, PQgetvalue(m, i, 0), num(m, i, 1));
    json_t *certs = zeros(cert_states), *profiles = json_array(), *prof = NULL;
    json_int_t total = 0;
    for (int i = 0; i < PQntuples(c); i++) {
        const char *name = PQgetvalue(c, i, 0), *st = PQgetvalue(c, i, 1);
        json_int_t n = num(c, i, 2);
        if (!prof || strcmp(json_string_value(json_object_get(prof, "profile")), name)) {
            prof = zeros(cert_states);
            json_object_set_new(prof, "profile", json_string(name));
            json_array_append_new(profiles, prof);
        }
        add(prof, st, n);
        add(certs, st, n);
        total += n;
    }
    json_object_set_new(certs, "total", json_integer(total));
    json_t *weeks = json_array();
    for (int i = 0; i < PQntuples(w); i++)
        json_array_append_new(weeks, json_pack("{s:s, s:I, s:I, s:I}", "week",
                                               PQgetvalue(w, i, 0), "issued", num(w, i, 1),
                                               "revoked", num(w, i, 2), "held", num(w, i, 3)));
    json_t *out = json_pack("{s:o, s:o, s:o, s:{s:I, s:I, s:I}, s:o}", "members", members,
                            "certificates", certs, "by_profile", profiles, "expiring",
                            "within_7_days", num(e, 0, 0), "within_30_days", num(e, 0, 1),
                            "within_90_days", num(e, 0, 2), "weeks", weeks);
    json_object_set_new(out, "expiry_timeline", timeline);
    json_object_set_new(out, "crls", crls);
    PQclear(m);
    PQclear(c);
    PQclear(e);
    PQclear(w);
    reply_json(r, 200, out);
}

void h_member_expiry_timeline(struct req *r)
{
    const char *id = member_param(r);
    if (!id)
        return;
    struct db *db = req_db(r);
    char status[16];
    json_t *timeline = NULL;
    enum db_rc rc = member_status(db, id, status);
    if (rc == DB_NOTFOUND) {
        reply_member_not_found(r, id);
        return;
    }
    if (rc == DB_OK)
        rc = stats_expiry_timeline(db, id, &timeline);
    if (rc != DB_OK) {
        reply_db_failure(r, rc);
        return;
    }
    json_object_set_new(timeline, "member_id", json_string(id));
    reply_json(r, 200, timeline);
}

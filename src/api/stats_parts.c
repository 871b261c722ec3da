/* The expiry timeline and the CRL freshness of GET /api/v1/stats and
 * GET /api/v1/members/{id}/expiry-timeline (issue 14 §4). Every number is
 * counted by the database over every row; nothing here counts a page. */
#include "api/stats_parts.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ca/registry.h"
#include "config.h"
#include "db/row.h"

#define TIMELINE_WEEKS 13 /* 91 days: the next 90 days, by whole weeks */

/* $1 the member or NULL. One row per (week, profile, renewed), and one row
 * with an empty profile and a count of 0 for a week without certificates.
 * A week is [Monday, next Monday) in UTC, as the certificate list's
 * expires_from / expires_before filters read it. */
DB_STMT(q_timeline, 1,
        "WITH s AS (SELECT date_trunc('week', now() AT TIME ZONE 'UTC') AS first), "
        "w AS (SELECT generate_series(first, first + interval '12 weeks', interval '1 week') "
        "      AS wk FROM s), "
        "c AS (SELECT date_trunc('week', c.not_after AT TIME ZONE 'UTC') AS wk, c.profile, "
        "      EXISTS (SELECT 1 FROM certificates n WHERE n.renewed_from = c.serial "
        "              AND n.status <> 'revoked') AS renewed "
        "      FROM certificates c, s WHERE c.status = 'valid' AND c.not_after > now() "
        "      AND c.not_after < (s.first + interval '13 weeks') AT TIME ZONE 'UTC' "
        "      AND ($1::bigint IS NULL OR c.member_id = $1::bigint)) "
        "SELECT to_char(w.wk, 'YYYY-MM-DD'), coalesce(c.profile, ''), "
        "coalesce(c.renewed, false), count(c.wk)::text "
        "FROM w LEFT JOIN c USING (wk) GROUP BY w.wk, c.profile, c.renewed "
        "ORDER BY w.wk, c.profile, c.renewed");

/* The latest CRL of each CA; the latest revocation or hold in effect
 * (revoked_at is set back like thisUpdate, so the two compare on one
 * clock) and the first CRL dated at or after it: its thisUpdate minus the
 * revocation's time is the revoke-to-publish latency, to the second. */
#define CRL_FRESH_ROW(X, S)                                                              \
    X(FRESH_CA, "a.id", "ca_id", TEXT) S                                                 \
    X(FRESH_NUMBER, "l.crl_number", "crl_number", INT) S                                 \
    X(FRESH_THIS, "l.this_update", "this_update", TIME) S                                \
    X(FRESH_NEXT, "l.next_update", "next_update", TIME) S                                \
    X(FRESH_THIS_EPOCH, "extract(epoch FROM l.this_update)::bigint", "", HIDDEN) S       \
    X(FRESH_ENTRIES, "l.entries", "entries", INT) S                                      \
    X(FRESH_SIZE, "l.size", "size_bytes", INT) S                                         \
    X(FRESH_LAST_AT, "r.at", "last_revocation_at", TIME) S                               \
    X(FRESH_LAST_CRL, "p.num", "last_revocation_crl_number", INT) S                      \
    X(FRESH_LATENCY, "extract(epoch FROM p.at - r.at)::bigint",                          \
      "last_revocation_latency_seconds", INT)
enum fresh_col { CRL_FRESH_ROW(ROW_ENUM, ) FRESH_COL_COUNT };
static const struct row_col fresh_cols[] = {CRL_FRESH_ROW(ROW_COL, )};

DB_STMT(q_crls, 0,
        "SELECT " CRL_FRESH_ROW(ROW_SQL, ", ") " "
        "FROM cas a JOIN LATERAL (SELECT crl_number, this_update, next_update, entries, "
        "  octet_length(der) AS size FROM crls WHERE ca_id = a.id "
        "  ORDER BY crl_number DESC LIMIT 1) l ON true "
        "LEFT JOIN LATERAL (SELECT max(revoked_at) AS at FROM certificates c "
        "  WHERE c.ca_id = a.id AND c.status <> 'valid') r ON true "
        "LEFT JOIN LATERAL (SELECT k.this_update AS at, k.crl_number AS num FROM crls k "
        "  WHERE k.ca_id = a.id AND r.at IS NOT NULL AND k.this_update >= r.at "
        "  ORDER BY k.crl_number LIMIT 1) p ON true "
        "ORDER BY a.kind DESC, a.id");

static json_int_t num(PGresult *res, int row, int col)
{
    return (json_int_t)atoll(PQgetvalue(res, row, col));
}

static json_t *week_of(const char *day)
{
    return json_pack("{s:s, s:I, s:I, s:I, s:[]}", "week", day, "total", (json_int_t)0,
                     "renewed", (json_int_t)0, "not_renewed", (json_int_t)0, "by_profile");
}

static void bump(json_t *o, const char *key, json_int_t n)
{
    json_object_set_new(o, key, json_integer(json_integer_value(json_object_get(o, key)) + n));
}

enum db_rc stats_expiry_timeline(struct db *db, const char *member_id, json_t **out)
{
    PGresult *res;
    enum db_rc rc = db_exec(db, &q_timeline, &res, (const char *[]){member_id});
    if (rc != DB_OK)
        return rc;
    json_t *weeks = json_array(), *profiles = json_array(), *week = NULL;
    for (int i = 0; i < PQntuples(res); i++) {
        const char *day = PQgetvalue(res, i, 0), *profile = PQgetvalue(res, i, 1);
        bool renewed = PQgetvalue(res, i, 2)[0] == 't';
        json_int_t n = num(res, i, 3);
        if (!week || strcmp(json_string_value(json_object_get(week, "week")), day)) {
            week = week_of(day);
            json_array_append_new(weeks, week);
        }
        if (!*profile)
            continue;
        json_t *by = json_object_get(week, "by_profile"), *p = NULL;
        size_t j;
        json_t *v;
        json_array_foreach(by, j, v)
            if (!strcmp(json_string_value(json_object_get(v, "profile")), profile))
                p = v;
        if (!p) {
            p = json_pack("{s:s, s:I, s:I}", "profile", profile, "renewed", (json_int_t)0,
                          "not_renewed", (json_int_t)0);
            json_array_append_new(by, p);
        }
        const char *key = renewed ? "renewed" : "not_renewed";
        bump(p, key, n);
        bump(week, key, n);
        bump(week, "total", n);
        bool known = false;
        json_array_foreach(profiles, j, v)
            known = known || !strcmp(json_string_value(v), profile);
        if (!known)
            json_array_append_new(profiles, json_string(profile));
    }
    PQclear(res);
    *out = json_pack("{s:o, s:o}", "profiles", profiles, "weeks", weeks);
    return DB_OK;
}

static void fmt(time_t t, char *buf, size_t len)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

enum db_rc stats_crl_freshness(struct db *db, json_t **out)
{
    PGresult *res;
    enum db_rc rc = db_exec(db, &q_crls, &res, NULL);
    if (rc != DB_OK)
        return rc;
    const struct config *cfg = config_current();
    json_t *items = json_array();
    for (int i = 0; i < PQntuples(res); i++) {
        json_t *o = row_json(fresh_cols, FRESH_COL_COUNT, res, i);
        const struct ca_info *ca = ca_find(ca_current(), PQgetvalue(res, i, FRESH_CA));
        json_t *refresh = json_null();
        if (ca && !ca_is_offline(ca) && cfg) {
            char at[32];
            fmt((time_t)num(res, i, FRESH_THIS_EPOCH) + (time_t)cfg->crl_refresh_hours * 3600,
                at, sizeof at);
            refresh = json_string(at);
        }
        json_object_set_new(o, "refresh_at", refresh);
        json_array_append_new(items, o);
    }
    PQclear(res);
    *out = items;
    return DB_OK;
}

/* Reading certificates: GET /api/v1/certificates (filters, keyset pages),
 * GET /api/v1/certificates/{serial} as JSON, or PEM / DER by Accept, and
 * {serial}.pem, {serial}.der, {serial}.chain.pem downloads. */
#include "api/handlers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/paging.h"
#include "config.h"
#include "api/pki_reply.h"
#include "ca/cert_view.h"
#include "pki/encode.h"
#include "ca/issue.h"
#include "ca/registry.h"
#include "http/http.h"
#include "pki/encode.h"
#include "util/validate.h"

/* The filters every order shares: $1 member, $2 status, $3 profile, $4 uri,
 * $5 text, $6 days to expiry (valid, not yet expired, within that many),
 * $7 / $8 notAfter on or after / before a day (00:00 UTC; the expiry
 * timeline's weeks link here), $9 renewed (a renewal not revoked exists). */
#define CERT_FILTERS                                                              \
    "($1::bigint IS NULL OR c.member_id = $1::bigint) "                           \
    "AND ($2::text IS NULL OR CASE $2 "                                           \
    "  WHEN 'valid' THEN c.status = 'valid' AND c.not_after > now() "             \
    "  WHEN 'expired' THEN c.status = 'valid' AND c.not_after <= now() "          \
    "  ELSE c.status = $2 END) "                                                  \
    "AND ($3::text IS NULL OR c.profile = $3) "                                   \
    "AND ($4::text IS NULL OR c.uris @> ARRAY[$4::text]) "                        \
    "AND ($5::text IS NULL OR c.serial LIKE lower($5) || '%' OR c.subject ILIKE " \
    "  '%' || replace(replace(replace($5, '\\', '\\\\'), '%', '\\%'), '_', '\\_') || '%') " \
    "AND ($6::int IS NULL OR (c.status = 'valid' AND c.not_after > now() "       \
    "  AND c.not_after <= now() + make_interval(days => $6::int))) "                \
    "AND ($7::date IS NULL OR c.not_after >= $7::date::timestamp AT TIME ZONE 'UTC') " \
    "AND ($8::date IS NULL OR c.not_after < $8::date::timestamp AT TIME ZONE 'UTC') "  \
    "AND ($9::bool IS NULL OR $9::bool = EXISTS (SELECT 1 FROM certificates s "        \
    "  WHERE s.renewed_from = c.serial AND s.status <> 'revoked')) "

/* One page in one order: the key (immutable for a certificate) and the
 * serial break ties; the cursor is the last row's serial ($10), whose key is
 * read back, so the keyset stays exact in every order; $11 the limit. */
#define CERT_PAGE(key, cmp, dir)                                                  \
    "SELECT " CERT_COLUMNS_LIST " FROM certificates c WHERE " CERT_FILTERS        \
    "AND ($10::text IS NULL OR (c." key ", c.serial) " cmp                        \
    "  (SELECT k." key ", k.serial FROM certificates k WHERE k.serial = $10)) "   \
    "ORDER BY c." key " " dir ", c.serial " dir " LIMIT $11::int"

DB_STMT(q_created_desc, 11, CERT_PAGE("created_at", "<", "DESC"));
DB_STMT(q_created_asc, 11, CERT_PAGE("created_at", ">", "ASC"));
DB_STMT(q_not_after_asc, 11, CERT_PAGE("not_after", ">", "ASC"));
DB_STMT(q_not_after_desc, 11, CERT_PAGE("not_after", "<", "DESC"));
DB_STMT(q_subject_asc, 11, CERT_PAGE("subject", ">", "ASC"));
DB_STMT(q_subject_desc, 11, CERT_PAGE("subject", "<", "DESC"));
/* The total is exact up to TOTAL_CAP and says "at least" beyond: an exact
 * count of the 80,000 certificates of a million that expire within 30 days
 * took 246 ms (p95, scripts/bench target 4) where the page takes 3 ms. */
#define TOTAL_CAP 1000
#define STR_(x) #x
#define STR(x) STR_(x)
DB_STMT(q_total, 9, "SELECT count(*)::text FROM (SELECT 1 FROM certificates c WHERE "
        CERT_FILTERS "LIMIT " STR(TOTAL_CAP) " + 1) capped");

/* sort values, their statements; the default: newest first, or soonest
 * to expire when expiring_within_days is given */
static const struct {
    const char *name;
    struct db_stmt *stmt;
} sorts[] = {
    {"-created", &q_created_desc}, {"created", &q_created_asc},
    {"not_after", &q_not_after_asc}, {"-not_after", &q_not_after_desc},
    {"subject", &q_subject_asc}, {"-subject", &q_subject_desc},
};

static bool one_of(const char *s, const char *const *set, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(s, set[i]))
            return true;
    return false;
}

/* A [profile NAME] name; certificates of a profile since removed from
 * troth.conf stay listable by it. */
static bool profile_name_valid(const char *s)
{
    size_t n = strlen(s);
    bool ok = n >= 1 && n <= PROFILE_NAME_MAX && s[0] >= 'a' && s[0] <= 'z';
    for (size_t i = 0; ok && i < n; i++)
        ok = (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-';
    return ok;
}

/* A calendar day, YYYY-MM-DD, years 1970 to 9999, that exists (timegm
 * round trip), so the database never sees a date it refuses. */
static bool day_valid(const char *s)
{
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return false;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return false;
    struct tm tm = {.tm_year = atoi(s) - 1900, .tm_mon = atoi(s + 5) - 1,
                    .tm_mday = atoi(s + 8), .tm_hour = 12};
    if (tm.tm_year < 70 || tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1)
        return false;
    int y = tm.tm_year, m = tm.tm_mon, d = tm.tm_mday;
    time_t t = timegm(&tm);
    struct tm back;
    gmtime_r(&t, &back);
    return back.tm_year == y && back.tm_mon == m && back.tm_mday == d;
}

void h_certificates_list(struct req *r)
{
    const char *member = req_only_member(r) ? req_only_member(r) : req_query(r, "member_id");
    const char *status = req_query(r, "status"), *profile = req_query(r, "profile");
    const char *uri = req_query(r, "uri"), *q = req_query(r, "q");
    const char *days = req_query(r, "expiring_within_days");
    const char *from = req_query(r, "expires_from"), *before = req_query(r, "expires_before");
    const char *renewed = req_query(r, "renewed");
    const char *limit = req_query(r, "limit"), *cursor = req_query(r, "cursor");
    static const char *const statuses[] = {"valid", "expired", "revoked", "on_hold"};
    const char *bad = NULL, *why = NULL;
    if (member && !digits_valid(member, 18))
        bad = "member_id", why = "member_id must be an id";
    else if (status && !one_of(status, statuses, 4))
        bad = "status", why = "status must be valid, expired, revoked or on_hold";
    else if (profile && !profile_name_valid(profile))
        bad = "profile", why = "profile must be a profile name (a-z, 0-9 and '-', at most "
                               "32; see GET /api/v1/profiles)";
    else if (uri && (strlen(uri) > 2048 || !*uri))
        bad = "uri", why = "uri must be 1 to 2048 bytes";
    else if (q && (strlen(q) > 256 || !*q))
        bad = "q", why = "q must be 1 to 256 bytes";
    else if (uri && !utf8_valid(uri))
        bad = "uri", why = "uri is not valid UTF-8";
    else if (q && !utf8_valid(q))
        bad = "q", why = "q is not valid UTF-8";
    else if (days && (!digits_valid(days, 4) || atoi(days) < 1 || atoi(days) > 3650))
        bad = "expiring_within_days", why = "expiring_within_days must be 1 to 3650";
    else if (from && !day_valid(from))
        bad = "expires_from", why = "expires_from must be a date, YYYY-MM-DD";
    else if (before && !day_valid(before))
        bad = "expires_before", why = "expires_before must be a date, YYYY-MM-DD";
    else if (renewed && strcmp(renewed, "true") && strcmp(renewed, "false"))
        bad = "renewed", why = "renewed must be true or false";
    else if (limit && (!digits_valid(limit, 3) || atoi(limit) < 1 || atoi(limit) > 200))
        bad = "limit", why = "limit must be a whole number from 1 to 200";
    const char *sort = req_query(r, "sort");
    struct db_stmt *stmt = days ? &q_not_after_asc : &q_created_desc;
    if (!bad && sort) {
        size_t i = 0;
        while (i < sizeof sorts / sizeof sorts[0] && strcmp(sort, sorts[i].name))
            i++;
        if (i == sizeof sorts / sizeof sorts[0])
            bad = "sort", why = "sort must be created, -created, not_after, -not_after, "
                                "subject or -subject";
        else
            stmt = sorts[i].stmt;
    }
    if (!bad && cursor && !ca_serial_valid(cursor))
        bad = "cursor", why = "cursor is not one this server gave out";
    if (bad) {
        reply_problem(r, PK_INVALID_FIELD, bad, "%s", why);
        return;
    }
    for (const unsigned char *p = (const unsigned char *)(uri ? uri : ""); *p; p++)
        if (*p < 0x20) {
            reply_problem(r, PK_INVALID_FIELD, "uri", "uri has control characters");
            return;
        }
    long n = limit ? atol(limit) : 50;
    char lim[24];
    snprintf(lim, sizeof lim, "%ld", n + 1);
    const char *p[] = {member, status, profile, uri, q, days, from, before, renewed, cursor, lim};
    PGresult *res, *total;
    enum db_rc rc = db_exec(req_db(r), stmt, &res, p);
    if (rc == DB_OK && (rc = db_exec(req_db(r), &q_total, &total, p)) != DB_OK)
        PQclear(res);
    if (rc != DB_OK) {
        reply_db_failure(r, rc);
        return;
    }
    json_int_t count = atoll(PQgetvalue(total, 0, 0));
    PQclear(total);
    bool exact = count <= TOTAL_CAP;
    int rows = PQntuples(res);
    int shown = rows > n ? (int)n : rows;
    json_t *items = json_array();
    for (int i = 0; i < shown; i++)
        json_array_append_new(items, cert_json(res, i, false));
    json_t *next = json_null();
    if (rows > n) {
        next = json_string(PQgetvalue(res, shown - 1, CERT_COL_SERIAL));
    }
    PQclear(res);
    reply_json(r, 200, json_pack("{s:o, s:o, s:I, s:b}", "items", items, "next_cursor", next,
                                 "total", exact ? count : TOTAL_CAP, "total_exact", exact));
}

enum form { AS_JSON, AS_PEM, AS_DER, AS_CHAIN };

static void get_as(struct req *r, enum form form)
{
    const char *serial = req_param(r, "serial");
    PGresult *res = req_certificate(r);
    if (!res)
        return;
    if (form == AS_JSON) {
        reply_json(r, 200, cert_json(res, 0, true));
    } else {
        if (form == AS_DER) { /* straight from the stored bytes, no PEM or JSON on the way */
            unsigned char *der = NULL;
            size_t len = 0;
            if (pki_base64_decode(PQgetvalue(res, 0, CERT_COL_DER_B64), &der, &len) == 0) {
                reply_bytes(r, 200, "application/pkix-cert", der, len);
                char disp[96];
                snprintf(disp, sizeof disp, "attachment; filename=\"%s.der\"", serial);
                reply_header(r, "Content-Disposition", disp);
            } else
                reply_problem(r, PK_INTERNAL, NULL, "cannot decode the certificate");
            free(der);
            PQclear(res);
            return;
        }
        json_t *j = cert_json(res, 0, true);
        const char *pem = json_string_value(json_object_get(j, "certificate_pem"));
        if (form == AS_PEM) {
            reply_bytes(r, 200, "application/x-pem-file", pem, strlen(pem));
        } else if (form == AS_CHAIN) {
            const char *chain = json_string_value(json_object_get(j, "chain_pem"));
            reply_bytes(r, 200, "application/x-pem-file", chain, strlen(chain));
        }
        char disp[96];
        snprintf(disp, sizeof disp, "attachment; filename=\"%s%s\"", serial,
                 form == AS_CHAIN ? ".chain.pem" : ".pem");
        reply_header(r, "Content-Disposition", disp);
        json_decref(j);
    }
    PQclear(res);
}

void h_certificates_get(struct req *r)
{
    const char *accept = req_header(r, "Accept");
    enum form f = AS_JSON;
    if (accept && strstr(accept, "application/pkix-cert"))
        f = AS_DER;
    else if (accept && (strstr(accept, "application/x-pem-file") ||
                        strstr(accept, "application/pem-certificate-chain")))
        f = strstr(accept, "chain") ? AS_CHAIN : AS_PEM;
    get_as(r, f);
}

void h_certificates_get_pem(struct req *r) { get_as(r, AS_PEM); }
void h_certificates_get_der(struct req *r) { get_as(r, AS_DER); }
void h_certificates_get_chain(struct req *r) { get_as(r, AS_CHAIN); }

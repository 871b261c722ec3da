/* Reading certificates: GET /api/v1/certificates (filters, keyset pages),
 * GET /api/v1/certificates/{serial} as JSON, or PEM / DER by Accept, and
 * {serial}.pem, {serial}.der, {serial}.chain.pem downloads. */
#include "api/handlers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/paging.h"
#include "api/pki_reply.h"
#include "ca/cert_view.h"
#include "pki/encode.h"
#include "ca/issue.h"
#include "ca/registry.h"
#include "http/http.h"
#include "pki/encode.h"
#include "util/validate.h"

/* The filters shared by both orders: $1 member, $2 status, $3 profile,
 * $4 uri, $5 text; $6/$7 the keyset cursor; $8 limit; $9 days. */
#define CERT_FILTERS                                                              \
    "($1::bigint IS NULL OR c.member_id = $1::bigint) "                           \
    "AND ($2::text IS NULL OR CASE $2 "                                           \
    "  WHEN 'valid' THEN c.status = 'valid' AND c.not_after > now() "             \
    "  WHEN 'expired' THEN c.status = 'valid' AND c.not_after <= now() "          \
    "  ELSE c.status = $2 END) "                                                  \
    "AND ($3::text IS NULL OR c.profile = $3) "                                   \
    "AND ($4::text IS NULL OR c.uris @> ARRAY[$4::text]) "                        \
    "AND ($5::text IS NULL OR c.serial LIKE lower($5) || '%' OR c.subject ILIKE " \
    "  '%' || replace(replace(replace($5, '\\', '\\\\'), '%', '\\%'), '_', '\\_') || '%') "

DB_STMT(q_recent, 9,
        "SELECT " CERT_COLUMNS_LIST ", "
        "(extract(epoch FROM c.created_at) * 1000000)::bigint::text "
        "FROM certificates c WHERE " CERT_FILTERS
        "AND ($9::int IS NULL OR true) "
        "AND ($6::bigint IS NULL OR (c.created_at, c.serial) < "
        "  (to_timestamp($6::bigint / 1000000.0), $7)) "
        "ORDER BY c.created_at DESC, c.serial DESC LIMIT $8::int");
DB_STMT(q_expiring, 9,
        "SELECT " CERT_COLUMNS_LIST ", "
        "(extract(epoch FROM c.not_after) * 1000000)::bigint::text "
        "FROM certificates c WHERE " CERT_FILTERS
        "AND c.status = 'valid' AND c.not_after > now() "
        "AND c.not_after <= now() + make_interval(days => $9::int) "
        "AND ($6::bigint IS NULL OR (c.not_after, c.serial) > "
        "  (to_timestamp($6::bigint / 1000000.0), $7)) "
        "ORDER BY c.not_after, c.serial LIMIT $8::int");

static bool one_of(const char *s, const char *const *set, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(s, set[i]))
            return true;
    return false;
}

void h_certificates_list(struct req *r)
{
    const char *member = req_only_member(r) ? req_only_member(r) : req_query(r, "member_id");
    const char *status = req_query(r, "status"), *profile = req_query(r, "profile");
    const char *uri = req_query(r, "uri"), *q = req_query(r, "q");
    const char *days = req_query(r, "expiring_within_days");
    const char *limit = req_query(r, "limit"), *cursor = req_query(r, "cursor");
    static const char *const statuses[] = {"valid", "expired", "revoked", "on_hold"};
    static const char *const profiles[] = {"udap-client", "udap-server"};
    const char *bad = NULL, *why = NULL;
    if (member && !digits_valid(member, 18))
        bad = "member_id", why = "member_id must be an id";
    else if (status && !one_of(status, statuses, 4))
        bad = "status", why = "status must be valid, expired, revoked or on_hold";
    else if (profile && !one_of(profile, profiles, 2))
        bad = "profile", why = "profile must be udap-client or udap-server";
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
    else if (limit && (!digits_valid(limit, 3) || atoi(limit) < 1 || atoi(limit) > 200))
        bad = "limit", why = "limit must be a whole number from 1 to 200";
    char ck[24] = "", cs[48] = "";
    if (!bad && cursor) {
        const char *dot = strchr(cursor, '.');
        if (!dot || dot - cursor > 20 || !ca_serial_valid(dot + 1) ||
            strspn(cursor, "0123456789") != (size_t)(dot - cursor) || dot == cursor)
            bad = "cursor", why = "cursor is not one this server gave out";
        else {
            snprintf(ck, sizeof ck, "%.*s", (int)(dot - cursor), cursor);
            snprintf(cs, sizeof cs, "%s", dot + 1);
        }
    }
    if (bad) {
        reply_problem(r, 400, "invalid-field", bad, "%s", why);
        return;
    }
    for (const unsigned char *p = (const unsigned char *)(uri ? uri : ""); *p; p++)
        if (*p < 0x20) {
            reply_problem(r, 400, "invalid-field", "uri", "uri has control characters");
            return;
        }
    long n = limit ? atol(limit) : 50;
    char lim[24];
    snprintf(lim, sizeof lim, "%ld", n + 1);
    const char *p[] = {member, status, profile, uri, q, cursor ? ck : NULL,
                       cursor ? cs : NULL, lim, days};
    PGresult *res;
    enum db_rc rc = db_exec(req_db(r), days ? &q_expiring : &q_recent, &res, p);
    if (rc != DB_OK) {
        reply_db_failure(r, rc);
        return;
    }
    int rows = PQntuples(res);
    int shown = rows > n ? (int)n : rows;
    json_t *items = json_array();
    for (int i = 0; i < shown; i++)
        json_array_append_new(items, cert_json(res, i, false));
    json_t *next = json_null();
    if (rows > n) {
        char c[80];
        snprintf(c, sizeof c, "%s.%s", PQgetvalue(res, shown - 1, CERT_COL_DER_B64 + 1),
                 PQgetvalue(res, shown - 1, CERT_COL_SERIAL));
        next = json_string(c);
    }
    PQclear(res);
    reply_json(r, 200, json_pack("{s:o, s:o}", "items", items, "next_cursor", next));
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
                reply_problem(r, 500, "internal", NULL, "cannot decode the certificate");
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

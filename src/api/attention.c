/* The staff's work queue (issue 14 §3):
 *   GET /api/v1/attention   what needs someone, by kind: each a count and the
 *                           first `limit` rows, oldest or most urgent first
 *   GET /api/v1/uris        URIs across all members by status (default
 *                           pending: the proposals awaiting approval), paged
 * Thresholds: invitations lapsing within 3 days, valid certificates expiring
 * within 30 days with no successor (a renewal not revoked), a CA's latest
 * CRL past 75% of its thisUpdate → nextUpdate period, CAs within 90 days of
 * notAfter. Dead notifications are listed for admins only (like
 * GET /api/v1/notifications). */
#include "api/handlers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/paging.h"
#include "auth/roles.h"
#include "db/db.h"
#include "http/http.h"
#include "member/member.h"
#include "util/validate.h"

/* Every section's query takes the limit as $1 and ends with count(*) OVER ()
 * (the number of rows before the LIMIT). */
DB_STMT(q_pending_uris, 1,
        "SELECT u.id::text, u.member_id::text, m.name, u.uri, u.kind, "
        SQL_TIME("u.created_at") ", count(*) OVER () "
        "FROM member_uris u JOIN members m ON m.id = u.member_id "
        "WHERE u.status = 'pending' AND m.status <> 'terminated' "
        "ORDER BY u.id LIMIT $1::int");
DB_STMT(q_pending_members, 1,
        "SELECT m.id::text, m.name, m.organization_id, " SQL_TIME("m.created_at")
        ", count(*) OVER () FROM members m WHERE m.status = 'pending' "
        "ORDER BY m.id LIMIT $1::int");
DB_STMT(q_invitations_lapsing, 1,
        "SELECT i.id::text, i.member_id::text, m.name, i.username, "
        SQL_TIME("i.expires_at") ", count(*) OVER () "
        "FROM invitations i JOIN members m ON m.id = i.member_id "
        "WHERE i.accepted_at IS NULL AND i.expires_at > now() "
        "AND i.expires_at <= now() + interval '3 days' AND m.status <> 'terminated' "
        "ORDER BY i.expires_at, i.id LIMIT $1::int");
DB_STMT(q_certificates_expiring, 1,
        "SELECT c.serial, c.member_id::text, m.name, c.subject, c.profile, "
        SQL_TIME("c.not_after") ", count(*) OVER () "
        "FROM certificates c JOIN members m ON m.id = c.member_id "
        "WHERE c.status = 'valid' AND c.not_after > now() "
        "AND c.not_after <= now() + interval '30 days' "
        "AND NOT EXISTS (SELECT 1 FROM certificates s WHERE s.renewed_from = c.serial "
        "                AND s.status <> 'revoked') "
        "ORDER BY c.not_after, c.serial LIMIT $1::int");
DB_STMT(q_dead_notifications, 1,
        "SELECT o.id::text, o.channel, o.event, o.attempts::text, o.last_error, "
        SQL_TIME("o.created_at") ", count(*) OVER () "
        "FROM outbox o WHERE o.status = 'dead' ORDER BY o.id DESC LIMIT $1::int");
DB_STMT(q_crls_due, 1,
        "SELECT ca_id, crl_number::text, " SQL_TIME("this_update") ", "
        SQL_TIME("next_update") ", count(*) OVER () FROM ("
        "  SELECT DISTINCT ON (ca_id) ca_id, crl_number, this_update, next_update "
        "  FROM crls ORDER BY ca_id, crl_number DESC) l "
        "WHERE now() >= this_update + (next_update - this_update) * 0.75 "
        "ORDER BY next_update, ca_id LIMIT $1::int");
DB_STMT(q_cas_expiring, 1,
        "SELECT id, kind, subject, " SQL_TIME("not_after") ", count(*) OVER () "
        "FROM cas WHERE not_after <= now() + interval '90 days' "
        "ORDER BY not_after, id LIMIT $1::int");

struct section {
    const char *name;
    struct db_stmt *stmt;
    const char *const *cols; /* the names of the columns before the count */
    bool admin_only;
};

static const char *const uri_cols[] = {"id", "member_id", "member_name", "uri",
                                       "kind", "created_at", NULL};
static const char *const member_cols[] = {"id", "name", "organization_id",
                                          "created_at", NULL};
static const char *const invitation_cols[] = {"id", "member_id", "member_name",
                                              "username", "expires_at", NULL};
static const char *const cert_cols[] = {"serial", "member_id", "member_name", "subject",
                                        "profile", "not_after", NULL};
static const char *const notice_cols[] = {"id", "channel", "event", "attempts",
                                          "last_error", "created_at", NULL};
static const char *const crl_cols[] = {"ca_id", "crl_number", "this_update",
                                       "next_update", NULL};
static const char *const ca_cols[] = {"id", "kind", "subject", "not_after", NULL};

static const struct section sections[] = {
    {"pending_uris", &q_pending_uris, uri_cols, false},
    {"pending_members", &q_pending_members, member_cols, false},
    {"invitations_lapsing", &q_invitations_lapsing, invitation_cols, false},
    {"certificates_expiring", &q_certificates_expiring, cert_cols, false},
    {"dead_notifications", &q_dead_notifications, notice_cols, true},
    {"crls_due", &q_crls_due, crl_cols, false},
    {"cas_expiring", &q_cas_expiring, ca_cols, false},
};

/* {count, items: [{col: value...}]} from a section's result. */
static json_t *section_json(const struct section *s, PGresult *res)
{
    int ncols = 0;
    while (s->cols[ncols])
        ncols++;
    json_t *items = json_array();
    long count = 0;
    for (int i = 0; i < PQntuples(res); i++) {
        json_t *o = json_object();
        for (int c = 0; c < ncols; c++)
            json_object_set_new(o, s->cols[c],
                                PQgetisnull(res, i, c) ? json_null()
                                                       : json_string(PQgetvalue(res, i, c)));
        json_array_append_new(items, o);
        count = atol(PQgetvalue(res, i, ncols));
    }
    return json_pack("{s:I, s:o}", "count", (json_int_t)count, "items", items);
}

/* limit: 1..200, default 20 (the rows of each section). */
static int parse_limit(struct req *r, char out[8])
{
    const char *l = req_query(r, "limit");
    if (!l) {
        snprintf(out, 8, "20");
        return 0;
    }
    if (!digits_valid(l, 3) || atol(l) < 1 || atol(l) > 200) {
        reply_problem(r, PK_INVALID_FIELD, "limit",
                      "limit must be a whole number from 1 to 200");
        return -1;
    }
    snprintf(out, 8, "%ld", atol(l));
    return 0;
}

void h_attention(struct req *r)
{
    char limit[8];
    if (parse_limit(r, limit))
        return;
    struct db *db = req_db(r);
    json_t *out = json_object();
    long total = 0;
    for (size_t i = 0; i < sizeof sections / sizeof sections[0]; i++) {
        const struct section *s = &sections[i];
        if (s->admin_only && r->who.role != ROLE_ADMIN)
            continue;
        PGresult *res;
        enum db_rc rc = db_exec(db, s->stmt, &res, (const char *[]){limit});
        if (rc != DB_OK) {
            json_decref(out);
            reply_db_failure(r, rc);
            return;
        }
        json_t *sec = section_json(s, res);
        PQclear(res);
        total += (long)json_integer_value(json_object_get(sec, "count"));
        json_object_set_new(out, s->name, sec);
    }
    json_object_set_new(out, "total", json_integer(total));
    reply_json(r, 200, out);
}

/* ---- GET /api/v1/uris ---- */

/* a URI with its member's name and status */
#define URI_MEMBER_ROW(X, S)                                                   \
    X(URI_COL_MEMBER_NAME, "m.name", "member_name", TEXT) S                    \
    X(URI_COL_MEMBER_STATUS, "m.status", "member_status", TEXT)
enum { URI_COL_BEFORE_MEMBER = URI_COL_COUNT - 1, URI_MEMBER_ROW(ROW_ENUM, ) URI_MEMBER_END };
static const struct row_col uri_member_cols[] = {URI_ROW(ROW_COL, ) URI_MEMBER_ROW(ROW_COL, )};

DB_STMT(q_uris_all, 3,
        "SELECT " URI_COLUMNS ", " URI_MEMBER_ROW(ROW_SQL, ", ") " FROM member_uris u "
        "JOIN members m ON m.id = u.member_id "
        "WHERE u.status = $1 AND u.id > $2::bigint ORDER BY u.id LIMIT $3::int");

static json_t *uri_with_member(PGresult *res, int i)
{
    return row_json(uri_member_cols, URI_MEMBER_END, res, i);
}

void h_uris_list(struct req *r)
{
    struct page pg;
    if (page_parse(r, &pg, false))
        return;
    const char *status = req_query(r, "status");
    if (!status || !*status)
        status = "pending";
    if (strcmp(status, "pending") && strcmp(status, "approved") &&
        strcmp(status, "declined")) {
        reply_problem(r, PK_INVALID_FIELD, "status",
                      "status must be pending, approved or declined");
        return;
    }
    PGresult *res;
    enum db_rc rc = db_exec(req_db(r), &q_uris_all, &res,
                            (const char *[]){status, pg.after, pg.limit_plus_one});
    if (rc != DB_OK) {
        reply_db_failure(r, rc);
        return;
    }
    reply_json(r, 200, page_result(&pg, res, uri_with_member));
    PQclear(res);
}

#include "auth/login_limits.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "db/row.h"


/* One statement: a new window starts at 1, else the count goes up; the
 * row lock serialises parallel attempts of one key. */
DB_STMT(q_take, 4,
        "INSERT INTO login_limits AS l (kind, subject, ip) VALUES ($1, $2, $3) "
        "ON CONFLICT (kind, subject, ip) DO UPDATE SET "
        "attempts = CASE WHEN l.window_start <= now() - make_interval(mins => $4::int) "
        "  THEN 1 ELSE least(l.attempts, 1000000) + 1 END, "
        "window_start = CASE WHEN l.window_start <= now() - make_interval(mins => $4::int) "
        "  THEN now() ELSE l.window_start END "
        "RETURNING attempts, greatest(1, ceil(extract(epoch FROM window_start + "
        "make_interval(mins => $4::int) - now())))::bigint");
DB_STMT(q_forget, 3, "DELETE FROM login_limits WHERE kind = $1 AND subject = $2 AND ip = $3");
DB_STMT(q_give_back, 3,
        "UPDATE login_limits SET attempts = greatest(attempts - 1, 0) "
        "WHERE kind = $1 AND subject = $2 AND ip = $3");
DB_STMT(q_limits_sweep, 1,
        "DELETE FROM login_limits WHERE window_start <= now() - make_interval(mins => $1::int)");

/* A closed tally of failed logins: its user, and what its audit event says
 * of it (db/row.h) */
#define TALLY_ROW(X, S)                                                        \
    X(TALLY_COL_USER, "username", "username", HIDDEN) S                        \
    X(TALLY_COL_FROM, "window_start", "from", TIME) S                          \
    X(TALLY_COL_TO, "last_at", "to", TIME) S                                   \
    X(TALLY_COL_COUNT, "failures", "count", INT) S                             \
    X(TALLY_COL_ADDRESSES, "array_to_json(addresses)::text", "addresses", JSON) S \
    X(TALLY_COL_REASONS, "reasons::text", "reasons", JSON)
enum tally_col { TALLY_ROW(ROW_ENUM, ) TALLY_COL_COUNT_ };
static const struct row_col tally_cols[] = {TALLY_ROW(ROW_COL, )};
#define TALLY_COLS TALLY_ROW(ROW_SQL, ", ")
DB_STMT(q_close_one, 2,
        "DELETE FROM login_failures WHERE username = $1 "
        "AND window_start <= now() - make_interval(mins => $2::int) RETURNING " TALLY_COLS);
DB_STMT(q_close_all, 1,
        "DELETE FROM login_failures WHERE username IN (SELECT username FROM "
        "login_failures WHERE window_start <= now() - make_interval(mins => $1::int) "
        "ORDER BY window_start LIMIT 500 FOR UPDATE SKIP LOCKED) RETURNING " TALLY_COLS);
DB_STMT(q_tally, 3,
        "INSERT INTO login_failures AS f (username, failures, addresses, reasons) "
        "VALUES ($1, 1, ARRAY[$2::text], jsonb_build_object($3::text, 1)) "
        "ON CONFLICT (username) DO UPDATE SET failures = f.failures + 1, last_at = now(), "
        "addresses = CASE WHEN $2::text = ANY (f.addresses) OR cardinality(f.addresses) >= 20 "
        "  THEN f.addresses ELSE f.addresses || $2::text END, "
        "reasons = jsonb_set(f.reasons, ARRAY[$3::text], "
        "  to_jsonb(coalesce((f.reasons ->> $3::text)::int, 0) + 1))");

enum db_rc login_limit_take(struct db *db, const char *kind, const char *subject,
                            const char *ip, unsigned limit, unsigned window_minutes,
                            long *wait)
{
    char w[16];
    snprintf(w, sizeof w, "%u", window_minutes);
    PGresult *res;
    enum db_rc rc = db_exec(db, &q_take, &res, (const char *[]){kind, subject, ip, w});
    if (rc != DB_OK)
        return rc;
    long attempts = atol(PQgetvalue(res, 0, 0));
    long left = atol(PQgetvalue(res, 0, 1));
    PQclear(res);
    *wait = attempts > (long)limit ? (left > 0 ? left : 1) : 0;
    return DB_OK;
}

enum db_rc login_limit_release(struct db *db, const char *kind, const char *subject,
                               const char *ip, bool forget)
{
    return db_exec(db, forget ? &q_forget : &q_give_back, NULL,
                   (const char *[]){kind, subject, ip});
}

/* One audit event per closed tally in `res`. */
static enum db_rc audit_tallies(struct db *db, PGresult *res, unsigned window_minutes)
{
    struct audit_actor anon = {NULL, NULL, "anonymous", ""};
    for (int i = 0; i < PQntuples(res); i++) {
        const char *user = PQgetvalue(res, i, TALLY_COL_USER);
        json_t *d = row_json(tally_cols, TALLY_COL_COUNT_, res, i);
        json_object_set_new(d, "window_minutes", json_integer(window_minutes));
        if (!*user)
            json_object_set_new(d, "unknown_user", json_true());
        enum db_rc rc = audit_write(db, &anon, "session.login_failed", "user", user, d);
        if (rc != DB_OK)
            return rc;
    }
    return DB_OK;
}

struct tally_arg {
    const char *username, *ip, *reason;
    char window[16];
    unsigned minutes;
    long written;
};

static enum db_rc tally_tx(struct db *db, void *arg)
{
    struct tally_arg *a = arg;
    PGresult *res;
    enum db_rc rc = db_exec(db, &q_close_one, &res, (const char *[]){a->username, a->window});
    if (rc != DB_OK)
        return rc;
    rc = audit_tallies(db, res, a->minutes);
    PQclear(res);
    if (rc != DB_OK)
        return rc;
    return db_exec(db, &q_tally, NULL, (const char *[]){a->username, a->ip, a->reason});
}

enum db_rc login_failure_record(struct db *db, const char *username, const char *ip,
                                const char *reason, unsigned window_minutes)
{
    struct tally_arg a = {username, ip, reason, "", window_minutes, 0};
    snprintf(a.window, sizeof a.window, "%u", window_minutes);
    return db_tx(db, DB_READ_COMMITTED, tally_tx, &a);
}

static enum db_rc sweep_tx(struct db *db, void *arg)
{
    struct tally_arg *a = arg;
    PGresult *res;
    enum db_rc rc = db_exec(db, &q_close_all, &res, (const char *[]){a->window});
    if (rc != DB_OK)
        return rc;
    a->written = PQntuples(res);
    rc = audit_tallies(db, res, a->minutes);
    PQclear(res);
    if (rc != DB_OK)
        return rc;
    return db_exec(db, &q_limits_sweep, NULL, (const char *[]){a->window});
}

long login_limits_sweep(struct db *db, unsigned window_minutes)
{
    struct tally_arg a = {NULL, NULL, NULL, "", window_minutes, 0};
    snprintf(a.window, sizeof a.window, "%u", window_minutes);
    return db_tx(db, DB_READ_COMMITTED, sweep_tx, &a) == DB_OK ? a.written : -1;
}

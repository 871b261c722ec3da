#include "db/db.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/clock.h"

#define MAX_STMTS 512
#define RECONNECT_BACKOFF_MS 500

struct db {
    char *url;
    PGconn *conn;
    bool prepared[MAX_STMTS];
    long long last_attempt_ms;
    char err[512];
    char sqlstate[6];
};

static char *g_url;
static _Thread_local struct db *t_db;
static atomic_int next_slot;
static pthread_key_t g_key;
static pthread_once_t g_key_once = PTHREAD_ONCE_INIT;

static void thread_exit(void *p) { db_close(p); }
static void make_key(void) { pthread_key_create(&g_key, thread_exit); }

void db_configure(const char *url)
{
    free(g_url);
    g_url = strdup(url);
}

struct db *db_open(const char *url)
{
    struct db *db = calloc(1, sizeof *db);
    if (!db)
        return NULL;
    db->url = strdup(url);
    if (!db->url) {
        free(db);
        return NULL;
    }
    db->last_attempt_ms = -RECONNECT_BACKOFF_MS;
    return db;
}

struct db *db_thread(void)
{
    if (!t_db) {
        pthread_once(&g_key_once, make_key);
        t_db = db_open(g_url ? g_url : "");
        pthread_setspecific(g_key, t_db);
    }
    return t_db;
}

void db_close(struct db *db)
{
    if (!db)
        return;
    if (db == t_db) {
        t_db = NULL;
        pthread_setspecific(g_key, NULL);
    }
    if (db->conn)
        PQfinish(db->conn);
    free(db->url);
    free(db);
}

static void ignore_notice(void *arg, const char *message)
{
    (void)arg, (void)message;
}

static void set_err(struct db *db, const char *msg, const char *state)
{
    snprintf(db->err, sizeof db->err, "%s", msg ? msg : "");
    size_t n = strlen(db->err);
    while (n && db->err[n - 1] == '\n')
        db->err[--n] = 0;
    snprintf(db->sqlstate, sizeof db->sqlstate, "%s", state ? state : "");
}

static void drop_conn(struct db *db)
{
    if (db->conn)
        PQfinish(db->conn);
    db->conn = NULL;
    memset(db->prepared, 0, sizeof db->prepared);
}

/* Connects if needed; fails fast while the server was just seen down. */
static bool ensure_conn(struct db *db)
{
    if (db->conn && PQstatus(db->conn) == CONNECTION_OK)
        return true;
    drop_conn(db);
    long long t = now_ms();
    if (t - db->last_attempt_ms < RECONNECT_BACKOFF_MS) {
        set_err(db, "database unavailable (retrying shortly)", "08006");
        return false;
    }
    db->last_attempt_ms = t;
    const char *kw[] = {"connect_timeout", "application_name", "dbname", NULL};
    const char *val[] = {"3", "troth", db->url, NULL};
    db->conn = PQconnectdbParams(kw, val, 1);
    if (!db->conn || PQstatus(db->conn) != CONNECTION_OK) {
        set_err(db, db->conn ? PQerrorMessage(db->conn) : "out of memory",
                "08006");
        drop_conn(db);
        return false;
    }
    PQsetNoticeProcessor(db->conn, ignore_notice, NULL);
    PGresult *r = PQexec(db->conn, "SET TIME ZONE 'UTC'; SET datestyle = ISO");
    PQclear(r);
    return true;
}

static bool is_conn_error(struct db *db, PGresult *res)
{
    if (!db->conn || PQstatus(db->conn) != CONNECTION_OK)
        return true;
    const char *st = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    if (!st)
        return res == NULL;
    /* class 08 connection exceptions; 57P0x admin shutdown / cannot connect */
    return strncmp(st, "08", 2) == 0 || strncmp(st, "57P", 3) == 0;
}

static enum db_rc classify(struct db *db, PGresult *res)
{
    const char *st = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    set_err(db, res ? PQresultErrorMessage(res) : PQerrorMessage(db->conn), st);
    if (is_conn_error(db, res)) {
        drop_conn(db);
        return DB_UNAVAILABLE;
    }
    if (st && (!strcmp(st, "23505") || !strcmp(st, "23P01")))
        return DB_CONFLICT;
    if (st && !strcmp(st, "23503"))
        return DB_NOTFOUND;
    return DB_ERROR;
}

static int stmt_slot(struct db_stmt *st)
{
    int s = __atomic_load_n(&st->slot, __ATOMIC_ACQUIRE);
    if (s >= 0)
        return s;
    int fresh = atomic_fetch_add(&next_slot, 1);
    int expected = -1;
    if (!__atomic_compare_exchange_n(&st->slot, &expected, fresh, false,
                                     __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
        return expected; /* another thread won; `fresh` stays unused */
    return fresh;
}

#define STMT_NAME_MAX 64 /* PostgreSQL cuts identifiers at 63 bytes */

/* "api/members.q_list": the source file under src/ without ".c", and the
 * variable, so PostgreSQL's logs name the query. Unique, as a static
 * variable name is unique in its file. */
static void stmt_name(const struct db_stmt *st, char out[STMT_NAME_MAX])
{
    const char *f = st->file;
    if (!strncmp(f, "src/", 4))
        f += 4;
    size_t n = strlen(f);
    if (n > 2 && !strcmp(f + n - 2, ".c"))
        n -= 2;
    snprintf(out, STMT_NAME_MAX, "%.*s.%s", (int)n, f, st->var);
}

static enum db_rc prepare(struct db *db, struct db_stmt *st, int slot)
{
    char name[STMT_NAME_MAX];
    stmt_name(st, name);
    PGresult *r = PQprepare(db->conn, name, st->sql, st->nparams, NULL);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        enum db_rc rc = classify(db, r);
        PQclear(r);
        return rc;
    }
    PQclear(r);
    db->prepared[slot] = true;
    return DB_OK;
}

/* Safe to run again: a SELECT, or a WITH whose parts modify nothing. */
static bool is_read_only(const struct db_stmt *st)
{
    if (strncmp(st->sql, "SELECT", 6) == 0)
        return true;
    return strncmp(st->sql, "WITH", 4) == 0 && !strstr(st->sql, "INSERT ") &&
           !strstr(st->sql, "UPDATE ") && !strstr(st->sql, "DELETE ");
}

enum db_rc db_exec_bin(struct db *db, struct db_stmt *st, PGresult **res,
                       const char *const *params, const int *lengths,
                       const int *formats, int result_binary)
{
    if (res)
        *res = NULL;
    int slot = stmt_slot(st);
    if (slot >= MAX_STMTS) {
        set_err(db, "too many prepared statements", "");
        return DB_ERROR;
    }
    bool in_tx = db->conn && PQtransactionStatus(db->conn) != PQTRANS_IDLE;
    for (int attempt = 0; attempt < 2; attempt++) {
        if (!ensure_conn(db))
            return DB_UNAVAILABLE;
        enum db_rc rc;
        if (!db->prepared[slot] && (rc = prepare(db, st, slot)) != DB_OK) {
            if (rc == DB_UNAVAILABLE && !in_tx && attempt == 0) {
                db->last_attempt_ms = -RECONNECT_BACKOFF_MS;
                continue;
            }
            return rc;
        }
        char name[STMT_NAME_MAX];
        stmt_name(st, name);
        PGresult *r = PQexecPrepared(db->conn, name, st->nparams, params,
                                     lengths, formats, result_binary);
        ExecStatusType s = PQresultStatus(r);
        if (s == PGRES_TUPLES_OK || s == PGRES_COMMAND_OK) {
            if (res)
                *res = r;
            else
                PQclear(r);
            return DB_OK;
        }
        rc = classify(db, r);
        PQclear(r);
        /* a stale connection after a server restart: retry reads once */
        if (rc == DB_UNAVAILABLE && !in_tx && attempt == 0 && is_read_only(st)) {
            db->last_attempt_ms = -RECONNECT_BACKOFF_MS;
            continue;
        }
        return rc;
    }
    return DB_UNAVAILABLE;
}

enum db_rc db_exec(struct db *db, struct db_stmt *st, PGresult **res,
                   const char *const *params)
{
    return db_exec_bin(db, st, res, params, NULL, NULL, 0);
}

static enum db_rc simple(struct db *db, const char *sql)
{
    PGresult *r = PQexec(db->conn, sql);
    ExecStatusType s = PQresultStatus(r);
    enum db_rc rc = (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK)
                        ? DB_OK
                        : classify(db, r);
    PQclear(r);
    return rc;
}

enum db_rc db_script(struct db *db, const char *sql)
{
    if (!ensure_conn(db))
        return DB_UNAVAILABLE;
    return simple(db, sql);
}

static bool retryable(const struct db *db)
{
    return !strcmp(db->sqlstate, "40001") || !strcmp(db->sqlstate, "40P01");
}

enum db_rc db_tx(struct db *db, enum db_isolation iso, db_tx_fn fn, void *arg)
{
    const char *begin = iso == DB_SERIALIZABLE ? "BEGIN ISOLATION LEVEL SERIALIZABLE"
                        : iso == DB_REPEATABLE_READ ? "BEGIN ISOLATION LEVEL REPEATABLE READ"
                        : iso == DB_READ_COMMITTED_ASYNC
                            ? "BEGIN; SET LOCAL synchronous_commit TO off" /* one round trip */
                            : "BEGIN";
    for (int attempt = 0; attempt < 8; attempt++) {
        if (!ensure_conn(db))
            return DB_UNAVAILABLE;
        set_err(db, "", "");
        enum db_rc rc = simple(db, begin);
        if (rc == DB_UNAVAILABLE && attempt == 0) {
            db->last_attempt_ms = -RECONNECT_BACKOFF_MS; /* stale: reconnect */
            continue;
        }
        if (rc != DB_OK)
            return rc;
        rc = fn(db, arg);
        if (rc == DB_OK) {
            rc = simple(db, "COMMIT");
            if (rc == DB_OK)
                return DB_OK;
        } else if (db->conn) {
            char keep_err[sizeof db->err], keep_state[sizeof db->sqlstate];
            memcpy(keep_err, db->err, sizeof keep_err);
            memcpy(keep_state, db->sqlstate, sizeof keep_state);
            simple(db, "ROLLBACK");
            memcpy(db->err, keep_err, sizeof keep_err);
            memcpy(db->sqlstate, keep_state, sizeof keep_state);
        }
        if (rc == DB_ERROR && retryable(db)) {
            struct timespec ts = {0, (1 + attempt) * 2000000L};
            nanosleep(&ts, NULL);
            continue;
        }
        return rc;
    }
    return DB_ERROR;
}

const char *db_last_error(const struct db *db) { return db->err; }
const char *db_last_sqlstate(const struct db *db) { return db->sqlstate; }

bool db_is_up(const struct db *db)
{
    return db->conn && PQstatus(db->conn) == CONNECTION_OK;
}

PGconn *db_conn(struct db *db) { return ensure_conn(db) ? db->conn : NULL; }

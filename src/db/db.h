/* libpq glue: one connection per thread, prepared statements only, a
 * three-way result, transactions that retry serialization failures, and
 * reconnection without a restart when PostgreSQL comes back. */
#ifndef TROTH_DB_H
#define TROTH_DB_H
#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>

enum db_rc {
    DB_OK = 0,
    DB_NOTFOUND,    /* no row, or a foreign key to nothing */
    DB_CONFLICT,    /* unique / exclusion violation */
    DB_UNAVAILABLE, /* no connection: answer 503 */
    DB_ERROR,       /* anything else: a bug or a refused value */
};

/* A prepared statement; declare with DB_STMT, one per query. */
struct db_stmt {
    const char *sql;
    int nparams;
    int slot; /* assigned on first use; index into the per-connection set */
    const char *file, *var; /* its name on the server: "api/members.q_list" */
};
#define DB_STMT(var, nparams_, sql_) \
    static struct db_stmt var = {sql_, nparams_, -1, __FILE__, #var}

struct db;

/* An SQL expression formatting a timestamptz column as RFC 3339 UTC. */
#define SQL_TIME(col) \
    "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

/* Sets the URL every thread connects to (call once, before threads). */
void db_configure(const char *url);

/* This thread's connection (created on first use; connects lazily). */
struct db *db_thread(void);

/* Opens a private connection (for the CLI). Returns NULL only on OOM. */
struct db *db_open(const char *url);
void db_close(struct db *db);

/* Executes a prepared statement with text parameters (NULL = SQL NULL).
 * *res (if res != NULL) receives the result on DB_OK; free with PQclear.
 * A statement that returns no row yields DB_OK with 0 tuples. */
enum db_rc db_exec(struct db *db, struct db_stmt *st, PGresult **res,
                   const char *const *params);

/* As db_exec, with lengths and formats (1 = binary) per parameter. */
enum db_rc db_exec_bin(struct db *db, struct db_stmt *st, PGresult **res,
                       const char *const *params, const int *lengths,
                       const int *formats, int result_binary);

enum db_isolation {
    DB_READ_COMMITTED = 0,
    DB_SERIALIZABLE = 1,
    DB_REPEATABLE_READ = 2, /* one snapshot for the whole transaction */
    /* READ COMMITTED whose COMMIT does not wait for the WAL to reach the
     * disk (synchronous_commit off): only for a record that a later
     * synchronous commit makes durable anyway (WAL is flushed in order, so
     * that commit flushes this one too) and whose loss in a crash before
     * it is harmless: a signature reservation, a pre-check's row locks. */
    DB_READ_COMMITTED_ASYNC = 3,
};

/* Runs fn in a transaction, retrying serialization failures and deadlocks.
 * fn's result decides commit (DB_OK) or rollback (anything else), and is
 * returned. */
typedef enum db_rc (*db_tx_fn)(struct db *db, void *arg);
enum db_rc db_tx(struct db *db, enum db_isolation iso, db_tx_fn fn, void *arg);

/* Runs a literal SQL script (migrations only; never with input). */
enum db_rc db_script(struct db *db, const char *sql);

/* The last error message of this connection (for logs, never for clients). */
const char *db_last_error(const struct db *db);

/* The SQLSTATE of the last error, or "". */
const char *db_last_sqlstate(const struct db *db);

/* True if the connection is up now (does not try to reconnect). */
bool db_is_up(const struct db *db);

/* The raw connection (for LISTEN/NOTIFY and COPY); NULL when down. */
PGconn *db_conn(struct db *db);

#endif

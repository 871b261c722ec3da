#include "db/migrate.h"

#include "db/db.h"
#include "util/embedded.h"
#include "util/hex.h"

#include <openssl/evp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define MIGRATE_LOCK_KEY "7206414867"  /* pg_advisory_lock key: "troth" */

static const char *CREATE_TABLE =
    "CREATE TABLE IF NOT EXISTS troth_migrations ("
    " version integer PRIMARY KEY,"
    " name text NOT NULL,"
    " sha256 text NOT NULL,"
    " applied_at timestamptz NOT NULL DEFAULT now())";

DB_STMT(q_applied, 0,
        "SELECT version, name, sha256 FROM troth_migrations ORDER BY version");
DB_STMT(q_record, 3,
        "INSERT INTO troth_migrations (version, name, sha256) VALUES ($1, $2, $3)");
DB_STMT(q_lock, 0, "SELECT pg_advisory_lock(" MIGRATE_LOCK_KEY ")");
DB_STMT(q_unlock, 0, "SELECT pg_advisory_unlock(" MIGRATE_LOCK_KEY ")");
DB_STMT(q_has_table, 0, "SELECT to_regclass('troth_migrations') IS NOT NULL");

static int version_of(const char *name)
{
    /* NNNN_name.sql */
    if (strlen(name) < 10)
        return -1;
    int v = 0;
    for (int i = 0; i < 4; i++) {
        if (name[i] < '0' || name[i] > '9')
            return -1;
        v = v * 10 + (name[i] - '0');
    }
    return name[4] == '_' ? v : -1;
}

static void sha256_hex(const char *data, size_t len, char out[65])
{
    unsigned char md[32];
    unsigned int mdlen = 0;
    EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
    hex_encode(md, sizeof md, out);
}

/* The embedded files' checksums, computed once (readyz compares on every
 * probe). */
static char (*embedded_sums)[65];
static pthread_once_t sums_once = PTHREAD_ONCE_INIT;

static void compute_sums(void)
{
    embedded_sums = calloc(embedded_migrations_count ? embedded_migrations_count : 1,
                           sizeof *embedded_sums);
    for (unsigned i = 0; embedded_sums && i < embedded_migrations_count; i++)
        sha256_hex(embedded_migrations[i].data, embedded_migrations[i].len,
                   embedded_sums[i]);
}

static const char *embedded_sum(unsigned i)
{
    pthread_once(&sums_once, compute_sums);
    return embedded_sums ? embedded_sums[i] : "";
}

/* Compares the applied rows with the embedded files. Returns the number of
 * applied migrations that match, or -1 with err filled on a mismatch. */
static int compare(PGresult *res, char *err, size_t errlen)
{
    int n = PQntuples(res);
    for (int i = 0; i < n; i++) {
        int v = atoi(PQgetvalue(res, i, 0));
        const char *name = PQgetvalue(res, i, 1), *sum = PQgetvalue(res, i, 2);
        if ((unsigned)i >= embedded_migrations_count ||
            version_of(embedded_migrations[i].name) != v) {
            snprintf(err, errlen,
                     "the database has migration %s, which this build does not "
                     "know (is the binary older than the database?)",
                     name);
            return -1;
        }
        const char *want = embedded_sum((unsigned)i);
        if (strcmp(want, sum) != 0) {
            snprintf(err, errlen,
                     "migration %s was changed after it was applied "
                     "(checksum %.12s… in the database, %.12s… in this build)",
                     name, sum, want);
            return -1;
        }
    }
    return n;
}

int migrate_check(struct db *db, char *err, size_t errlen)
{
    PGresult *res;
    if (db_exec(db, &q_has_table, &res, NULL) != DB_OK) {
        snprintf(err, errlen, "database unavailable: %s", db_last_error(db));
        return -1;
    }
    bool has = PQgetvalue(res, 0, 0)[0] == 't';
    PQclear(res);
    int applied = 0;
    if (has) {
        if (db_exec(db, &q_applied, &res, NULL) != DB_OK) {
            snprintf(err, errlen, "database unavailable: %s", db_last_error(db));
            return -1;
        }
        applied = compare(res, err, errlen);
        PQclear(res);
        if (applied < 0)
            return 1;
    }
    if ((unsigned)applied < embedded_migrations_count) {
        snprintf(err, errlen,
                 "%u migration(s) pending, first %s: run `troth migrate`",
                 embedded_migrations_count - (unsigned)applied,
                 embedded_migrations[applied].name);
        return 1;
    }
    return 0;
}

static int check_names(char *err, size_t errlen)
{
    int prev = -1;
    for (unsigned i = 0; i < embedded_migrations_count; i++) {
        int v = version_of(embedded_migrations[i].name);
        if (v <= prev) {
            snprintf(err, errlen, "migration %s: bad or repeated number",
                     embedded_migrations[i].name);
            return -1;
        }
        prev = v;
    }
    return 0;
}

int migrate_apply(struct db *db, FILE *out, char *err, size_t errlen)
{
    if (check_names(err, errlen))
        return -1;
    if (db_exec(db, &q_lock, NULL, NULL) != DB_OK) {
        snprintf(err, errlen, "cannot lock: %s", db_last_error(db));
        return -1;
    }
    int rc = -1;
    PGresult *res = NULL;
    if (db_script(db, CREATE_TABLE) != DB_OK ||
        db_exec(db, &q_applied, &res, NULL) != DB_OK) {
        snprintf(err, errlen, "%s", db_last_error(db));
        goto out;
    }
    int applied = compare(res, err, errlen);
    PQclear(res);
    if (applied < 0)
        goto out;
    for (unsigned i = (unsigned)applied; i < embedded_migrations_count; i++) {
        const struct embedded_file *m = &embedded_migrations[i];
        char ver[16];
        snprintf(ver, sizeof ver, "%d", version_of(m->name));
        const char *p[] = {ver, m->name, embedded_sum(i)};
        if (db_script(db, "BEGIN") != DB_OK || db_script(db, m->data) != DB_OK ||
            db_exec(db, &q_record, NULL, p) != DB_OK) {
            snprintf(err, errlen, "migration %s failed: %s", m->name,
                     db_last_error(db));
            db_script(db, "ROLLBACK");
            goto out;
        }
        if (db_script(db, "COMMIT") != DB_OK) {
            snprintf(err, errlen, "migration %s: commit failed: %s", m->name,
                     db_last_error(db));
            goto out;
        }
        if (out)
            fprintf(out, "applied %s\n", m->name);
    }
    rc = 0;
out:
    db_exec(db, &q_unlock, NULL, NULL);
    return rc;
}

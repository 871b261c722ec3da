#include "ca/crl_gen.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit/audit.h"
#include "config.h"
#include "ca/publish.h"
#include "ca/registry.h"
#include "ca/signatures.h"
#include "pki/crl.h"
#include "pki/encode.h"
#include "util/clock.h"
#include "util/hex.h"

DB_STMT(q_lock, 1, "SELECT pg_try_advisory_lock(hashtext('troth.crl.' || $1))");
DB_STMT(q_unlock, 1, "SELECT pg_advisory_unlock(hashtext('troth.crl.' || $1))");
/* The CA's generation, the next CRL number, the database clock (the one
 * revocation times come from, truncated to the second) and the newest CRL's
 * thisUpdate. */
DB_STMT(q_state, 1,
        "SELECT c.crl_generation, greatest(coalesce(max(l.crl_number), 0), "
        "(SELECT coalesce(max(s.crl_number), 0) FROM signatures s "
        "  WHERE s.ca_id = c.id AND s.kind = 'crl')) + 1, "
        "floor(extract(epoch FROM clock_timestamp()))::bigint, "
        "coalesce(max(extract(epoch FROM l.this_update)), 0)::bigint "
        "FROM cas c LEFT JOIN crls l ON l.ca_id = c.id WHERE c.id = $1 "
        "GROUP BY c.id, c.crl_generation");
/* The entries stream in one COPY inside the snapshot, so PostgreSQL reads
 * the index while this thread encodes (a keyset query per chunk left one
 * side idle at a time). COPY takes no parameters: the CA id is passed in a
 * transaction-local setting. */
DB_STMT(q_entries_ca, 1, "SELECT set_config('troth.crl_ca', $1, true)");
/* date_part (double precision), not extract (numeric since PostgreSQL 14):
 * at a million entries the COPY took 2.27 s with extract, 1.46 s with it. */
static const char copy_entries[] =
    "COPY (SELECT serial, floor(date_part('epoch', revoked_at))::bigint, revocation_reason "
    "FROM certificates WHERE ca_id = current_setting('troth.crl_ca') "
    "AND status <> 'valid' AND not_after > now() ORDER BY serial) TO STDOUT";
/* The CRL, and its reservation in the signature record marked issued in
 * the same statement; no row when it is no longer 'reserved'. */
DB_STMT(q_store, 9,
        "WITH " SIG_ISSUED_CTE("$8", "$9") " INSERT INTO crls (ca_id, crl_number, this_update, next_update, entries, "
        "covers_generation, der, signature_id) SELECT $1::text, $2::bigint, "
        "to_timestamp($3::bigint), to_timestamp($4::bigint), $5::bigint, $6::bigint, "
        "$7::bytea, s.id FROM s RETURNING signature_id");
DB_STMT(q_prune, 2, "DELETE FROM crls WHERE ca_id = $1 AND crl_number < $2::bigint - 2");
DB_STMT(q_notify, 2, "SELECT pg_notify('troth_crl', $1 || ':' || $2)");

/* Streams the entries from COPY (text format: serial, epoch, reason). */
struct entry_src {
    struct db *db;
    const char *ca_id;
    PGconn *conn;
    char *line;
    bool started, done;
    long count;
    int failed;
    time_t latest; /* no entry is dated after the CRL's thisUpdate */
};

static int copy_finish(struct entry_src *s)
{
    bool ok = true;
    if (s->line)
        PQfreemem(s->line);
    s->line = NULL;
    if (s->started && !s->done) {
        char *rest;
        while (PQgetCopyData(s->conn, &rest, 0) >= 0) /* drain after an error */
            PQfreemem(rest);
        PGresult *r;
        while ((r = PQgetResult(s->conn))) {
            ok = ok && PQresultStatus(r) == PGRES_COMMAND_OK;
            PQclear(r);
        }
        s->done = true;
    }
    return ok ? 0 : -1;
}

static int next_entry(void *ctx, struct pki_crl_entry *out)
{
    struct entry_src *s = ctx;
    if (!s->started) {
        if (db_exec(s->db, &q_entries_ca, NULL, (const char *[]){s->ca_id}) != DB_OK ||
            !(s->conn = db_conn(s->db))) {
            s->failed = 1;
            return -1;
        }
        PGresult *r = PQexec(s->conn, copy_entries);
        bool ok = PQresultStatus(r) == PGRES_COPY_OUT;
        PQclear(r);
        if (!ok) {
            s->failed = 1;
            return -1;
        }
        s->started = true;
    }
    if (s->done)
        return 0;
    if (s->line)
        PQfreemem(s->line);
    s->line = NULL;
    int n = PQgetCopyData(s->conn, &s->line, 0);
    if (n == -1) { /* end of the copy */
        if (copy_finish(s) != 0) {
            s->failed = 1;
            return -1;
        }
        return 0;
    }
    if (n < 0) {
        s->failed = 1;
        return -1;
    }
    /* serial \t epoch \t reason \n (hex serials and names need no unescaping) */
    char *serial = s->line, *tab1 = strchr(serial, '\t');
    char *tab2 = tab1 ? strchr(tab1 + 1, '\t') : NULL;
    if (!tab2)
        return -1;
    *tab1 = *tab2 = 0;
    s->line[n - 1] = s->line[n - 1] == '\n' ? 0 : s->line[n - 1];
    long len = hex_decode(serial, out->serial, sizeof out->serial);
    if (len <= 0)
        return -1;
    out->serial_len = (size_t)len;
    out->revoked_at = (time_t)atoll(tab1 + 1);
    if (out->revoked_at > s->latest) /* a revocation made under a larger backdate */
        out->revoked_at = s->latest;
    out->reason = pki_crl_reason_from_name(tab2 + 1);
    if (out->reason < 0)
        out->reason = 0;
    s->count++;
    return 1;
}

struct gen {
    const struct ca_info *ca;
    unsigned validity_hours;
    crl_sign_fn sign;
    void *sign_ctx;
    const struct audit_actor *actor;
    struct crl_result *out;
    struct problem *err;
    unsigned char *der;
    size_t der_len;
    time_t this_update, next_update;
    unsigned backdate;
    long wait; /* seconds to wait before thisUpdate may advance */
    unsigned char *tbs; /* the TBSCertList built in the snapshot */
    size_t tbs_len;
    char generation[24], number[24];
    long entries;
    char sig_id[SIG_ID_MAX]; /* its row in the signature record */
};

/* In one snapshot: the next number and times, and the TBSCertList. */
static enum db_rc build_tx(struct db *db, void *arg)
{
    struct gen *g = arg;
    const char *id = g->ca->id;
    PGresult *res;
    enum db_rc rc = db_exec(db, &q_state, &res, (const char *[]){id});
    if (rc != DB_OK)
        return rc;
    if (PQntuples(res) != 1) {
        PQclear(res);
        problem_set(g->err, PK_CA_NOT_FOUND, NULL, "no CA %s", id);
        return DB_NOTFOUND;
    }
    snprintf(g->generation, sizeof g->generation, "%s", PQgetvalue(res, 0, 0));
    snprintf(g->number, sizeof g->number, "%s", PQgetvalue(res, 0, 1));
    time_t now = (time_t)atoll(PQgetvalue(res, 0, 2));
    time_t previous = (time_t)atoll(PQgetvalue(res, 0, 3));
    PQclear(res);

    /* thisUpdate (and so Last-Modified) rises by at least a second per CRL,
     * so a client revalidating with If-Modified-Since always sees a new one
     * as newer; it lies crl_backdate_seconds back for relying parties whose
     * clock is behind, and never in the future. */
    g->this_update = crl_this_update(now, previous, g->backdate);
    if (g->this_update > now) {
        g->wait = (long)(g->this_update - now);
        return DB_NOTFOUND;
    }
    g->next_update = g->this_update + (time_t)g->validity_hours * 3600;
    struct pki_crl_spec spec = {g->ca->cert, strtoull(g->number, NULL, 10),
                                g->this_update, g->next_update};
    struct entry_src src = {.db = db, .ca_id = id, .latest = g->this_update};
    free(g->tbs);
    g->tbs = NULL;
    int brc = pki_crl_build_tbs(&spec, next_entry, &src, 0, &g->tbs, &g->tbs_len, g->err);
    if (copy_finish(&src) != 0)
        src.failed = 1;
    if (src.failed || brc) {
        free(g->tbs);
        g->tbs = NULL;
        return src.failed ? DB_UNAVAILABLE : DB_ERROR;
    }
    g->entries = src.count;
    return DB_OK;
}

/* Stores the CRL signed once (retried as a whole by db_tx: the same DER). */
static enum db_rc store_tx(struct db *db, void *arg)
{
    struct gen *g = arg;
    const char *id = g->ca->id;
    char tu[24], nu[24], entries[24];
    snprintf(tu, sizeof tu, "%lld", (long long)g->this_update);
    snprintf(nu, sizeof nu, "%lld", (long long)g->next_update);
    snprintf(entries, sizeof entries, "%ld", g->entries);
    char fp[PKI_FP_HEX_SIZE];
    pki_fingerprint_sha256(g->der, g->der_len, false, fp);
    const char *p[] = {id, g->number, tu, nu, entries, g->generation, (const char *)g->der,
                       g->sig_id, fp};
    int lens[] = {0, 0, 0, 0, 0, 0, (int)g->der_len, 0, 0};
    int fmts[] = {0, 0, 0, 0, 0, 0, 1, 0, 0};
    PGresult *res;
    enum db_rc rc;
    if ((rc = db_exec_bin(db, &q_store, &res, p, lens, fmts, 0)) != DB_OK)
        return rc;
    int stored = PQntuples(res);
    PQclear(res);
    if (stored != 1) {
        problem_set(g->err, PK_SIGNATURE_NOT_RESERVED, NULL,
                    "the signature record no longer holds this CRL's reservation");
        return DB_ERROR;
    }
    if ((rc = db_exec(db, &q_prune, NULL, (const char *[]){id, g->number})) != DB_OK)
        return rc;
    rc = audit_write(db, g->actor, "crl.generate", "ca", id,
                     json_pack("{s:s, s:I, s:s}", "crl_number", g->number, "entries",
                               (json_int_t)g->entries, "signature_id", g->sig_id));
    if (rc != DB_OK)
        return rc;
    if ((rc = db_exec(db, &q_notify, NULL, (const char *[]){id, g->number})) != DB_OK)
        return rc;
    g->out->number = strtoull(g->number, NULL, 10);
    g->out->entries = g->entries;
    g->out->der_len = g->der_len;
    return DB_OK;
}

/* After the snapshot, outside any transaction: reserve the number in the
 * signature record (committed), sign, store; a signed CRL that is not
 * stored is marked abandoned with the reason. */
static enum db_rc sign_and_store(struct db *db, struct gen *g)
{
    long long t0 = now_ms();
    enum db_rc rc = sig_reserve(db, g->ca->id, "crl", NULL, strtoull(g->number, NULL, 10),
                                g->tbs, g->tbs_len, g->actor, g->sig_id);
    if (rc != DB_OK) {
        problem_set(g->err, rc == DB_UNAVAILABLE ? PK_SIGNATURE_NOT_RECORDED
                                                 : PK_SIGNATURE_NOT_RECORDED_500, NULL,
                    "the signature could not be recorded, so nothing was signed: %s",
                    db_last_error(db));
        return rc;
    }
    long long t1 = now_ms();
    g->out->reserve_ms = t1 - t0;
    free(g->der);
    g->der = NULL;
    if (g->sign(g->sign_ctx, g->ca, g->tbs, g->tbs_len, &g->der, &g->der_len, g->err)) {
        free(g->der);
        g->der = NULL;
        sig_abandon(db, g->sig_id, NULL, 0, problem_is_set(g->err) ? g->err->detail : "signer failed");
        return DB_ERROR;
    }
    long long t2 = now_ms();
    g->out->sign_ms = t2 - t1;
    rc = db_tx(db, DB_READ_COMMITTED, store_tx, g);
    g->out->store_ms = now_ms() - t2;
    if (rc != DB_OK) {
        const char *state = db_last_sqlstate(db);
        if (!problem_is_set(g->err) && (!strcmp(state, "40001") || !strcmp(state, "40P01")))
            problem_set(g->err, PK_DATABASE_BUSY, NULL,
                        "the database kept refusing the transaction (serialization "
                        "failures); try again");
        char why[600];
        snprintf(why, sizeof why, "not stored: %s",
                 problem_is_set(g->err) ? g->err->detail : db_last_error(db));
        sig_abandon(db, g->sig_id, g->der, g->der_len, why);
    }
    return rc;
}

time_t crl_this_update(time_t now, time_t previous, unsigned backdate)
{
    time_t t = now - (time_t)backdate;
    return t > previous ? t : previous + 1;
}

unsigned crl_backdate_seconds(void)
{
    const struct config *c = config_current();
    return c ? c->crl_backdate_seconds : CRL_BACKDATE_DEFAULT;
}

int crl_generate(struct db *db, const struct ca_info *ca, unsigned validity_hours,
                 crl_sign_fn sign, void *sign_ctx, const struct audit_actor *actor,
                 struct crl_result *out, struct problem *err)
{
    problem_clear(err);
    memset(out, 0, sizeof *out);
    PGresult *res;
    const char *p[] = {ca->id};
    if (db_exec(db, &q_lock, &res, p) != DB_OK) {
        problem_set(err, PK_DATABASE_UNAVAILABLE, NULL, "%s", db_last_error(db));
        return -1;
    }
    bool locked = PQgetvalue(res, 0, 0)[0] == 't';
    PQclear(res);
    if (!locked)
        return 1;
    struct gen g = {.ca = ca, .validity_hours = validity_hours, .sign = sign,
                    .sign_ctx = sign_ctx, .actor = actor, .out = out, .err = err,
                    .backdate = crl_backdate_seconds()};
    enum db_rc rc;
    long long t0 = now_ms();
    for (int attempt = 0;; attempt++) {
        g.wait = 0;
        rc = db_tx(db, DB_REPEATABLE_READ, build_tx, &g);
        if (rc != DB_NOTFOUND || g.wait <= 0 || attempt == 3)
            break;
        /* more CRLs than seconds in a burst: wait until thisUpdate may rise */
        struct timespec ts = {g.wait > 2 ? 2 : g.wait, 0};
        nanosleep(&ts, NULL);
    }
    if (rc == DB_NOTFOUND && g.wait > 0 && !problem_is_set(err))
        problem_set(err, PK_CRL_TOO_SOON, NULL, "thisUpdate cannot advance yet; try again");
    out->build_ms = now_ms() - t0;
    if (rc == DB_OK)
        rc = sign_and_store(db, &g);
    free(g.tbs);
    db_exec(db, &q_unlock, NULL, p);
    if (rc == DB_OK) {
        publish_crl_take(ca->id, g.der, g.der_len, out->number, g.this_update,
                         g.next_update);
        g.der = NULL;
    }
    else if (!problem_is_set(err))
        problem_set(err, rc == DB_UNAVAILABLE ? PK_CRL_NOT_STORED : PK_CRL_NOT_STORED_500, NULL, "%s",
                    db_last_error(db));
    free(g.der);
    return rc == DB_OK ? 0 : -1;
}

DB_STMT(q_latest, 1,
        "SELECT crl_number, extract(epoch FROM this_update)::bigint, "
        "extract(epoch FROM next_update)::bigint, der FROM crls WHERE ca_id = $1 "
        "ORDER BY crl_number DESC LIMIT 1");

int crl_load_latest(struct db *db, const struct ca_info *ca)
{
    PGresult *res;
    const char *p[] = {ca->id};
    /* text for the numbers, binary for the DER: ask binary, parse by hand */
    if (db_exec_bin(db, &q_latest, &res, p, NULL, NULL, 1) != DB_OK)
        return -1;
    if (PQntuples(res) == 1) {
        uint64_t number = 0, tu = 0, nu = 0;
        const unsigned char *v[3] = {(const unsigned char *)PQgetvalue(res, 0, 0),
                                     (const unsigned char *)PQgetvalue(res, 0, 1),
                                     (const unsigned char *)PQgetvalue(res, 0, 2)};
        uint64_t *dst[3] = {&number, &tu, &nu};
        for (int c = 0; c < 3; c++)
            for (int b = 0; b < 8; b++) /* int8 in network byte order */
                *dst[c] = *dst[c] << 8 | v[c][b];
        publish_crl(ca->id, (const unsigned char *)PQgetvalue(res, 0, 3),
                    (size_t)PQgetlength(res, 0, 3), number, (time_t)tu, (time_t)nu);
    }
    PQclear(res);
    return 0;
}

#include "ca/crl_gen.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit/audit.h"
#include "ca/publish.h"
#include "ca/registry.h"
#include "pki/crl.h"
#include "util/hex.h"

#define CHUNK "20000"

DB_STMT(q_lock, 1, "SELECT pg_try_advisory_lock(hashtext('troth.crl.' || $1))");
DB_STMT(q_unlock, 1, "SELECT pg_advisory_unlock(hashtext('troth.crl.' || $1))");
DB_STMT(q_state, 1,
        "SELECT c.crl_generation, coalesce(max(l.crl_number), 0) + 1 "
        "FROM cas c LEFT JOIN crls l ON l.ca_id = c.id WHERE c.id = $1 "
        "GROUP BY c.crl_generation");
DB_STMT(q_entries, 2,
        "SELECT serial, extract(epoch FROM revoked_at)::bigint, revocation_reason "
        "FROM certificates WHERE ca_id = $1 AND status <> 'valid' "
        "AND not_after > now() AND serial > $2 ORDER BY serial LIMIT " CHUNK);
DB_STMT(q_store, 7,
        "INSERT INTO crls (ca_id, crl_number, this_update, next_update, entries, "
        "covers_generation, der) VALUES ($1, $2, to_timestamp($3::bigint), "
        "to_timestamp($4::bigint), $5, $6, $7)");
DB_STMT(q_prune, 2, "DELETE FROM crls WHERE ca_id = $1 AND crl_number < $2::bigint - 2");
DB_STMT(q_notify, 2, "SELECT pg_notify('troth_crl', $1 || ':' || $2)");

/* Streams the entries in chunks by keyset, inside the snapshot. */
struct entry_src {
    struct db *db;
    const char *ca_id;
    PGresult *res;
    int row, rows;
    char last[48];
    long count;
    int failed;
};

static int next_entry(void *ctx, struct pki_crl_entry *out)
{
    struct entry_src *s = ctx;
    if (s->row >= s->rows) {
        if (s->res && s->rows < atoi(CHUNK))
            return 0; /* the last chunk was short: done */
        PQclear(s->res);
        s->res = NULL;
        const char *p[] = {s->ca_id, s->last};
        if (db_exec(s->db, &q_entries, &s->res, p) != DB_OK) {
            s->failed = 1;
            return -1;
        }
        s->rows = PQntuples(s->res);
        s->row = 0;
        if (s->rows == 0)
            return 0;
    }
    const char *serial = PQgetvalue(s->res, s->row, 0);
    long n = hex_decode(serial, out->serial, sizeof out->serial);
    if (n <= 0)
        return -1;
    out->serial_len = (size_t)n;
    out->revoked_at = (time_t)atoll(PQgetvalue(s->res, s->row, 1));
    out->reason = pki_crl_reason_from_name(PQgetvalue(s->res, s->row, 2));
    if (out->reason < 0)
        out->reason = 0;
    snprintf(s->last, sizeof s->last, "%s", serial);
    s->row++;
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
    struct pki_err *err;
    unsigned char *der;
    size_t der_len;
    time_t this_update, next_update;
};

static enum db_rc gen_tx(struct db *db, void *arg)
{
    struct gen *g = arg;
    const char *id = g->ca->id;
    PGresult *res;
    enum db_rc rc = db_exec(db, &q_state, &res, (const char *[]){id});
    if (rc != DB_OK)
        return rc;
    if (PQntuples(res) != 1) {
        PQclear(res);
        pki_err_set(g->err, 404, "ca_not_found", "no CA %s", id);
        return DB_NOTFOUND;
    }
    char generation[24], number[24];
    snprintf(generation, sizeof generation, "%s", PQgetvalue(res, 0, 0));
    snprintf(number, sizeof number, "%s", PQgetvalue(res, 0, 1));
    PQclear(res);

    g->this_update = time(NULL);
    g->next_update = g->this_update + (time_t)g->validity_hours * 3600;
    struct pki_crl_spec spec = {g->ca->cert, strtoull(number, NULL, 10),
                                g->this_update, g->next_update};
    struct entry_src src = {.db = db, .ca_id = id, .last = ""};
    unsigned char *tbs = NULL;
    size_t tbs_len = 0;
    int brc = pki_crl_build_tbs(&spec, next_entry, &src, 0, &tbs, &tbs_len, g->err);
    PQclear(src.res);
    if (src.failed) {
        free(tbs);
        return DB_UNAVAILABLE;
    }
    if (brc) {
        free(tbs);
        return DB_ERROR;
    }
    free(g->der);
    g->der = NULL;
    int src_rc = g->sign(g->sign_ctx, g->ca, tbs, tbs_len, &g->der, &g->der_len, g->err);
    free(tbs);
    if (src_rc)
        return DB_ERROR;

    char tu[24], nu[24], entries[24];
    snprintf(tu, sizeof tu, "%lld", (long long)g->this_update);
    snprintf(nu, sizeof nu, "%lld", (long long)g->next_update);
    snprintf(entries, sizeof entries, "%ld", src.count);
    const char *p[] = {id, number, tu, nu, entries, generation, (const char *)g->der};
    int lens[] = {0, 0, 0, 0, 0, 0, (int)g->der_len};
    int fmts[] = {0, 0, 0, 0, 0, 0, 1};
    if ((rc = db_exec_bin(db, &q_store, NULL, p, lens, fmts, 0)) != DB_OK)
        return rc;
    if ((rc = db_exec(db, &q_prune, NULL, (const char *[]){id, number})) != DB_OK)
        return rc;
    rc = audit_write(db, g->actor, "crl.generate", "ca", id,
                     json_pack("{s:s, s:I}", "crl_number", number, "entries",
                               (json_int_t)src.count));
    if (rc != DB_OK)
        return rc;
    if ((rc = db_exec(db, &q_notify, NULL, (const char *[]){id, number})) != DB_OK)
        return rc;
    g->out->number = spec.number;
    g->out->entries = src.count;
    g->out->der_len = g->der_len;
    return DB_OK;
}

int crl_generate(struct db *db, const struct ca_info *ca, unsigned validity_hours,
                 crl_sign_fn sign, void *sign_ctx, const struct audit_actor *actor,
                 struct crl_result *out, struct pki_err *err)
{
    pki_err_clear(err);
    PGresult *res;
    const char *p[] = {ca->id};
    if (db_exec(db, &q_lock, &res, p) != DB_OK) {
        pki_err_set(err, 503, "database_unavailable", "%s", db_last_error(db));
        return -1;
    }
    bool locked = PQgetvalue(res, 0, 0)[0] == 't';
    PQclear(res);
    if (!locked)
        return 1;
    struct gen g = {ca, validity_hours, sign, sign_ctx, actor, out, err, NULL, 0, 0, 0};
    enum db_rc rc = db_tx(db, DB_REPEATABLE_READ, gen_tx, &g);
    db_exec(db, &q_unlock, NULL, p);
    if (rc == DB_OK)
        publish_crl(ca->id, g.der, g.der_len, out->number, g.this_update,
                    g.next_update);
    else if (!err->code[0])
        pki_err_set(err, rc == DB_UNAVAILABLE ? 503 : 500, "crl_not_stored", "%s",
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

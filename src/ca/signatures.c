#include "ca/signatures.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "util/hex.h"

DB_STMT(q_reserve, 6,
        "INSERT INTO signatures (ca_id, kind, serial, crl_number, tbs_sha256, requested_by) "
        "VALUES ($1, $2, $3, $4::bigint, $5, $6) RETURNING id");
DB_STMT(q_abandon, 3,
        "UPDATE signatures SET state = 'abandoned', reason = left($3, 500), "
        "signed_sha256 = coalesce($2, signed_sha256), decided_at = now() "
        "WHERE id = $1::bigint AND state = 'reserved'");

DB_STMT(q_signed, 7,
        "INSERT INTO signatures (ca_id, kind, serial, crl_number, tbs_sha256, requested_by, "
        "state, signed_sha256, decided_at) "
        "VALUES ($1, $2, $3, $4::bigint, $5, $6, 'issued', $7, now()) RETURNING id");

static void sha256_hex(const unsigned char *p, size_t n, char out[65])
{
    unsigned char md[32];
    EVP_Digest(p, n, md, NULL, EVP_sha256(), NULL);
    hex_encode(md, 32, out);
}

enum db_rc sig_reserve_here(struct db *db, const char *ca_id, const char *kind,
                            const char *serial, uint64_t crl_number,
                            const unsigned char *tbs, size_t tbs_len,
                            const struct audit_actor *actor, char id_out[SIG_ID_MAX])
{
    char tbs_hex[65], number[24];
    sha256_hex(tbs, tbs_len, tbs_hex);
    snprintf(number, sizeof number, "%llu", (unsigned long long)crl_number);
    bool crl = !strcmp(kind, "crl");
    const char *p[] = {ca_id, kind, crl ? NULL : serial, crl ? number : NULL, tbs_hex,
                       actor && actor->name ? actor->name : "system"};
    PGresult *res;
    enum db_rc rc = db_exec(db, &q_reserve, &res, p);
    if (rc != DB_OK)
        return rc;
    snprintf(id_out, SIG_ID_MAX, "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
    return DB_OK;
}

struct reserve {
    const char *ca_id, *kind, *serial;
    uint64_t crl_number;
    const unsigned char *tbs;
    size_t tbs_len;
    const struct audit_actor *actor;
    char *id_out;
};

static enum db_rc reserve_tx(struct db *db, void *arg)
{
    const struct reserve *r = arg;
    return sig_reserve_here(db, r->ca_id, r->kind, r->serial, r->crl_number, r->tbs,
                            r->tbs_len, r->actor, r->id_out);
}

enum db_rc sig_reserve(struct db *db, const char *ca_id, const char *kind,
                       const char *serial, uint64_t crl_number,
                       const unsigned char *tbs, size_t tbs_len,
                       const struct audit_actor *actor, char id_out[SIG_ID_MAX])
{
    struct reserve r = {ca_id, kind, serial, crl_number, tbs, tbs_len, actor, id_out};
    /* committed before the signer is asked, without waiting for the disk:
     * the storing transaction's synchronous commit flushes this row too, and
     * nothing signed leaves Troth before that commit (issuance was 2.7x
     * slower with a flush of its own: scripts/bench --quick --only 1) */
    return db_tx(db, DB_READ_COMMITTED_ASYNC, reserve_tx, &r);
}

enum db_rc sig_record_signed(struct db *db, const char *ca_id, const char *kind,
                             const char *serial, uint64_t crl_number,
                             const unsigned char *tbs, size_t tbs_len,
                             const unsigned char *der, size_t der_len,
                             const struct audit_actor *actor, char id_out[SIG_ID_MAX])
{
    char tbs_hex[65], der_hex[65], number[24];
    sha256_hex(tbs, tbs_len, tbs_hex);
    sha256_hex(der, der_len, der_hex);
    snprintf(number, sizeof number, "%llu", (unsigned long long)crl_number);
    bool crl = !strcmp(kind, "crl");
    const char *p[] = {ca_id, kind, crl ? NULL : serial, crl ? number : NULL, tbs_hex,
                       actor && actor->name ? actor->name : "system", der_hex};
    PGresult *res;
    enum db_rc rc = db_exec(db, &q_signed, &res, p);
    if (rc != DB_OK)
        return rc;
    if (id_out)
        snprintf(id_out, SIG_ID_MAX, "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
    return DB_OK;
}

enum db_rc sig_abandon(struct db *db, const char *id, const unsigned char *der,
                       size_t der_len, const char *reason)
{
    char hex[65];
    if (der)
        sha256_hex(der, der_len, hex);
    const char *p[] = {id, der ? hex : NULL, reason && *reason ? reason : "not stored"};
    return db_exec(db, &q_abandon, NULL, p);
}

/* What the audit event of a settled reservation says of it. */
#define SETTLED_ROW(X, S)                                            \
    X(SETTLED_COL_CA, "ca_id", "ca", TEXT) S                         \
    X(SETTLED_COL_KIND, "kind", "kind", TEXT) S                      \
    X(SETTLED_COL_SERIAL, "serial", "serial", OPT) S                 \
    X(SETTLED_COL_CRL_NUMBER, "crl_number::text", "crl_number", OPT) S \
    X(SETTLED_COL_TBS, "tbs_sha256", "tbs_sha256", OPT) S            \
    X(SETTLED_COL_REASON, "reason", "reason", TEXT)
enum { SETTLED_ROW(ROW_ENUM, ) SETTLED_COL_COUNT };
static const struct row_col settled_cols[] = {SETTLED_ROW(ROW_COL, )};

DB_STMT(q_settle, 3,
        "UPDATE signatures SET state = 'abandoned', reason = left($3, 500), "
        "decided_at = now() WHERE id = $1::bigint AND ca_id = $2 AND state = 'reserved' "
        "RETURNING " SETTLED_ROW(ROW_SQL, ", "));

struct settle {
    const char *ca_id, *id, *reason;
    const struct audit_actor *actor;
};

static enum db_rc settle_tx(struct db *db, void *arg)
{
    const struct settle *a = arg;
    PGresult *res;
    enum db_rc rc = db_exec(db, &q_settle, &res, (const char *[]){a->id, a->ca_id, a->reason});
    if (rc != DB_OK)
        return rc;
    json_t *d = PQntuples(res) == 1 ? row_json(settled_cols, SETTLED_COL_COUNT, res, 0) : NULL;
    PQclear(res);
    if (!d)
        return DB_NOTFOUND;
    return audit_write(db, a->actor, "signature.abandon", "signature", a->id, d);
}

enum db_rc sig_settle(struct db *db, const char *ca_id, const char *id,
                      const char *reason, const struct audit_actor *actor)
{
    struct settle a = {ca_id, id, reason, actor};
    return db_tx(db, DB_READ_COMMITTED, settle_tx, &a);
}

DB_STMT(q_list, 5,
        "SELECT " SIG_ROW(ROW_SQL, ", ") " "
        "FROM signatures s WHERE s.ca_id = $1 AND s.id < $2::bigint "
        "AND ($4::text IS NULL OR s.state = $4) AND ($5::text IS NULL OR s.kind = $5) "
        "ORDER BY s.id DESC LIMIT $3::int");

enum db_rc sig_list(struct db *db, const char *ca_id, const char *after, const char *limit,
                    const char *state, const char *kind, PGresult **res)
{
    return db_exec(db, &q_list, res, (const char *[]){ca_id, after, limit, state, kind});
}

static const struct row_col sig_cols[] = {SIG_ROW(ROW_COL, )};

json_t *sig_json(PGresult *res, int i)
{
    return row_json(sig_cols, SIG_COL_COUNT, res, i);
}

bool sig_state_valid(const char *s)
{
    return !strcmp(s, "reserved") || !strcmp(s, "issued") || !strcmp(s, "abandoned");
}

bool sig_kind_valid(const char *s) { return !strcmp(s, "certificate") || !strcmp(s, "crl"); }

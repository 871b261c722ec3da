#include "ca/compromised.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/x509.h>

#include "audit/audit.h"
#include "util/hex.h"

int ca_spki_sha256(const EVP_PKEY *key, unsigned char out[32])
{
    EVP_PKEY *k = key ? EVP_PKEY_dup((EVP_PKEY *)key) : NULL;
    if (!k)
        return -1;
    if (EVP_PKEY_base_id(k) == EVP_PKEY_EC)
        EVP_PKEY_set_utf8_string_param(k, OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
                                       OSSL_PKEY_EC_POINT_CONVERSION_FORMAT_UNCOMPRESSED);
    unsigned char *der = NULL;
    int len = i2d_PUBKEY(k, &der);
    EVP_PKEY_free(k);
    if (len <= 0)
        return -1;
    int ok = EVP_Digest(der, (size_t)len, out, NULL, EVP_sha256(), NULL);
    OPENSSL_free(der);
    return ok ? 0 : -1;
}

DB_STMT(q_cert_der, 1, "SELECT der FROM certificates WHERE serial = $1");
DB_STMT(q_mark, 2,
        "INSERT INTO compromised_keys (serial, spki_sha256) VALUES ($1, $2::bytea) "
        "ON CONFLICT (serial) DO NOTHING");

/* The hash of a stored certificate's key from its DER. */
static int der_spki_sha256(const unsigned char *der, size_t len, unsigned char out[32])
{
    X509 *x = d2i_X509(NULL, &der, (long)len);
    int rc = x ? ca_spki_sha256(X509_get0_pubkey(x), out) : -1;
    X509_free(x);
    return rc;
}

static enum db_rc mark(struct db *db, const char *serial, const unsigned char *der,
                       size_t len)
{
    unsigned char h[32];
    if (der_spki_sha256(der, len, h))
        return DB_ERROR;
    const char *p[] = {serial, (const char *)h};
    int lens[] = {0, 32}, fmts[] = {0, 1};
    return db_exec_bin(db, &q_mark, NULL, p, lens, fmts, 0);
}

enum db_rc ca_mark_compromised(struct db *db, const char *serial)
{
    PGresult *res;
    enum db_rc rc = db_exec_bin(db, &q_cert_der, &res, (const char *[]){serial}, NULL, NULL, 1);
    if (rc != DB_OK)
        return rc;
    if (PQntuples(res) != 1) {
        PQclear(res);
        return DB_NOTFOUND;
    }
    rc = mark(db, serial, (const unsigned char *)PQgetvalue(res, 0, 0),
              (size_t)PQgetlength(res, 0, 0));
    PQclear(res);
    return rc;
}

/* Many at once: two arrays of the same length, serials and hex hashes
 * (neither needs quoting in an array literal). */
DB_STMT(q_mark_many, 2,
        "INSERT INTO compromised_keys (serial, spki_sha256) "
        "SELECT s, decode(h, 'hex') FROM unnest($1::text[], $2::text[]) AS x(s, h) "
        "ON CONFLICT (serial) DO NOTHING");
#define MARK_BATCH 1000

DB_STMT(q_unmarked, 0,
        "SELECT serial, der FROM certificates c WHERE status = 'revoked' "
        "AND revocation_reason = 'keyCompromise' AND NOT EXISTS "
        "(SELECT 1 FROM compromised_keys k WHERE k.serial = c.serial)");

struct backfill {
    long n;
};

static enum db_rc backfill_tx(struct db *db, void *arg)
{
    struct backfill *b = arg;
    b->n = 0;
    PGresult *res;
    /* text serial, binary DER: ask binary, the serial is text either way */
    enum db_rc rc = db_exec_bin(db, &q_unmarked, &res, NULL, NULL, NULL, 1);
    if (rc != DB_OK)
        return rc;
    /* a community moving over from another CA may bring thousands: one
     * statement per MARK_BATCH keys (one per key took over a minute for
     * 20,000 on a busy machine, and start-up waits for it) */
    int rows = PQntuples(res);
    size_t cap = MARK_BATCH * 42 + 2, hcap = MARK_BATCH * 65 + 2;
    char *serials = malloc(cap), *hashes = malloc(hcap);
    if (!serials || !hashes)
        rc = DB_ERROR;
    for (int i = 0; i < rows && rc == DB_OK;) {
        size_t sn = 0, hn = 0;
        int n = 0;
        serials[sn++] = hashes[hn++] = '{';
        for (; i < rows && n < MARK_BATCH; i++) {
            unsigned char h[32];
            int len = PQgetlength(res, i, 0);
            if (len > 40 || der_spki_sha256((const unsigned char *)PQgetvalue(res, i, 1),
                                            (size_t)PQgetlength(res, i, 1), h))
                continue; /* not a certificate OpenSSL reads: nothing to refuse */
            if (n++) {
                serials[sn++] = ',';
                hashes[hn++] = ',';
            }
            memcpy(serials + sn, PQgetvalue(res, i, 0), (size_t)len);
            sn += (size_t)len;
            hex_encode(h, 32, hashes + hn);
            hn += 64;
        }
        serials[sn++] = hashes[hn++] = '}';
        serials[sn] = hashes[hn] = 0;
        if (n)
            rc = db_exec(db, &q_mark_many, NULL, (const char *[]){serials, hashes});
        b->n += n;
    }
    free(serials);
    free(hashes);
    PQclear(res);
    if (rc != DB_OK || b->n == 0)
        return rc;
    struct audit_actor system = {NULL, NULL, "system", ""};
    return audit_write(db, &system, "key.compromised.backfill", "ca", "keys",
                       json_pack("{s:I}", "marked", (json_int_t)b->n));
}

long ca_compromised_backfill(struct db *db)
{
    struct backfill b = {0};
    return db_tx(db, DB_READ_COMMITTED, backfill_tx, &b) == DB_OK ? b.n : -1;
}

#include "ca/crl_import.h"

#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit/audit.h"
#include "ca/registry.h"
#include "ca/signatures.h"
#include "ceremony/ceremony.h"
#include "pki/encode.h"
#include "pki/ext.h"

DB_STMT(q_lock, 1, "SELECT pg_advisory_xact_lock(hashtext('troth.crl.' || $1))");
DB_STMT(q_state, 1,
        "SELECT c.crl_generation, coalesce(max(l.crl_number), 0) FROM cas c "
        "LEFT JOIN crls l ON l.ca_id = c.id WHERE c.id = $1 GROUP BY c.crl_generation");
DB_STMT(q_store, 8,
        "INSERT INTO crls (ca_id, crl_number, this_update, next_update, entries, "
        "covers_generation, der, signature_id) VALUES ($1, $2, to_timestamp($3::bigint), "
        "to_timestamp($4::bigint), $5, $6, $7, $8::bigint)");
DB_STMT(q_notify, 2, "SELECT pg_notify('troth_crl', $1 || ':' || $2)");

struct import {
    const struct ca_info *ca;
    const unsigned char *der;
    size_t der_len;
    uint64_t number;
    time_t tu, nu;
    long entries;
    const char *log;
    const struct audit_actor *actor;
    struct problem *e;
    char log_err[256];
    unsigned char *tbs; /* its TBSCertList, for the signature record */
    size_t tbs_len;
};

static enum db_rc import_tx(struct db *db, void *arg)
{
    struct import *a = arg;
    const char *id = a->ca->id;
    PGresult *res;
    enum db_rc rc = db_exec(db, &q_lock, NULL, (const char *[]){id});
    if (rc != DB_OK || (rc = db_exec(db, &q_state, &res, (const char *[]){id})) != DB_OK)
        return rc;
    char generation[24];
    snprintf(generation, sizeof generation, "%s", PQgetvalue(res, 0, 0));
    unsigned long long current = strtoull(PQgetvalue(res, 0, 1), NULL, 10);
    PQclear(res);
    if (a->number <= current) {
        problem_set(a->e, PK_CRL_NUMBER_NOT_NEWER, NULL,
                    "cRLNumber %llu is not above the current CRL's (%llu) of CA %s",
                    (unsigned long long)a->number, current, id);
        return DB_CONFLICT;
    }
    char num[24], tu[24], nu[24], entries[24], fp[PKI_FP_HEX_SIZE];
    snprintf(num, sizeof num, "%llu", (unsigned long long)a->number);
    snprintf(tu, sizeof tu, "%lld", (long long)a->tu);
    snprintf(nu, sizeof nu, "%lld", (long long)a->nu);
    snprintf(entries, sizeof entries, "%ld", a->entries);
    /* signed on the offline machine: recorded as it comes in */
    char sig_id[SIG_ID_MAX];
    if ((rc = sig_record_signed(db, id, "crl", NULL, a->number, a->tbs, a->tbs_len, a->der,
                                a->der_len, a->actor, sig_id)) != DB_OK)
        return rc;
    const char *p[] = {id, num, tu, nu, entries, generation, (const char *)a->der, sig_id};
    int lens[] = {0, 0, 0, 0, 0, 0, (int)a->der_len, 0};
    int fmts[] = {0, 0, 0, 0, 0, 0, 1, 0};
    if ((rc = db_exec_bin(db, &q_store, NULL, p, lens, fmts, 0)) != DB_OK)
        return rc;
    if (a->log) {
        long n = 0;
        if ((rc = ceremony_log_import(db, a->actor, a->log, &n, a->log_err,
                                      sizeof a->log_err)) != DB_OK) {
            if (a->log_err[0])
                problem_set(a->e, PK_CEREMONY_LOG_INVALID, NULL, "%s", a->log_err);
            return rc;
        }
    }
    pki_fingerprint_sha256(a->der, a->der_len, false, fp);
    json_t *rec = ceremony_record("crl.import", id, X509_get0_pubkey(a->ca->cert), "offline");
    json_object_update_new(rec, json_pack("{s:I, s:I, s:s, s:s}", "crl_number",
                                          (json_int_t)a->number, "entries",
                                          (json_int_t)a->entries, "crl_sha256", fp,
                                          "next_update", nu));
    /* who signed it, where and when: the offline machine's record of it */
    json_t *signed_at = a->log ? ceremony_log_find(a->log, "crl.sign", "crl_sha256", fp) : NULL;
    if (signed_at) {
        static const char *const drop[] = {"event", "ca", "key", "spki_sha256"};
        for (size_t i = 0; i < sizeof drop / sizeof drop[0]; i++)
            json_object_del(signed_at, drop[i]);
    }
    json_object_set_new(rec, "signed_at_ceremony", signed_at ? signed_at : json_null());
    if ((rc = ceremony_audit(db, a->actor, rec)) != DB_OK)
        return rc;
    return db_exec(db, &q_notify, NULL, (const char *[]){id, num});
}

/* The CRL as DER: data itself, or its first "X509 CRL" PEM block. */
static X509_CRL *parse(const unsigned char *data, size_t len, unsigned char **der,
                       size_t *der_len)
{
    *der = NULL;
    if (len > 0 && data[0] == 0x30) {
        *der = malloc(len);
        if (!*der)
            return NULL;
        memcpy(*der, data, len);
        *der_len = len;
    } else if (pki_pem_to_der((const char *)data, len, "X509 CRL", der, der_len) != 0) {
        return NULL;
    }
    const unsigned char *p = *der;
    X509_CRL *crl = d2i_X509_CRL(NULL, &p, (long)*der_len);
    if (crl && p != *der + *der_len) {
        X509_CRL_free(crl);
        crl = NULL;
    }
    return crl;
}

int crl_import(struct db *db, const unsigned char *data, size_t len,
               const char *ceremony_log, const struct audit_actor *actor, char *ca_id,
               uint64_t *number, struct problem *e)
{
    problem_clear(e);
    unsigned char *der = NULL;
    size_t der_len = 0;
    X509_CRL *crl = parse(data, len, &der, &der_len);
    struct ca_set set = {0};
    int rc = -1;
    if (!crl) {
        problem_set(e, PK_CRL_MALFORMED, NULL, "not a DER or PEM X.509 CRL");
        goto out;
    }
    if (ca_set_load(db, "", &set) < 0) {
        problem_set(e, PK_DATABASE_UNAVAILABLE, NULL, "%s", db_last_error(db));
        goto out;
    }
    const struct ca_info *ca = NULL;
    for (size_t i = 0; i < set.n && !ca; i++)
        if (!X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(set.cas[i].cert)))
            ca = &set.cas[i];
    if (!ca) {
        problem_set(e, PK_CRL_ISSUER_UNKNOWN, NULL, "no CA of this community issued it");
        goto out;
    }
    if (X509_CRL_verify(crl, X509_get0_pubkey(ca->cert)) != 1) {
        problem_set(e, PK_CRL_SIGNATURE_INVALID, NULL,
                    "the signature does not verify with the key of CA %s", ca->id);
        goto out;
    }
    if (!ca_is_offline(ca)) {
        problem_set(e, PK_CA_KEY_ONLINE, NULL,
                    "CA %s signs its own CRLs here; only an offline CA's are imported", ca->id);
        goto out;
    }
    int crit = 0;
    ASN1_INTEGER *n = X509_CRL_get_ext_d2i(crl, NID_crl_number, &crit, NULL);
    uint64_t num = 0;
    int ok = n && ASN1_INTEGER_get_uint64(&num, n) == 1 && num > 0;
    ASN1_INTEGER_free(n);
    if (!ok) {
        problem_set(e, PK_CRL_NUMBER_MISSING, NULL, "the CRL has no usable cRLNumber "
                                                 "(RFC 5280 section 5.2.3)");
        goto out;
    }
    time_t now = time(NULL), tu = 0, nu = 0;
    const ASN1_TIME *next = X509_CRL_get0_nextUpdate(crl);
    if (pki_asn1_time_to_time_t(X509_CRL_get0_lastUpdate(crl), &tu) != 0 || !next ||
        pki_asn1_time_to_time_t(next, &nu) != 0) {
        problem_set(e, PK_CRL_TIME_INVALID, NULL, "the CRL needs thisUpdate and nextUpdate");
        goto out;
    }
    if (tu > now || nu <= now) {
        problem_set(e, PK_CRL_NOT_CURRENT, NULL,
                    tu > now ? "the CRL's thisUpdate is in the future"
                             : "the CRL is past its nextUpdate");
        goto out;
    }
    STACK_OF(X509_REVOKED) *rev = X509_CRL_get_REVOKED(crl);
    struct import a = {ca, der, der_len, num, tu, nu, rev ? sk_X509_REVOKED_num(rev) : 0,
                       ceremony_log, actor, e, "", NULL, 0};
    int tl = i2d_re_X509_CRL_tbs(crl, &a.tbs);
    if (tl <= 0) {
        problem_set(e, PK_CRL_MALFORMED, NULL, "the CRL's TBSCertList does not encode");
        goto out;
    }
    a.tbs_len = (size_t)tl;
    enum db_rc drc = db_tx(db, DB_READ_COMMITTED, import_tx, &a);
    OPENSSL_free(a.tbs);
    if (drc != DB_OK) {
        if (!problem_is_set(e))
            problem_set(e, drc == DB_UNAVAILABLE ? PK_CRL_NOT_STORED : PK_CRL_NOT_STORED_500, NULL, "%s",
                        db_last_error(db));
        goto out;
    }
    snprintf(ca_id, CA_ID_MAX, "%s", ca->id);
    *number = num;
    rc = 0;
out:
    X509_CRL_free(crl);
    free(der);
    ca_set_free(&set);
    return rc;
}

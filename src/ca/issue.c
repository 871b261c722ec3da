#include "ca/issue.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit/audit.h"
#include "ca/cert_view.h"
#include "ca/compromised.h"
#include "ca/profiles.h"
#include "ca/registry.h"
#include "config.h"
#include "member/member.h"
#include "counters/counters.h"
#include "pki/ca.h"
#include "pki/crl.h"
#include "pki/csr.h"

#include "pki/encode.h"
#include "pki/ext.h"
#include "pki/keys.h"
#include "pki/leaf.h"
#include "ca/signer_pool.h"
#include "ca/signatures.h"
#include "util/hex.h"

_Static_assert((unsigned)PKI_KEYT_RSA2048 == (unsigned)PROFILE_KEY_RSA2048 &&
                   (unsigned)PKI_KEYT_RSA3072 == (unsigned)PROFILE_KEY_RSA3072 &&
                   (unsigned)PKI_KEYT_RSA4096 == (unsigned)PROFILE_KEY_RSA4096 &&
                   (unsigned)PKI_KEYT_EC_P256 == (unsigned)PROFILE_KEY_EC_P256 &&
                   (unsigned)PKI_KEYT_EC_P384 == (unsigned)PROFILE_KEY_EC_P384,
               "pki key type bits are the profile key_types bits");

#define BACKDATE_SECONDS 300 /* notBefore at most 5 minutes in the past */

const char *ca_problem_field(enum problem_kind k)
{
    switch (k) {
    case PK_CSR_MALFORMED: case PK_CSR_SIGNATURE_INVALID: case PK_KEY_WEAK:
    case PK_KEY_TYPE_NOT_ALLOWED: case PK_RSA_REQUIRED:
        return "csr";
    case PK_URI_INVALID: case PK_URI_INVALID_422: case PK_URI_MISSING:
    case PK_URI_NOT_APPROVED: case PK_URI_DUPLICATE: case PK_URI_FRAGMENT_REQUIRED:
    case PK_URI_FRAGMENT_NOT_ALLOWED:
        return "uris";
    case PK_MEMBER_NOT_FOUND: case PK_MEMBER_NOT_ACTIVE:
        return "member_id";
    case PK_PROFILE_UNKNOWN: return "profile";
    case PK_REASON_INVALID: return "reason";
    case PK_COMMON_NAME_INVALID: return "common_name";
    case PK_KEY_SPEC_INVALID: return "key_type";
    default: return NULL;
    }
}

/* The CN: the given name, or the first URI's host (at most 64 characters,
 * X.520 ub-common-name), or a host-less URI (urn:, did:) of at most 64;
 * otherwise no CN at all: the SAN URI carries the identity and O the
 * member, and a truncated URI would name nothing. */
static void default_cn(const char *uri, char *out, size_t len)
{
    out[0] = 0;
    const char *p = strstr(uri, "://");
    if (p) {
        p += 3;
        const char *at = strchr(p, '@'), *end = p + strcspn(p, "/?#");
        if (at && at < end)
            p = at + 1;
        size_t n = strcspn(p, ":/?#");
        if (*p == '[') /* IPv6 literal */
            n = strcspn(p, "]") + 1;
        if (n > 0 && n <= 64)
            snprintf(out, len, "%.*s", (int)n, p);
        return;
    }
    if (strlen(uri) <= 64)
        snprintf(out, len, "%s", uri);
}

/* The certificate, and its reservation marked issued in the same
 * statement (no row when it is no longer 'reserved'). */
DB_STMT(q_insert, 14,
        "WITH " SIG_ISSUED_CTE("$13", "$11") " "
        "INSERT INTO certificates AS c (serial, ca_id, member_id, profile, subject, uris, "
        "key_description, not_before, not_after, der, fingerprint_sha256, renewed_from, "
        "signature_id, key_origin) SELECT $1, $2, $3::bigint, $4, $5, "
        "ARRAY(SELECT json_array_elements_text($6::json)), $7, "
        "to_timestamp($8::bigint), to_timestamp($9::bigint), $10, $11, $12, s.id, $14 FROM s "
        "RETURNING " CERT_COLUMNS);

/* What check_member needs besides the request: computed once per issuance. */
struct member_check {
    const char *uris_json;            /* rq->uris as a JSON array */
    char kinds[32];                   /* the profile's URI kinds, "{client,server}" */
    unsigned char spki[32];           /* the key's SPKI SHA-256 */
    bool has_key;
};

struct issue_ctx {
    struct signer_pool *pool;
    const struct ca_info *ca;
    const struct config *cfg;
    const struct issue_req *rq;
    const struct profile_conf *profile;
    const struct audit_actor *actor;
    struct problem *err;
    char serial[SERIAL_HEX_MAX];
    PGresult *row; /* the stored certificate (CERT_COLUMNS) */
    char org[MEMBER_NAME_MAX]; /* the member's name the certificate carries */
    char subj[512];
    char sig_id[SIG_ID_MAX]; /* its row in the signature record */
    unsigned char *tbs;      /* its TBSCertificate, until signed */
    size_t tbs_len;
    unsigned char *der;      /* the signed certificate, signed once */
    size_t der_len;
    time_t not_before, not_after;
    struct member_check mc;
};

static enum db_rc fail(struct problem *err, enum problem_kind kind, const char *detail)
{
    problem_set(err, kind, NULL, "%s", detail);
    return DB_ERROR;
}

static const char *const kind_names[] = {"client", "server", "idp"};

/* In one round trip: the member, locked FOR SHARE until commit (so that a
 * concurrent suspension waits for this certificate and then holds it);
 * whether the key ($2, the SPKI's SHA-256; NULL in the keygen precheck,
 * before the key exists) is one revoked for keyCompromise; and the first
 * URI of $3 (a JSON array) that is not an approved URI of the member of a
 * kind in $4, 1-based, 0 when there is none. */
DB_STMT(q_check, 4,
        "SELECT m.status, m.name, $2::bytea IS NOT NULL AND EXISTS "
        "(SELECT 1 FROM compromised_keys k WHERE k.spki_sha256 = $2::bytea), "
        "coalesce((SELECT min(x.i) FROM json_array_elements_text($3::json) "
        "WITH ORDINALITY AS x(uri, i) WHERE NOT EXISTS (SELECT 1 FROM member_uris u "
        "WHERE u.member_id = m.id AND u.uri = x.uri AND u.status = 'approved' "
        "AND u.kind = ANY($4::text[]))), 0) "
        "FROM members m WHERE m.id = $1::bigint FOR SHARE OF m");

static int member_check_init(struct member_check *mc, const struct issue_req *rq,
                             const struct profile_conf *profile, char *uris_json)
{
    mc->uris_json = uris_json;
    size_t n = 0;
    mc->kinds[n++] = '{';
    for (unsigned k = 0; k < 3; k++)
        if (profile->uri_kinds & (1u << k))
            n += (size_t)snprintf(mc->kinds + n, sizeof mc->kinds - n, "%s%s",
                                  n > 1 ? "," : "", kind_names[k]);
    snprintf(mc->kinds + n, sizeof mc->kinds - n, "}");
    mc->has_key = rq->pubkey != NULL;
    return mc->has_key ? ca_spki_sha256(rq->pubkey, mc->spki) : 0;
}

/* The member is active, the key not compromised, and every URI an
 * approved one of a kind the profile takes (q_check). */
static enum db_rc check_member(struct db *db, const struct issue_req *rq,
                               const struct profile_conf *profile,
                               const struct member_check *mc,
                               char org[MEMBER_NAME_MAX], struct problem *err)
{
    const char *p[] = {rq->member_id, mc->has_key ? (const char *)mc->spki : NULL,
                       mc->uris_json, mc->kinds};
    int lens[] = {0, 32, 0, 0}, fmts[] = {0, 1, 0, 0};
    PGresult *res;
    enum db_rc rc = db_exec_bin(db, &q_check, &res, p, lens, fmts, 0);
    if (rc != DB_OK)
        return rc;
    if (PQntuples(res) != 1) {
        PQclear(res);
        return fail(err, PK_MEMBER_NOT_FOUND, "no such member");
    }
    const char *status = PQgetvalue(res, 0, 0);
    snprintf(org, MEMBER_NAME_MAX, "%s", PQgetvalue(res, 0, 1));
    bool compromised = PQgetvalue(res, 0, 2)[0] == 't';
    long bad = atol(PQgetvalue(res, 0, 3)) - 1;
    if (strcmp(status, "active")) {
        problem_set(err, PK_MEMBER_NOT_ACTIVE, NULL,
                    "the member is %s; only active members get certificates", status);
        PQclear(res);
        return DB_ERROR;
    }
    PQclear(res);
    if (compromised)
        return fail(err, PK_KEY_COMPROMISED,
                    "this public key belongs to a certificate revoked for keyCompromise; "
                    "a compromised key is never certified again: make a new key pair");
    if (bad >= 0 && (size_t)bad < rq->n_uris) {
        char kinds[32] = "";
        for (unsigned k = 0; k < 3; k++)
            if (profile->uri_kinds & (1u << k))
                snprintf(kinds + strlen(kinds), sizeof kinds - strlen(kinds), "%s%s",
                         kinds[0] ? " or " : "", kind_names[k]);
        problem_set(err, PK_URI_NOT_APPROVED, NULL,
                    "uris[%ld] (%.300s) is not an approved URI of this member of a kind "
                    "the %s profile takes (%s)",
                    bad, rq->uris[bad], profile->name, kinds);
        return DB_ERROR;
    }
    return DB_OK;
}

static void db_fail(struct db *db, enum db_rc rc, struct problem *err);

/* The TBSCertificate for the checked member (c->org), under a fresh
 * random serial: c->tbs (malloc'd), c->serial, c->subj and the validity.
 * 0, or -1 with err. */
static int build_tbs(struct issue_ctx *c)
{
    const struct issue_req *rq = c->rq;
    struct problem *err = c->err;
    char cn[80] = ""; /* subject = O alone: no CN */
    if (rq->common_name)
        snprintf(cn, sizeof cn, "%s", rq->common_name);
    else if (c->profile->subject_cn)
        default_cn(rq->uris[0], cn, sizeof cn);
    X509_NAME *subject = pki_name_org_cn(c->org, cn, err);
    if (!subject)
        return -1;
    struct pki_leaf_spec spec = {
        .pubkey = rq->pubkey, .subject = subject, .uris = rq->uris, .n_uris = rq->n_uris,
        .spki = rq->csr ? X509_REQ_get_X509_PUBKEY(rq->csr) : NULL,
        .crl_url = c->ca->crl_url, .aia_url = c->ca->cert_url,
        .eku_client_auth = c->profile->eku_client_auth,
        .eku_server_auth = c->profile->eku_server_auth,
        .policies = (const char *const *)c->profile->policies,
        .n_policies = c->profile->n_policies};
    time_t now = time(NULL);
    spec.not_before = now - BACKDATE_SECONDS;
    spec.not_after = now + (time_t)c->profile->validity_days * 86400;
    /* clamp here as pki_leaf_build_tbs does, so that the row and the answer
     * carry the validity that is in the certificate (a CA made less than 5
     * minutes ago starts after now - BACKDATE_SECONDS) */
    if (spec.not_before < c->ca->not_before)
        spec.not_before = c->ca->not_before;
    if (spec.not_after > c->ca->not_after)
        spec.not_after = c->ca->not_after;
    c->not_before = spec.not_before;
    c->not_after = spec.not_after;
    ca_name_string(subject, c->subj, sizeof c->subj);
    const unsigned char *alg;
    size_t alg_len;
    free(c->tbs);
    c->tbs = NULL;
    int rc = -1;
    if (pki_random_serial(spec.serial))
        problem_set(err, PK_SERIAL_FAILED, NULL, "no random serial");
    else if (pki_leaf_build_tbs(&spec, c->ca->cert, &c->tbs, &c->tbs_len, &alg, &alg_len, err) == 0) {
        hex_encode(spec.serial, sizeof spec.serial, c->serial);
        rc = 0;
    }
    X509_NAME_free(subject);
    return rc;
}

/* Before signing, in one transaction whose commit does not wait for the
 * disk (the storing transaction's durable commit flushes it too): the
 * member may have the certificate, its TBS, and the serial reserved in the
 * signature record with the TBS's hash. */
static enum db_rc reserve_tx(struct db *db, void *arg)
{
    struct issue_ctx *c = arg;
    c->sig_id[0] = 0;
    enum db_rc rc = check_member(db, c->rq, c->profile, &c->mc, c->org, c->err);
    if (rc != DB_OK)
        return rc;
    if (build_tbs(c) != 0)
        return DB_ERROR;
    return sig_reserve_here(db, c->ca->id, "certificate", c->serial, 0, c->tbs, c->tbs_len,
                            c->actor, c->sig_id);
}

/* Reserves (as above) and has the TBS signed, once. 0, or -1 with err
 * (c->sig_id set when a reservation was made and must be abandoned). */
static int sign_once(struct db *db, struct issue_ctx *c)
{
    enum db_rc rc = DB_CONFLICT;
    /* a serial is reserved once, ever: a collision (2^-159) draws again */
    for (int i = 0; i < 3 && rc == DB_CONFLICT; i++)
        rc = db_tx(db, DB_READ_COMMITTED_ASYNC, reserve_tx, c);
    if (rc != DB_OK) {
        c->sig_id[0] = 0; /* rolled back: nothing to abandon */
        db_fail(db, rc, c->err);
        return -1;
    }
    int src = signer_sign_cert(c->pool, c->ca->id, c->tbs, c->tbs_len, &c->der, &c->der_len,
                               c->err);
    free(c->tbs);
    c->tbs = NULL;
    if (src) {
        free(c->der);
        c->der = NULL;
        return -1;
    }
    return 0;
}

/* Stores the certificate signed once (retried as a whole by db_tx: the
 * same DER every time), the member checked again under its lock. */
static enum db_rc store_tx(struct db *db, void *arg)
{
    struct issue_ctx *c = arg;
    const struct issue_req *rq = c->rq;
    char org[MEMBER_NAME_MAX];
    enum db_rc rc = check_member(db, rq, c->profile, &c->mc, org, c->err);
    if (rc != DB_OK)
        return rc;
    if (strcmp(org, c->org))
        return fail(c->err, PK_MEMBER_CHANGED,
                    "the member was renamed while its certificate was being signed; "
                    "try again");
    char fp[PKI_FP_HEX_SIZE], keydesc[32], nb[24], na[24];
    pki_fingerprint_sha256(c->der, c->der_len, false, fp);
    pki_key_describe(rq->pubkey, keydesc, sizeof keydesc);
    snprintf(nb, sizeof nb, "%lld", (long long)c->not_before);
    snprintf(na, sizeof na, "%lld", (long long)c->not_after);
    const char *p[] = {c->serial, c->ca->id, rq->member_id, c->profile->name, c->subj,
                       c->mc.uris_json, keydesc, nb, na, (const char *)c->der, fp,
                       rq->renewed_from, c->sig_id, rq->keygen ? "keygen" : "csr"};
    int lens[14] = {[9] = (int)c->der_len};
    int fmts[14] = {[9] = 1};
    PQclear(c->row); /* from an attempt that was retried */
    c->row = NULL;
    rc = db_exec_bin(db, &q_insert, &c->row, p, lens, fmts, 0);
    if (rc == DB_OK && PQntuples(c->row) != 1)
        return fail(c->err, PK_SIGNATURE_NOT_RESERVED,
                    "the signature record no longer holds this certificate's reservation");
    if (rc != DB_OK)
        return rc;
    json_t *d = json_pack("{s:s, s:s, s:s, s:o, s:s, s:s, s:s}", "member_id", rq->member_id,
                          "profile", c->profile->name, "ca", c->ca->id, "uris",
                          json_loads(c->mc.uris_json, 0, NULL),
                          "key", keydesc, "key_origin", rq->keygen ? "keygen" : "csr",
                          "signature_id", c->sig_id);
    if (rq->renewed_from)
        json_object_set_new(d, "renewed_from", json_string(rq->renewed_from));
    return audit_write(db, c->actor, rq->renewed_from ? "certificate.renew" : "certificate.issue",
                       "certificate", c->serial, d);
}

/* The checks that need neither the key nor the database. */
static int check_request(struct signer_pool *pool, const struct ca_set *set,
                         const struct config *cfg, const struct issue_req *rq,
                         const struct profile_conf **profile_out,
                         const struct ca_info **ca_out, struct problem *err)
{
    problem_clear(err);
    const struct profile_conf *profile = profile_find(cfg, rq->profile);
    const struct ca_info *ca = ca_issuing(set);
    if (!profile)
        return problem_set(err, PK_PROFILE_UNKNOWN, NULL,
                           "no profile %.64s (see GET /api/v1/profiles)", rq->profile);
    if (!ca || !pool)
        return problem_set(err, PK_CA_UNAVAILABLE, NULL,
                           "this community has no issuing CA yet (troth init)");
    if (rq->only_member && strcmp(rq->only_member, rq->member_id))
        return problem_set(err, PK_MEMBER_NOT_FOUND, NULL, "no such member");
    if (rq->n_uris == 0)
        return problem_set(err, PK_URI_MISSING, NULL, "at least one URI is required");
    if (rq->n_uris > MAX_URIS || rq->n_uris > profile->max_uris)
        return problem_set(err, PK_URI_INVALID_422, NULL, "at most %u URIs under the %s profile",
                           profile->max_uris < MAX_URIS ? profile->max_uris : MAX_URIS,
                           profile->name);
    for (size_t i = 0; i < rq->n_uris; i++) {
        if (!pki_uri_acceptable(rq->uris[i]))
            return problem_set(err, PK_URI_INVALID, NULL, "uris[%zu] is not a valid URI", i);
        for (size_t j = 0; j < i; j++)
            if (!strcmp(rq->uris[i], rq->uris[j]))
                return problem_set(err, PK_URI_DUPLICATE, NULL, "uris[%zu] is given twice", i);
    }
    if (profile_check_fragments(profile, rq->uris, rq->n_uris, err))
        return -1;
    if (rq->common_name && (!*rq->common_name || strlen(rq->common_name) > 64))
        return problem_set(err, PK_COMMON_NAME_INVALID, NULL,
                           "common_name must be 1 to 64 characters");
    if (rq->common_name && !profile->subject_cn)
        return problem_set(err, PK_COMMON_NAME_INVALID, NULL,
                           "the %s profile's subject is O alone ([profile %s] subject): "
                           "no common_name", profile->name, profile->name);
    *profile_out = profile;
    *ca_out = ca;
    return 0;
}

static void db_fail(struct db *db, enum db_rc rc, struct problem *err)
{
    if (problem_is_set(err))
        return;
    const char *state = db_last_sqlstate(db);
    if (rc == DB_UNAVAILABLE)
        problem_set(err, PK_DATABASE_UNAVAILABLE, NULL, "the database is unavailable");
    else if (!strcmp(state, "40001") || !strcmp(state, "40P01"))
        problem_set(err, PK_DATABASE_BUSY, NULL,
                    "the database kept refusing the transaction (serialization failures); "
                    "try again");
    else if (rc == DB_CONFLICT)
        problem_set(err, PK_SERIAL_CONFLICT, NULL, "serial collision; try again");
    else
        problem_set(err, PK_DATABASE_ERROR, NULL, "%s", db_last_error(db));
}

struct precheck_ctx {
    const struct issue_req *rq;
    const struct profile_conf *profile;
    struct problem *err;
    struct member_check mc;
};

/* rq->uris as a compact JSON array (malloc'd), or NULL. */
static char *uris_json(const struct issue_req *rq)
{
    json_t *a = json_array();
    for (size_t i = 0; i < rq->n_uris; i++)
        json_array_append_new(a, json_string(rq->uris[i]));
    char *s = json_dumps(a, JSON_COMPACT);
    json_decref(a);
    return s;
}

static enum db_rc precheck_tx(struct db *db, void *arg)
{
    struct precheck_ctx *c = arg;
    char org[MEMBER_NAME_MAX];
    return check_member(db, c->rq, c->profile, &c->mc, org, c->err);
}

int ca_issue_precheck(struct db *db, struct signer_pool *pool, const struct ca_set *set,
                      const struct config *cfg, const struct issue_req *rq,
                      const char *key_type, struct problem *err)
{
    const struct profile_conf *profile;
    const struct ca_info *ca;
    if (check_request(pool, set, cfg, rq, &profile, &ca, err))
        return -1;
    unsigned type = config_key_type(key_type);
    if (!profile_takes_key(profile, type)) {
        char list[96];
        profile_key_list(profile, list, sizeof list);
        bool rsa_only = !(profile->key_types & (PROFILE_KEY_EC_P256 | PROFILE_KEY_EC_P384));
        if (rsa_only && strncmp(key_type, "RSA-", 4))
            return problem_set(err, PK_RSA_REQUIRED, NULL,
                               "the %s profile takes RSA keys only (%s)", profile->name, list);
        return problem_set(err, PK_KEY_TYPE_NOT_ALLOWED, NULL,
                           "the %s profile takes %s keys; not %s", profile->name, list,
                           key_type);
    }
    struct precheck_ctx c = {rq, profile, err, {0}};
    char *json = uris_json(rq);
    if (!json || member_check_init(&c.mc, rq, profile, json)) {
        free(json);
        return problem_set(err, PK_OUT_OF_MEMORY, NULL, "out of memory");
    }
    enum db_rc rc = db_tx(db, DB_READ_COMMITTED, precheck_tx, &c);
    free(json);
    if (rc == DB_OK)
        return 0;
    db_fail(db, rc, err);
    return -1;
}

/* Reserves, signs and stores a checked request. 0, or -1 with c->err. */
static int issue_checked(struct db *db, struct issue_ctx *c, char serial_out[SERIAL_HEX_MAX],
                         PGresult **row)
{
    struct problem *err = c->err;
    if (sign_once(db, c) != 0) {
        free(c->tbs);
        if (c->sig_id[0]) /* reserved, and the signer refused or failed */
            sig_abandon(db, c->sig_id, NULL, 0, problem_is_set(err) ? err->detail : "signer failed");
        return -1;
    }
    enum db_rc rc = db_tx(db, DB_READ_COMMITTED, store_tx, c);
    if (rc == DB_OK) {
        free(c->der);
        metrics_certificate_issued(c->profile->name);
        memcpy(serial_out, c->serial, SERIAL_HEX_MAX);
        if (row)
            *row = c->row;
        else
            PQclear(c->row);
        return 0;
    }
    PQclear(c->row);
    db_fail(db, rc, err);
    if (c->der) { /* signed, not stored: the record says so and why */
        char why[600];
        snprintf(why, sizeof why, "not stored: %s (%s)", err->detail,
                 problem_kind_name(err->kind));
        sig_abandon(db, c->sig_id, c->der, c->der_len, why);
        free(c->der);
    }
    return -1;
}

int ca_issue(struct db *db, struct signer_pool *pool, const struct ca_set *set,
             const struct config *cfg, const struct issue_req *rq,
             const struct audit_actor *actor, char serial_out[SERIAL_HEX_MAX],
             PGresult **row, struct problem *err)
{
    if (row)
        *row = NULL;
    const struct profile_conf *profile;
    const struct ca_info *ca;
    if (check_request(pool, set, cfg, rq, &profile, &ca, err))
        return -1;
    char list[96];
    profile_key_list(profile, list, sizeof list);
    struct pki_key_policy policy = {
        !(profile->key_types & (PROFILE_KEY_EC_P256 | PROFILE_KEY_EC_P384)),
        profile->key_types, list};
    if (rq->csr ? pki_csr_check(rq->csr, &policy, err) : pki_key_check(rq->pubkey, &policy, err))
        return -1;
    struct issue_ctx c = {.pool = pool, .ca = ca, .cfg = cfg, .rq = rq, .profile = profile,
                          .actor = actor, .err = err};
    char *json = uris_json(rq);
    if (!json || member_check_init(&c.mc, rq, profile, json)) {
        free(json);
        return problem_set(err, PK_ENCODE_FAILED, NULL, "the key or the URIs could not be encoded");
    }
    int done = issue_checked(db, &c, serial_out, row);
    free(json);
    return done;
}

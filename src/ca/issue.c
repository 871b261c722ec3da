#include "ca/issue.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit/audit.h"
#include "ca/cert_view.h"
#include "ca/crl_gen.h"
#include "ca/profiles.h"
#include "ca/registry.h"
#include "config.h"
#include "member/member.h"
#include "pki/ca.h"
#include "pki/crl.h"
#include "pki/csr.h"
#include "pki/encode.h"
#include "pki/ext.h"
#include "pki/keys.h"
#include "pki/leaf.h"
#include "signer/client.h"
#include "util/hex.h"

#define BACKDATE_SECONDS 300 /* notBefore at most 5 minutes in the past */
#define MAX_URIS 16

bool ca_serial_valid(const char *s)
{
    size_t n = strlen(s);
    if (n < 2 || n > 40)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

const char *ca_err_field(const char *code)
{
    static const struct { const char *code, *field; } map[] = {
        {"csr_malformed", "csr"}, {"csr_signature_invalid", "csr"},
        {"key_weak", "csr"}, {"key_type_not_allowed", "csr"}, {"rsa_required", "csr"},
        {"uri_invalid", "uris"}, {"uri_missing", "uris"}, {"uri_not_approved", "uris"},
{"uri_duplicate", "uris"},
        {"member_not_found", "member_id"}, {"member_not_active", "member_id"},
        {"profile_unknown", "profile"}, {"reason_invalid", "reason"},
        {"common_name_invalid", "common_name"}, {"key_spec_invalid", "key_type"},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (!strcmp(map[i].code, code))
            return map[i].field;
    return NULL;
}

/* The CN: the given name, or the first URI's host, or the URI itself. */
static void default_cn(const char *uri, char *out, size_t len)
{
    const char *p = strstr(uri, "://");
    if (p) {
        p += 3;
        const char *at = strchr(p, '@'), *end = p + strcspn(p, "/?#");
        if (at && at < end)
            p = at + 1;
        size_t n = strcspn(p, ":/?#");
        if (*p == '[') /* IPv6 literal */
            n = strcspn(p, "]") + 1;
        if (n > 0 && n < 64) {
            snprintf(out, len, "%.*s", (int)n, p);
            return;
        }
    }
    snprintf(out, len, "%.64s", uri);
}

DB_STMT(q_insert, 12,
        "INSERT INTO certificates AS c (serial, ca_id, member_id, profile, subject, uris, "
        "key_description, not_before, not_after, der, fingerprint_sha256, renewed_from) "
        "VALUES ($1, $2, $3::bigint, $4, $5, "
        "ARRAY(SELECT json_array_elements_text($6::json)), $7, "
        "to_timestamp($8::bigint), to_timestamp($9::bigint), $10, $11, $12) "
        "RETURNING " CERT_COLUMNS);

struct issue_ctx {
    struct signer_pool *pool;
    const struct ca_info *ca;
    const struct config *cfg;
    const struct issue_req *rq;
    const struct profile *profile;
    const struct audit_actor *actor;
    struct pki_err *err;
    char serial[SERIAL_HEX_MAX];
    PGresult *row; /* the stored certificate (CERT_COLUMNS) */
};

static enum db_rc fail(struct pki_err *err, int status, const char *code,
                       const char *detail)
{
    pki_err_set(err, status, code, "%s", detail);
    return DB_ERROR;
}

static enum db_rc issue_tx(struct db *db, void *arg)
{
    struct issue_ctx *c = arg;
    const struct issue_req *rq = c->rq;
    struct pki_err *err = c->err;
    /* the member row stays locked (FOR SHARE) until commit: a concurrent
     * suspension waits for this certificate and then holds it */
    char status[16], org[MEMBER_NAME_MAX];
    enum db_rc rc = member_lock(db, rq->member_id, status, org);
    if (rc == DB_NOTFOUND)
        return fail(err, 404, "member_not_found", "no such member");
    if (rc != DB_OK)
        return rc;
    if (strcmp(status, "active")) {
        pki_err_set(err, 422, "member_not_active",
                    "the member is %s; only active members get certificates", status);
        return DB_ERROR;
    }
    size_t bad = 0;
    rc = member_uris_approved(db, rq->member_id, c->profile->uri_kinds, rq->uris,
                              rq->n_uris, &bad);
    if (rc == DB_NOTFOUND) {
        pki_err_set(err, 422, "uri_not_approved",
                    "uris[%zu] (%.300s) is not an approved URI of this member of a kind "
                    "the %s profile takes (%s)",
                    bad, rq->uris[bad], c->profile->name,
                    c->profile->uri_kinds == URI_KIND_CLIENT ? "client"
                                                             : "server or idp");
        return DB_ERROR;
    }
    if (rc != DB_OK)
        return rc;

    char cn[80];
    if (rq->common_name)
        snprintf(cn, sizeof cn, "%s", rq->common_name);
    else
        default_cn(rq->uris[0], cn, sizeof cn);
    X509_NAME *subject = pki_name_org_cn(org, cn, err);
    if (!subject)
        return DB_ERROR;
    struct pki_leaf_spec spec = {
        .pubkey = rq->pubkey, .subject = subject, .uris = rq->uris, .n_uris = rq->n_uris,
        .spki = rq->csr ? X509_REQ_get_X509_PUBKEY(rq->csr) : NULL,
        .crl_url = c->ca->crl_url, .aia_url = c->ca->cert_url,
        .eku_client_auth = c->profile->eku_client_auth,
        .eku_server_auth = c->profile->eku_server_auth};
    time_t now = time(NULL);
    spec.not_before = now - BACKDATE_SECONDS;
    spec.not_after = now + (time_t)c->profile->days * 86400;
    /* clamp here as pki_leaf_build_tbs does, so that the row and the answer
     * carry the validity that is in the certificate (a CA made less than 5
     * minutes ago starts after now - BACKDATE_SECONDS) */
    if (spec.not_before < c->ca->not_before)
        spec.not_before = c->ca->not_before;
    if (spec.not_after > c->ca->not_after)
        spec.not_after = c->ca->not_after;
    unsigned char *tbs = NULL, *der = NULL;
    size_t tbs_len = 0, der_len = 0;
    const unsigned char *alg;
    size_t alg_len;
    int prc = pki_random_serial(spec.serial) ||
              pki_leaf_build_tbs(&spec, c->ca->cert, &tbs, &tbs_len, &alg, &alg_len, err) ||
              signer_sign_cert(c->pool, c->ca->id, tbs, tbs_len, &der, &der_len, err);
    char subj[512];
    ca_name_string(subject, subj, sizeof subj);
    X509_NAME_free(subject);
    free(tbs);
    if (prc) {
        free(der);
        if (!err->code[0])
            pki_err_set(err, 500, "serial_failed", "no random serial");
        return DB_ERROR;
    }
    hex_encode(spec.serial, sizeof spec.serial, c->serial);
    char fp[PKI_FP_HEX_SIZE], keydesc[32], nb[24], na[24];
    pki_fingerprint_sha256(der, der_len, false, fp);
    pki_key_describe(rq->pubkey, keydesc, sizeof keydesc);
    time_t not_after = spec.not_after;
    snprintf(nb, sizeof nb, "%lld", (long long)spec.not_before);
    snprintf(na, sizeof na, "%lld", (long long)not_after);
    json_t *uris = json_array();
    for (size_t i = 0; i < rq->n_uris; i++)
        json_array_append_new(uris, json_string(rq->uris[i]));
    char *uris_json = json_dumps(uris, JSON_COMPACT);
    const char *p[] = {c->serial, c->ca->id, rq->member_id, c->profile->name, subj,
                       uris_json, keydesc, nb, na, (const char *)der, fp,
                       rq->renewed_from};
    int lens[12] = {[9] = (int)der_len};
    int fmts[12] = {[9] = 1};
    PQclear(c->row); /* from an attempt that was retried */
    c->row = NULL;
    rc = db_exec_bin(db, &q_insert, &c->row, p, lens, fmts, 0);
    free(der);
    free(uris_json);
    if (rc != DB_OK) {
        json_decref(uris);
        return rc;
    }
    json_t *d = json_pack("{s:s, s:s, s:s, s:o, s:s}", "member_id", rq->member_id,
                          "profile", c->profile->name, "ca", c->ca->id, "uris", uris,
                          "key", keydesc);
    if (rq->renewed_from)
        json_object_set_new(d, "renewed_from", json_string(rq->renewed_from));
    return audit_write(db, c->actor, rq->renewed_from ? "certificate.renew" : "certificate.issue",
                       "certificate", c->serial, d);
}

int ca_issue(struct db *db, struct signer_pool *pool, const struct ca_set *set,
             const struct config *cfg, const struct issue_req *rq,
             const struct audit_actor *actor, char serial_out[SERIAL_HEX_MAX],
             PGresult **row, struct pki_err *err)
{
    if (row)
        *row = NULL;
    pki_err_clear(err);
    struct profile storage;
    const struct profile *profile = profile_find(cfg, rq->profile, &storage);
    const struct ca_info *ca = ca_issuing(set);
    if (!profile)
        return pki_err_set(err, 422, "profile_unknown",
                           "no profile %.64s (see GET /api/v1/profiles)", rq->profile);
    if (!ca || !pool)
        return pki_err_set(err, 503, "ca_unavailable",
                           "this community has no issuing CA yet (troth init)");
    if (rq->only_member && strcmp(rq->only_member, rq->member_id))
        return pki_err_set(err, 404, "member_not_found", "no such member");
    if (rq->n_uris == 0)
        return pki_err_set(err, 422, "uri_missing", "at least one URI is required");
    if (rq->n_uris > MAX_URIS)
        return pki_err_set(err, 422, "uri_invalid", "at most %d URIs", MAX_URIS);
    for (size_t i = 0; i < rq->n_uris; i++) {
        if (!pki_uri_acceptable(rq->uris[i]))
            return pki_err_set(err, 400, "uri_invalid", "uris[%zu] is not a valid URI", i);
        for (size_t j = 0; j < i; j++)
            if (!strcmp(rq->uris[i], rq->uris[j]))
                return pki_err_set(err, 422, "uri_duplicate", "uris[%zu] is given twice", i);
    }
    if (rq->common_name && (!*rq->common_name || strlen(rq->common_name) > 64))
        return pki_err_set(err, 400, "common_name_invalid",
                           "common_name must be 1 to 64 characters");
    struct pki_key_policy policy = {profile->rsa_only};
    if (rq->csr ? pki_csr_check(rq->csr, &policy, err) : pki_key_check(rq->pubkey, &policy, err))
        return -1;
    struct issue_ctx c = {pool, ca, cfg, rq, profile, actor, err, "", NULL};
    enum db_rc rc = db_tx(db, DB_READ_COMMITTED, issue_tx, &c);
    if (rc == DB_OK) {
        memcpy(serial_out, c.serial, SERIAL_HEX_MAX);
        if (row)
            *row = c.row;
        else
            PQclear(c.row);
        return 0;
    }
    PQclear(c.row);
    if (!err->code[0]) {
        if (rc == DB_UNAVAILABLE)
            pki_err_set(err, 503, "database_unavailable", "the database is unavailable");
        else if (rc == DB_CONFLICT)
            pki_err_set(err, 409, "serial_conflict", "serial collision; try again");
        else
            pki_err_set(err, 500, "database_error", "%s", db_last_error(db));
    }
    return -1;
}

/* ---- revocation ---- */

DB_STMT(q_lock_cert, 2,
        "SELECT status, ca_id, member_id::text FROM certificates WHERE serial = $1 "
        "AND ($2::bigint IS NULL OR member_id = $2::bigint) FOR UPDATE");
/* A revocation is dated by one reading of the database clock (the CRL's
 * clock), truncated to the second and set back by crl_backdate_seconds ($4),
 * so it is never later than the thisUpdate of the first CRL that lists it;
 * the API shows the same time as the CRL. */
#define REVOKED_NOW "date_trunc('second', now()) - make_interval(secs => $4::int)"
DB_STMT(q_set_status, 4,
        "UPDATE certificates SET status = $2, revocation_reason = $3, "
        "revoked_at = CASE WHEN $2 = 'valid' THEN NULL "
        "                  ELSE coalesce(revoked_at, " REVOKED_NOW ") END, "
        "held_for_suspension = false WHERE serial = $1");
/* a certificate revoked while on hold keeps the time of the hold as its
 * revocation date: it has been unusable since then */
DB_STMT(q_bump, 1,
        "UPDATE cas SET crl_generation = crl_generation + 1 WHERE id = $1");
DB_STMT(q_notify_revoked, 1, "SELECT pg_notify('troth_revoked', $1)");

struct revoke_ctx {
    const char *serial, *reason, *only_member;
    bool unhold;
    const struct audit_actor *actor;
    struct pki_err *err;
};

static enum db_rc status_change(struct db *db, const char *serial, const char *ca_id,
                                const char *status, const char *reason)
{
    enum db_rc rc;
    char backdate[16];
    snprintf(backdate, sizeof backdate, "%u", crl_backdate_seconds());
    const char *p[] = {serial, status, reason, backdate};
    if ((rc = db_exec(db, &q_set_status, NULL, p)) != DB_OK)
        return rc;
    if ((rc = db_exec(db, &q_bump, NULL, (const char *[]){ca_id})) != DB_OK)
        return rc;
    return db_exec(db, &q_notify_revoked, NULL, (const char *[]){ca_id});
}

static enum db_rc revoke_tx(struct db *db, void *arg)
{
    struct revoke_ctx *c = arg;
    PGresult *res;
    enum db_rc rc = db_exec(db, &q_lock_cert, &res,
                            (const char *[]){c->serial, c->only_member});
    if (rc != DB_OK)
        return rc;
    if (PQntuples(res) != 1) {
        PQclear(res);
        return fail(c->err, 404, "certificate_not_found", "no such certificate");
    }
    char status[16], ca_id[CA_ID_MAX];
    snprintf(status, sizeof status, "%s", PQgetvalue(res, 0, 0));
    snprintf(ca_id, sizeof ca_id, "%s", PQgetvalue(res, 0, 1));
    PQclear(res);
    const char *new_status, *reason, *action;
    if (c->unhold) {
        if (strcmp(status, "on_hold"))
            return fail(c->err, 409, "not_on_hold", "the certificate is not on hold");
        new_status = "valid", reason = NULL, action = "certificate.unhold";
    } else {
        bool hold = !strcmp(c->reason, "certificateHold");
        if (!strcmp(status, "revoked"))
            return fail(c->err, 409, "already_revoked", "the certificate is already revoked");
        if (hold && !strcmp(status, "on_hold"))
            return fail(c->err, 409, "already_on_hold", "the certificate is already on hold");
        new_status = hold ? "on_hold" : "revoked";
        reason = c->reason;
        action = hold ? "certificate.hold" : "certificate.revoke";
    }
    if ((rc = status_change(db, c->serial, ca_id, new_status, reason)) != DB_OK)
        return rc;
    return audit_write(db, c->actor, action, "certificate", c->serial,
                       reason ? json_pack("{s:s}", "reason", reason) : NULL);
}

static int run_revoke(struct db *db, struct revoke_ctx *c)
{
    enum db_rc rc = db_tx(db, DB_READ_COMMITTED, revoke_tx, c);
    if (rc == DB_OK)
        return 0;
    if (!c->err->code[0])
        pki_err_set(c->err, rc == DB_UNAVAILABLE ? 503 : 500,
                    rc == DB_UNAVAILABLE ? "database_unavailable" : "database_error",
                    "%s", db_last_error(db));
    return -1;
}

int ca_revoke(struct db *db, const char *serial, const char *reason,
              const char *only_member, const struct audit_actor *actor,
              struct pki_err *err)
{
    pki_err_clear(err);
    int code = pki_crl_reason_from_name(reason);
    if (code < 0 || code == 2 /* cACompromise */ || code == 10 /* aACompromise */)
        return pki_err_set(err, 400, "reason_invalid",
                           "reason must be one of unspecified, keyCompromise, "
                           "affiliationChanged, superseded, cessationOfOperation, "
                           "certificateHold, privilegeWithdrawn");
    if (only_member && !strcmp(reason, "certificateHold"))
        return pki_err_set(err, 403, "hold_not_allowed",
                           "members may revoke their certificates but not hold them");
    if (!ca_serial_valid(serial))
        return pki_err_set(err, 404, "certificate_not_found", "no such certificate");
    struct revoke_ctx c = {serial, reason, only_member, false, actor, err};
    return run_revoke(db, &c);
}

int ca_unhold(struct db *db, const char *serial, const struct audit_actor *actor,
              struct pki_err *err)
{
    pki_err_clear(err);
    if (!ca_serial_valid(serial))
        return pki_err_set(err, 404, "certificate_not_found", "no such certificate");
    struct revoke_ctx c = {serial, NULL, NULL, true, actor, err};
    return run_revoke(db, &c);
}

/* ---- a member's status ---- */

/* suspension holds the valid ones (marked as held for it); reinstatement
 * lifts only those; termination revokes everything not yet revoked */
DB_STMT(q_member_certs, 3,
        "UPDATE certificates SET status = $2, "
        "revocation_reason = CASE $2 WHEN 'valid' THEN NULL WHEN 'on_hold' "
        "  THEN 'certificateHold' ELSE 'privilegeWithdrawn' END, "
        "revoked_at = CASE $2 WHEN 'valid' THEN NULL ELSE coalesce(revoked_at, "
        "  date_trunc('second', now()) - make_interval(secs => $3::int)) END, "
        "held_for_suspension = ($2 = 'on_hold') "
        "WHERE member_id = $1::bigint AND not_after > now() AND ("
        "  ($2 = 'on_hold' AND status = 'valid') OR "
        "  ($2 = 'valid' AND status = 'on_hold' AND held_for_suspension) OR "
        "  ($2 = 'revoked' AND status <> 'revoked')) "
        "RETURNING ca_id, serial");

enum db_rc ca_member_status_changed(struct db *db, const char *member_id,
                                    const char *old_status, const char *new_status,
                                    const struct audit_actor *actor)
{
    const char *to = !strcmp(new_status, "suspended")    ? "on_hold"
                     : !strcmp(new_status, "terminated") ? "revoked"
                     : (!strcmp(new_status, "active") && !strcmp(old_status, "suspended"))
                         ? "valid"
                         : NULL;
    if (!to)
        return DB_OK;
    PGresult *res;
    char backdate[16];
    snprintf(backdate, sizeof backdate, "%u", crl_backdate_seconds());
    enum db_rc rc = db_exec(db, &q_member_certs, &res,
                            (const char *[]){member_id, to, backdate});
    if (rc != DB_OK)
        return rc;
    int n = PQntuples(res);
    json_t *serials = json_array();
    char bumped[8][CA_ID_MAX];
    int nb = 0;
    for (int i = 0; i < n && rc == DB_OK; i++) {
        const char *ca = PQgetvalue(res, i, 0);
        json_array_append_new(serials, json_string(PQgetvalue(res, i, 1)));
        bool seen = false;
        for (int k = 0; k < nb; k++)
            seen |= !strcmp(bumped[k], ca);
        if (!seen && nb < 8) {
            snprintf(bumped[nb++], CA_ID_MAX, "%s", ca);
            if ((rc = db_exec(db, &q_bump, NULL, (const char *[]){ca})) == DB_OK)
                rc = db_exec(db, &q_notify_revoked, NULL, (const char *[]){ca});
        }
    }
    PQclear(res);
    if (rc != DB_OK || n == 0) {
        json_decref(serials);
        return rc;
    }
    const char *action = !strcmp(to, "on_hold") ? "certificate.hold"
                         : !strcmp(to, "valid") ? "certificate.unhold"
                                                : "certificate.revoke";
    return audit_write(db, actor, action, "member", member_id,
                       json_pack("{s:s, s:o}", "because", new_status, "serials", serials));
}

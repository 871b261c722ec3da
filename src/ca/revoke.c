/* Revocation, holds and the certificates of a member whose status changed:
 * every change of a certificate's revocation status goes through here, and
 * with it the one place that marks the CA's CRL as due. */
#include "ca/revoke.h"

#include <stdio.h>
#include <string.h>

#include "audit/audit.h"
#include "ca/cert_view.h"
#include "ca/compromised.h"
#include "ca/crl_gen.h"
#include "ca/registry.h"
#include "counters/counters.h"
#include "pki/crl.h"

static enum db_rc fail(struct problem *err, enum problem_kind kind, const char *detail)
{
    problem_set(err, kind, NULL, "%s", detail);
    return DB_ERROR;
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
    struct problem *err;
};

/* The one place a change of revocation status reaches the CRLs: the CA's
 * generation goes up (so its CRL is due) and the CRL worker is woken, in
 * the caller's transaction (the notification is sent at commit). */
static enum db_rc crl_dirty(struct db *db, const char *ca_id)
{
    enum db_rc rc = db_exec(db, &q_bump, NULL, (const char *[]){ca_id});
    return rc == DB_OK ? db_exec(db, &q_notify_revoked, NULL, (const char *[]){ca_id}) : rc;
}

static enum db_rc status_change(struct db *db, const char *serial, const char *ca_id,
                                const char *status, const char *reason)
{
    enum db_rc rc;
    char backdate[16];
    snprintf(backdate, sizeof backdate, "%u", crl_backdate_seconds());
    const char *p[] = {serial, status, reason, backdate};
    if ((rc = db_exec(db, &q_set_status, NULL, p)) != DB_OK)
        return rc;
    return crl_dirty(db, ca_id);
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
        return fail(c->err, PK_CERTIFICATE_NOT_FOUND, "no such certificate");
    }
    char status[16], ca_id[CA_ID_MAX];
    snprintf(status, sizeof status, "%s", PQgetvalue(res, 0, 0));
    snprintf(ca_id, sizeof ca_id, "%s", PQgetvalue(res, 0, 1));
    PQclear(res);
    const char *new_status, *reason, *action;
    if (c->unhold) {
        if (strcmp(status, "on_hold"))
            return fail(c->err, PK_NOT_ON_HOLD, "the certificate is not on hold");
        new_status = "valid", reason = NULL, action = "certificate.unhold";
    } else {
        bool hold = !strcmp(c->reason, "certificateHold");
        if (!strcmp(status, "revoked"))
            return fail(c->err, PK_ALREADY_REVOKED, "the certificate is already revoked");
        if (hold && !strcmp(status, "on_hold"))
            return fail(c->err, PK_ALREADY_ON_HOLD, "the certificate is already on hold");
        new_status = hold ? "on_hold" : "revoked";
        reason = c->reason;
        action = hold ? "certificate.hold" : "certificate.revoke";
    }
    if ((rc = status_change(db, c->serial, ca_id, new_status, reason)) != DB_OK)
        return rc;
    if (reason && !strcmp(reason, "keyCompromise") && /* its key stays dead at once */
        (rc = ca_mark_compromised(db, c->serial)) != DB_OK)
        return rc;
    return audit_write(db, c->actor, action, "certificate", c->serial,
                       reason ? json_pack("{s:s}", "reason", reason) : NULL);
}

static int run_revoke(struct db *db, struct revoke_ctx *c)
{
    enum db_rc rc = db_tx(db, DB_READ_COMMITTED, revoke_tx, c);
    if (rc == DB_OK) {
        if (!c->unhold)
            metrics_revoked(c->reason);
        return 0;
    }
    if (!problem_is_set(c->err))
        problem_set(c->err, rc == DB_UNAVAILABLE ? PK_DATABASE_UNAVAILABLE : PK_DATABASE_ERROR,
                    NULL, "%s", db_last_error(db));
    return -1;
}

int ca_revoke(struct db *db, const char *serial, const char *reason,
              const char *only_member, const struct audit_actor *actor,
              struct problem *err)
{
    problem_clear(err);
    int code = pki_crl_reason_from_name(reason);
    if (code < 0 || code == 2 /* cACompromise */ || code == 10 /* aACompromise */)
        return problem_set(err, PK_REASON_INVALID, NULL,
                           "reason must be one of unspecified, keyCompromise, "
                           "affiliationChanged, superseded, cessationOfOperation, "
                           "certificateHold, privilegeWithdrawn");
    if (only_member && !strcmp(reason, "certificateHold"))
        return problem_set(err, PK_HOLD_NOT_ALLOWED, NULL,
                           "members may revoke their certificates but not hold them: "
                           "a hold is the community's decision (an operator's)");
    if (only_member && !strcmp(reason, "privilegeWithdrawn"))
        return problem_set(err, PK_REASON_NOT_ALLOWED, NULL,
                           "privilegeWithdrawn is the community's decision (an "
                           "operator's), not a member's: choose another reason");
    if (!ca_serial_valid(serial))
        return problem_set(err, PK_CERTIFICATE_NOT_FOUND, NULL, "no such certificate");
    struct revoke_ctx c = {serial, reason, only_member, false, actor, err};
    return run_revoke(db, &c);
}

int ca_unhold(struct db *db, const char *serial, const struct audit_actor *actor,
              struct problem *err)
{
    problem_clear(err);
    if (!ca_serial_valid(serial))
        return problem_set(err, PK_CERTIFICATE_NOT_FOUND, NULL, "no such certificate");
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
        "RETURNING ca_id, serial"); /* MC_COL_CA, MC_COL_SERIAL */
enum { MC_COL_CA, MC_COL_SERIAL };

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
        const char *ca = PQgetvalue(res, i, MC_COL_CA);
        json_array_append_new(serials, json_string(PQgetvalue(res, i, MC_COL_SERIAL)));
        bool seen = false;
        for (int k = 0; k < nb; k++)
            seen |= !strcmp(bumped[k], ca);
        if (!seen && nb < 8) {
            snprintf(bumped[nb++], CA_ID_MAX, "%s", ca);
            rc = crl_dirty(db, ca);
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

/* The signature record (sql/migrations/0012_signatures.sql): before a CA
 * key is asked to sign a certificate or a CRL, a row naming the CA, the
 * kind, the serial or CRL number, the SHA-256 of the TBS and who asked is
 * written and committed on its own (its own transaction: the connection
 * must not be in one; the commit does not wait for the disk, since the
 * storing transaction's durable commit flushes it too, before anything
 * signed leaves Troth). The transaction that stores the signed object marks it
 * 'issued' in the same statement (SIG_ISSUED_CTE); a store that fails
 * marks it 'abandoned' with the reason (sig_abandon, autocommit again). A
 * crash in between leaves it 'reserved', which the listings show. */
#ifndef TROTH_CA_SIGNATURES_H
#define TROTH_CA_SIGNATURES_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db/db.h"
#include "db/row.h"

struct audit_actor;

#define SIG_ID_MAX 24

/* Reserves serial (kind "certificate") or CRL number (kind "crl") of CA
 * ca_id for the TBS given; id_out receives the row's id. DB_CONFLICT when
 * the serial or number was reserved before (pick another). */
enum db_rc sig_reserve(struct db *db, const char *ca_id, const char *kind,
                       const char *serial, uint64_t crl_number,
                       const unsigned char *tbs, size_t tbs_len,
                       const struct audit_actor *actor, char id_out[SIG_ID_MAX]);

/* The same inside the caller's transaction, which must commit before the
 * signer is asked (issuance: with the member check, in one transaction). */
enum db_rc sig_reserve_here(struct db *db, const char *ca_id, const char *kind,
                            const char *serial, uint64_t crl_number,
                            const unsigned char *tbs, size_t tbs_len,
                            const struct audit_actor *actor, char id_out[SIG_ID_MAX]);

/* For the statement that stores the signed object: a CTE `s` that marks
 * reservation ID (a parameter, e.g. "$8") 'issued' with the signed DER's
 * SHA-256 (hex, e.g. "$9") and yields its id, no row when it is no longer
 * 'reserved'; the store selects FROM s, so it stores nothing then. */
#define SIG_ISSUED_CTE(ID, SHA)                                                      \
    "s AS (UPDATE signatures SET state = 'issued', signed_sha256 = " SHA ", "        \
    "decided_at = now() WHERE id = " ID "::bigint AND state = 'reserved' RETURNING id)"

/* Autocommit: state 'abandoned' with the reason (and the signed DER's hash
 * when there is one) if the row is still 'reserved'; a store that did
 * commit after all (an answer lost with the connection) stays 'issued'. */
enum db_rc sig_abandon(struct db *db, const char *id, const unsigned char *der,
                       size_t der_len, const char *reason);

/* An operator's decision on a reservation a crash left behind (`troth ca
 * signatures CA --abandon ID --reason TEXT`): in one transaction, row ID of
 * CA ca_id goes from 'reserved' to 'abandoned' with the reason, and the
 * audit event signature.abandon is written. DB_NOTFOUND when there is no
 * such row or it is no longer 'reserved' (nothing changed). */
enum db_rc sig_settle(struct db *db, const char *ca_id, const char *id,
                      const char *reason, const struct audit_actor *actor);

/* Inside the caller's transaction: a signature made where no reservation
 * could precede it, recorded 'issued' at once: a CA certificate signed
 * with a key made in this process (`troth init`), or an object signed on
 * an offline machine and brought in (`troth init --offline-root`, `troth
 * crl import`); the audit log's ceremony events say which. id_out may
 * be NULL. */
enum db_rc sig_record_signed(struct db *db, const char *ca_id, const char *kind,
                             const char *serial, uint64_t crl_number,
                             const unsigned char *tbs, size_t tbs_len,
                             const unsigned char *der, size_t der_len,
                             const struct audit_actor *actor, char id_out[SIG_ID_MAX]);

/* The columns of a signature record (s = signatures), as sig_list selects
 * them (column 0 is the id, for keyset paging); db/row.h says how the list
 * is used. Times keep their microseconds; an empty text is shown as null. */
#define SIG_TIME_US(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
#define SIG_ROW(X, S)                                                          \
    X(SIG_COL_ID, "s.id::text", "id", TEXT) S                                  \
    X(SIG_COL_CA, "s.ca_id", "ca", TEXT) S                                     \
    X(SIG_COL_KIND, "s.kind", "kind", TEXT) S                                  \
    X(SIG_COL_SERIAL, "s.serial", "serial", TEXT) S                            \
    X(SIG_COL_CRL_NUMBER, "s.crl_number::text", "crl_number", INT) S           \
    X(SIG_COL_TBS, "s.tbs_sha256", "tbs_sha256", TEXT) S                       \
    X(SIG_COL_REQUESTED_BY, "s.requested_by", "requested_by", TEXT) S          \
    X(SIG_COL_STATE, "s.state", "state", TEXT) S                               \
    X(SIG_COL_REASON, "nullif(s.reason, '')", "reason", TEXT) S                \
    X(SIG_COL_SIGNED, "s.signed_sha256", "signed_sha256", TEXT) S              \
    X(SIG_COL_RESERVED_AT, SIG_TIME_US("s.reserved_at"), "reserved_at", TEXT) S \
    X(SIG_COL_DECIDED_AT, SIG_TIME_US("s.decided_at"), "decided_at", TEXT) S   \
    X(SIG_COL_CERT_SERIAL, "(SELECT c.serial FROM certificates c "             \
      "WHERE c.signature_id = s.id)", "certificate_serial", TEXT)
enum sig_col { SIG_ROW(ROW_ENUM, ) SIG_COL_COUNT };

/* The record of CA ca_id, newest first: rows with id < after, at most
 * limit (text), optionally of one state and/or kind (NULL: any), SIG_ROW's
 * columns. */
enum db_rc sig_list(struct db *db, const char *ca_id, const char *after, const char *limit,
                    const char *state, const char *kind, PGresult **res);
json_t *sig_json(PGresult *res, int i);

/* True for the states and kinds the record knows. */
bool sig_state_valid(const char *s);
bool sig_kind_valid(const char *s);

#endif

/* How a certificate row is shown: the JSON of the API and the CLI. */
#ifndef TROTH_CA_CERT_VIEW_H
#define TROTH_CA_CERT_VIEW_H
#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>

#include "db/db.h"
#include "db/row.h"

/* The columns of a certificate, in the order every certificate query
 * selects them (c = certificates); db/row.h says how the list is used.
 * status shows "expired" for a valid certificate past not_after; renewed_by
 * is the renewal issued for it, if any; key_origin says how the key was
 * made: 'csr' (the member's) or 'keygen' (made here, returned once). */
#define CERT_ROW(X, S)                                                                 \
    X(CERT_COL_SERIAL, "c.serial", "serial", TEXT) S                                   \
    X(CERT_COL_STATUS, "CASE WHEN c.status = 'valid' AND c.not_after < now() "         \
      "THEN 'expired' ELSE c.status END", "status", TEXT) S                            \
    X(CERT_COL_PROFILE, "c.profile", "profile", TEXT) S                                \
    X(CERT_COL_MEMBER, "c.member_id::text", "member_id", TEXT) S                       \
    X(CERT_COL_CA, "c.ca_id", "ca", TEXT) S                                            \
    X(CERT_COL_SUBJECT, "c.subject", "subject", TEXT) S                                \
    X(CERT_COL_URIS, "array_to_json(c.uris)::text", "uris", JSON) S                    \
    X(CERT_COL_KEY, "c.key_description", "key", TEXT) S                                \
    X(CERT_COL_KEY_ORIGIN, "c.key_origin", "key_origin", TEXT) S                       \
    X(CERT_COL_NOT_BEFORE, "c.not_before", "not_before", TIME) S                       \
    X(CERT_COL_NOT_AFTER, "c.not_after", "not_after", TIME) S                          \
    X(CERT_COL_FINGERPRINT, "c.fingerprint_sha256", "fingerprint_sha256", TEXT) S      \
    X(CERT_COL_REASON, "c.revocation_reason", "revocation_reason", TEXT) S             \
    X(CERT_COL_REVOKED_AT, "c.revoked_at", "revoked_at", TIME) S                       \
    X(CERT_COL_RENEWED_FROM, "c.renewed_from", "renewed_from", TEXT) S                 \
    X(CERT_COL_CREATED_AT, "c.created_at", "created_at", TIME) S                       \
    X(CERT_COL_RENEWED_BY, "(SELECT n.serial FROM certificates n "                     \
      "WHERE n.renewed_from = c.serial AND n.status <> 'revoked' "                     \
      "ORDER BY n.created_at DESC, n.serial DESC LIMIT 1)", "renewed_by", TEXT)

/* The shown columns, then the DER in base64 (CERT_COL_DER_B64): for one
 * certificate CERT_COLUMNS; for lists, which show no certificate bytes,
 * CERT_COLUMNS_LIST leaves it empty. */
enum cert_col { CERT_ROW(ROW_ENUM, ) CERT_COL_DER_B64 };
#define CERT_COLUMNS CERT_ROW(ROW_SQL, ", ") ", translate(encode(c.der, 'base64'), E'\\n', '')"
#define CERT_COLUMNS_LIST CERT_ROW(ROW_SQL, ", ") ", ''"

/* The certificate as JSON; with_pem adds certificate_pem, chain_pem, x5c. */
json_t *cert_json(PGresult *res, int row, bool with_pem);

/* Reads one certificate by serial (limited to a member if only_member).
 * Returns DB_OK with *res holding 1 row, DB_NOTFOUND, or an error. */
enum db_rc cert_fetch(struct db *db, const char *serial, const char *only_member,
                      PGresult **res);

/* PEM of a base64 DER body (64-column lines). Caller frees. */
char *cert_pem_of_b64(const char *b64);

/* True if s is a serial as Troth writes them: 2..40 lowercase hex digits. */
bool ca_serial_valid(const char *s);

#endif

/* How a certificate row is shown: the JSON of the API and the CLI. */
#ifndef TROTH_CA_CERT_VIEW_H
#define TROTH_CA_CERT_VIEW_H
#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>

#include "db/db.h"

/* Every certificate query selects these columns first (text results). */
#define CERT_COLUMNS_BASE                                                         \
    "c.serial, c.status, c.profile, c.member_id::text, c.ca_id, c.subject, "      \
    "array_to_json(c.uris)::text, c.key_description, " SQL_TIME("c.not_before")   \
    ", " SQL_TIME("c.not_after") ", c.fingerprint_sha256, "                       \
    "coalesce(c.revocation_reason, ''), coalesce(" SQL_TIME("c.revoked_at")       \
    ", ''), coalesce(c.renewed_from, ''), " SQL_TIME("c.created_at")              \
    ", c.not_after < now(), "                                                     \
    "coalesce((SELECT n.serial FROM certificates n WHERE n.renewed_from = c.serial "   \
    "AND n.status <> 'revoked' "   \
    "ORDER BY n.created_at DESC, n.serial DESC LIMIT 1), '')"
#define CERT_COLUMNS CERT_COLUMNS_BASE ", translate(encode(c.der, 'base64'), E'\\n', '')"
/* For lists, which show no certificate bytes: the DER column left empty. */
#define CERT_COLUMNS_LIST CERT_COLUMNS_BASE ", ''"
#define CERT_COL_SERIAL 0
#define CERT_COL_STATUS 1
#define CERT_COL_MEMBER 3
#define CERT_COL_CA 4
#define CERT_COL_RENEWED_BY 16 /* the renewal issued for it, if any */
#define CERT_COL_DER_B64 17

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

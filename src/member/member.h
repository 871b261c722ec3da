/* Member organisations and the URIs they own: the rules shared by the REST
 * handlers (src/api/members.c, member_uris.c, invitations.c), the CLI
 * (src/cli/member.c) and the PKI code.
 *
 * Whether URIs may go into a certificate is the CA's check (one statement
 * in ca/issue.c, under the member's lock). What a status change does to certificates is the CA's rule
 * (ca_member_status_changed in ca/revoke.h), called by the status
 * transaction itself. */
#ifndef TROTH_MEMBER_H
#define TROTH_MEMBER_H
#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>

#include "db/db.h"
#include "db/row.h"

struct audit_actor;

/* ---- members ---- */

/* The columns of a member, in the order every member query returns them
 * (m = members); db/row.h says how the list is used. */
#define MEMBER_ROW(X, S)                                                       \
    X(MEMBER_COL_ID, "m.id::text", "id", TEXT) S                               \
    X(MEMBER_COL_NAME, "m.name", "name", TEXT) S                               \
    X(MEMBER_COL_ORGANIZATION_ID, "m.organization_id", "organization_id", TEXT) S \
    X(MEMBER_COL_NPI, "m.npi", "npi", TEXT) S                                  \
    X(MEMBER_COL_CONTACTS, "m.contacts::text", "contacts", JSON) S             \
    X(MEMBER_COL_STATUS, "m.status", "status", TEXT) S                         \
    X(MEMBER_COL_NOTES, "m.notes", "notes", TEXT) S                            \
    X(MEMBER_COL_CREATED_AT, "m.created_at", "created_at", TIME) S             \
    X(MEMBER_COL_UPDATED_AT, "m.updated_at", "updated_at", TIME)
enum member_col { MEMBER_ROW(ROW_ENUM, ) MEMBER_COL_COUNT };
#define MEMBER_COLUMNS MEMBER_ROW(ROW_SQL, ", ")

/* The JSON of one row selected with MEMBER_COLUMNS. */
json_t *member_json(PGresult *res, int row);

struct member_new {
    const char *name;
    const char *organization_id;
    const char *npi;      /* NULL: none */
    const char *contacts; /* JSON array text; NULL: [] */
    const char *notes;    /* NULL: "" */
};

/* Inserts a pending member and its "member.create" audit event in the
 * caller's transaction. *row (if not NULL) receives the MEMBER_COLUMNS row.
 * DB_CONFLICT: the organization_id is taken. */
enum db_rc member_insert(struct db *db, const struct audit_actor *actor,
                         const struct member_new *m, PGresult **row);

/* The status an action leads to from `current`, or NULL if the state
 * machine forbids it: activate pending→active, suspend active→suspended,
 * reinstate suspended→active, terminate any but terminated→terminated. */
const char *member_next_status(const char *action, const char *current);

/* ---- member URIs ---- */

enum uri_kind {
    URI_KIND_CLIENT = 1u << 0, /* an app's client URI (its `iss`) */
    URI_KIND_SERVER = 1u << 1, /* a FHIR server's base URL */
    URI_KIND_IDP = 1u << 2,    /* an identity provider */
};

/* The bit of "client" / "server" / "idp", or 0. */
unsigned uri_kind_parse(const char *s);

/* The columns of a member URI, in the order every URI query returns them
 * (u = member_uris). */
#define URI_ROW(X, S)                                                          \
    X(URI_COL_ID, "u.id::text", "id", TEXT) S                                  \
    X(URI_COL_MEMBER, "u.member_id::text", "member_id", TEXT) S                \
    X(URI_COL_URI, "u.uri", "uri", TEXT) S                                     \
    X(URI_COL_KIND, "u.kind", "kind", TEXT) S                                  \
    X(URI_COL_STATUS, "u.status", "status", TEXT) S                            \
    X(URI_COL_CREATED_AT, "u.created_at", "created_at", TIME) S                \
    X(URI_COL_APPROVED_AT, "u.approved_at", "approved_at", TIME)
enum uri_col { URI_ROW(ROW_ENUM, ) URI_COL_COUNT };
#define URI_COLUMNS URI_ROW(ROW_SQL, ", ")

/* The JSON of one row selected with URI_COLUMNS. */
json_t *member_uri_json(PGresult *res, int row);

struct uri_new {
    const char *member_id;
    const char *uri;        /* already checked with uri_check() */
    const char *kind;       /* "client", "server", "idp" */
    bool approved;          /* false: pending, for an operator to approve */
    const char *created_by; /* users.id, or NULL (CLI) */
    bool ask;               /* stop before storing when a look-alike counts */
    bool own_only;          /* only the member's own look-alikes count */
    /* out */
    bool asked;              /* DB_CONFLICT: stopped at look-alikes (listed) */
    PGresult *row;           /* URI_COLUMNS of the new row (PQclear it) */
    json_t *lookalikes;      /* [{id, uri, member_id, member_name, kind,
                                status}], approved and pending (decref it) */
    char owner_id[24];       /* on DB_CONFLICT: the member owning the URI, */
    char owner_name[260];    /* or "" when a concurrent insert won */
};

/* Adds a URI to a member, with its "uri.create" audit event, in the
 * caller's transaction; the member must exist (locked by the caller).
 * DB_CONFLICT: the member has the URI already (any status), or, for an
 * approved add, another member has it approved (owner in owner_id). A
 * pending proposal is scoped to its member: another member's URI does not
 * stop it (nor is it told of it); an approved add declines the other
 * members' pending proposals (member_uri_decline_others). Look-alikes of
 * existing URIs (approved or pending, of any member) are listed; with
 * `ask`, when one counts (any, or with own_only the member's own), nothing
 * is stored: DB_CONFLICT with `asked` set, for the caller to ask first. */
enum db_rc member_uri_insert(struct db *db, const struct audit_actor *actor,
                             struct uri_new *u);

/* The approved and pending URIs of any member that look like `uri` (not
 * byte-equal; at most 20) into *out, as member_uri_insert lists them.
 * member_id's own URIs count only when their keys are equal: its URI with
 * and without a purpose fragment are not look-alikes of each other. */
enum db_rc member_uri_lookalikes(struct db *db, const char *uri,
                                 const char *member_id, json_t **out);

/* DB_CONFLICT (owner into owner_id, owner_name) if a member other than
 * member_id has `uri` approved; DB_OK if none. */
enum db_rc member_uri_approved_elsewhere(struct db *db, const char *uri,
                                        const char *member_id, char owner_id[24],
                                        char owner_name[260]);

/* `uri` was just approved for member_id: the other members' pending
 * proposals of it become "declined", each with a "uri.decline" event. */
enum db_rc member_uri_decline_others(struct db *db, const struct audit_actor *actor,
                                     const char *uri, const char *member_id);

/* The member's status ("pending", "active", ...) into out. DB_NOTFOUND if
 * there is no such member. */
enum db_rc member_status(struct db *db, const char *member_id, char out[16]);

#define MEMBER_NAME_MAX 257

/* As member_status(), locking the row FOR SHARE until the transaction ends
 * (a concurrent status change waits); also its legal name into `name`
 * (MEMBER_NAME_MAX bytes) unless NULL. */
enum db_rc member_lock(struct db *db, const char *member_id, char out[16], char *name);

#endif

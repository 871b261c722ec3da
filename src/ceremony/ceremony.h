/* Key ceremonies: every event in a CA key's life (generation, signing a CA
 * certificate or an offline CRL, import) as one JSON record naming the CA,
 * the key (type and size, SHA-256 of its SubjectPublicKeyInfo), where the
 * key lives, the operator (unix user) and the host. Online steps write it
 * to the audit log; offline steps (no database) append it to the offline
 * root directory's ceremony.log, and `troth crl import` / `troth ca import
 * --ceremony-log` bring those lines into the audit log, each once. */
#ifndef TROTH_CEREMONY_H
#define TROTH_CEREMONY_H
#include <jansson.h>
#include <openssl/evp.h>
#include <stddef.h>
#include <stdio.h>

#include "db/db.h"

struct audit_actor;

/* Where a key lives, as the records say it. */
#define CEREMONY_AT_DATABASE "database-encrypted"
#define CEREMONY_LOCATION_MAX 600

/* A record of `event` ("key.generate", "certificate.sign", "crl.sign",
 * "crl.import", "ca.import", ...) for CA ca_id whose key is key (public
 * part is enough) and lives at location. Adds operator, host and time. */
json_t *ceremony_record(const char *event, const char *ca_id, const EVP_PKEY *key,
                        const char *location);

/* SHA-256 of the key's DER SubjectPublicKeyInfo, lowercase hex (65 bytes). */
int ceremony_spki_sha256(const EVP_PKEY *key, char out[65]);

/* Writes the record (taken) as audit action "ceremony.<event>" on ca/<ca>. */
enum db_rc ceremony_audit(struct db *db, const struct audit_actor *actor, json_t *record);

/* Appends the record (taken) as one line to path (created 0600). 0 or -1. */
int ceremony_log_append(const char *path, json_t *record);

/* Brings the lines of a ceremony log not yet imported into the audit log,
 * inside the caller's transaction. *imported counts them. */
enum db_rc ceremony_log_import(struct db *db, const struct audit_actor *actor,
                               const char *path, long *imported, char *err, size_t errlen);

/* The last record of event `event` in the ceremony log at path whose
 * string member `key` equals value (a new reference), or NULL. */
json_t *ceremony_log_find(const char *path, const char *event, const char *key,
                          const char *value);

/* Prints the plain-text transcript of CA id's key history to f.
 * 0, 1 when there is no such CA, -1 on a database error. */
int ceremony_report(struct db *db, const char *id, FILE *f);

#endif

/* The conformance sandbox (issue 15 §2): a test hierarchy of its own (a
 * root and issuing CAs whose names say SANDBOX) and the fixtures relying
 * parties test their checks against: valid, expired, revoked, SAN != iss,
 * broken CRLs, ... each with its key as PKCS#12 (published passphrase),
 * a signed software statement and signed metadata, and the verdict a
 * relying party must reach.
 *
 * Sandbox keys are test material, not CA custody: they are generated and
 * used with OpenSSL in the process that runs init/refresh (the CLI, or the
 * web process for an admin's API call), stored unencrypted in PostgreSQL
 * (sandbox_keys), and never reach the signer; the signer's keys never sign
 * anything of the sandbox. The production publication (/anchors.pem,
 * /crl/..., /readyz, the CRL worker) never sees any of it. */
#ifndef TROTH_SANDBOX_H
#define TROTH_SANDBOX_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "db/db.h"
#include "udap/udap.h"

struct audit_actor;

/* The passphrase of every fixture's PKCS#12 (published: test material). */
#define SANDBOX_P12_PASSPHRASE "troth-sandbox"
/* Its PBKDF2 and MAC iterations: the passphrase is public, so the count
 * protects nothing; 2048 is what OpenSSL's PKCS12_create uses by default. */
#define SANDBOX_P12_ITER 2048
/* The registration endpoint the software statements are addressed to. */
#define SANDBOX_AUDIENCE "https://as.sandbox.invalid/register"

/* One file served under /sandbox/ (path relative to it). */
struct sandbox_file {
    char path[96];
    const char *ctype;
    unsigned char *data;
    size_t len;
};

struct sandbox_files {
    struct sandbox_file *v;
    size_t n;
};
void sandbox_files_free(struct sandbox_files *f);

/* init (refresh false): creates the hierarchy, refuses (DB_CONFLICT) when
 * it exists. refresh: keeps the CAs and keys, re-issues every fixture's
 * certificate and re-signs every CRL and JWT relative to now, so the
 * valid ones stay valid and the broken ones stay broken (DB_NOTFOUND when
 * there is no sandbox). One transaction with its audit event and a NOTIFY
 * troth_sandbox. *summary: {generation, base_url, fixtures, index_url}. */
enum db_rc sandbox_generate(struct db *db, const char *base_url, bool refresh,
                            const struct audit_actor *actor, json_t **summary,
                            char *err, size_t errlen);

/* The same in three steps, for a caller that builds off its thread (the
 * web process: building takes seconds). prepare reads the generation and
 * the keys (DB_CONFLICT / DB_NOTFOUND as above); build is OpenSSL only, no
 * database (-1 with j->err); commit stores it in one transaction with the
 * audit event and the NOTIFY, DB_CONFLICT when another init or refresh
 * committed meanwhile. Free with sandbox_job_free() in every case. */
struct sandbox_job {
    char base[400];
    bool refresh;
    long gen;      /* the generation being built */
    time_t now;
    json_t *keys, *certs;
    struct sandbox_files files;
    char err[256];
};
enum db_rc sandbox_prepare(struct db *db, const char *base_url, bool refresh,
                           struct sandbox_job *j);
int sandbox_job_build(struct sandbox_job *j);
enum db_rc sandbox_commit(struct db *db, struct sandbox_job *j,
                          const struct audit_actor *actor, json_t **summary);
void sandbox_job_free(struct sandbox_job *j);

/* build.c: the objects of one generation. keys: {name: PEM} and certs
 * {name: base64 DER} of an earlier generation (refresh), or empty objects
 * (init); new keys and CA certificates are added to them. */
int sandbox_build(const char *base_url, long generation, time_t now, json_t *keys,
                  json_t *certs, struct sandbox_files *out, char *err, size_t errlen);

/* publish.c: what the public listener serves, from memory. Loads the
 * current generation from the database (0; 1 when there is none; -1 on a
 * database error). */
int sandbox_publish_load(struct db *db);
/* A new reference to the object at path (release with pub_blob_release),
 * or NULL. */
struct pub_blob *sandbox_get(const char *path);
/* The same, with its content type copied into ctype. */
struct pub_blob *sandbox_get_typed(const char *path, char *ctype, size_t len);
/* The sandbox as a trust context for the validator: its published root as
 * the only anchor, its CA certificates, its CRLs at their URLs (the broken
 * ones included); no member registry. -1 when there is no sandbox. */
int sandbox_trust(struct udap_trust *t);
/* Watches NOTIFY troth_sandbox in a thread of `troth serve` and reloads. */
int sandbox_watch_start(void);
void sandbox_watch_stop(void);
void sandbox_publish_shutdown(void);

#endif

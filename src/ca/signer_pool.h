/* Web-process side of the signer: the connected sockets of the signer
 * workers (handed over by the signer supervisor, src/signer/supervisor.h),
 * borrowed one call at a time (thread-safe), every call bounded by a timeout
 * so a dead or hung signer yields an error, never a hang. This process never
 * holds a CA key: it hands the CA set to the supervisor once, at start. */
#ifndef TROTH_CA_SIGNER_POOL_H
#define TROTH_CA_SIGNER_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "pki/err.h"

struct signer_pool;

/* A CA handed to the supervisor: id, certificate DER, key reference
 * (encrypted PKCS#8 PEM, or a "pkcs11:" URI). */
struct signer_ca_blob {
    const char *id;
    const unsigned char *cert_der;
    size_t cert_len;
    const char *key_pem;
    size_t key_len;
};

struct signer_pool_opts {
    size_t workers;
    const char *passphrase_file;
    const char *pkcs11_module;   /* [pkcs11] module, pin_file, keep_env (NULL: none) */
    const char *pkcs11_pin_file;
    const char *pkcs11_keep_env;
    unsigned crl_validity_hours;
    long web_uid;          /* the uid this process is about to switch to; -1: it keeps its own */
    bool warn_same_uid;    /* `troth serve` without root: say what that does not protect */
    char *const *scrub;    /* strings the supervisor wipes from its copy of memory */
    size_t n_scrub;
};

/* Fork the signer supervisor (reads the passphrase file, waits for the CA
 * set). Call first: before threads, database connections and listeners. */
int signer_pool_fork(struct signer_pool **out, const struct signer_pool_opts *o, struct problem *err);
/* Hand the CA set to the supervisor; returns when every worker is ready.
 * The caller then cleanses and frees its copy of the key references. */
int signer_pool_start(struct signer_pool *pool, const struct signer_ca_blob *cas, size_t n_cas,
                      struct problem *err);
/* signer_pool_start in two halves: send the CA set (from any process that
 * holds the boot socket, e.g. a short-lived child), then await the answer. */
int signer_pool_send_cas(struct signer_pool *pool, const struct signer_ca_blob *cas, size_t n_cas,
                         struct problem *err);
int signer_pool_await(struct signer_pool *pool, struct problem *err);
/* signer_pool_fork + signer_pool_start (CLI commands and tests). */
int signer_pool_open(struct signer_pool **out, const struct signer_pool_opts *o, const struct signer_ca_blob *cas,
                     size_t n_cas, struct problem *err);
/* A pool over n sockets already connected to ready workers, with no
 * supervisor behind them (tests of the web side against fake workers). */
int signer_pool_adopt(struct signer_pool **out, const int *fds, const pid_t *pids, size_t n);
/* Per-call timeout in milliseconds (default 10000). */
void signer_pool_set_timeout(struct signer_pool *pool, int ms);
/* Take the workers the supervisor restarted; report idle workers that are
 * dead or confused (the supervisor kills and restarts them). For an upkeep
 * thread; calls do the same when they find no live worker. Returns the
 * number of workers taken, or -1 when the supervisor is gone. */
int signer_pool_check(struct signer_pool *pool);
/* 1 with the reason when the last answer about a CA's key token was that
 * it is unavailable and no worker started since; else 0. */
int signer_pool_token_down(struct signer_pool *pool, char *why, size_t len);
/* Number of workers currently usable (free or busy). */
size_t signer_pool_alive(struct signer_pool *pool);
/* Process id of worker i and of the supervisor (for supervision and tests); -1 if none. */
pid_t signer_pool_worker_pid(struct signer_pool *pool, size_t i);
pid_t signer_pool_supervisor_pid(struct signer_pool *pool);
/* Close every socket (the supervisor and workers stop), wait for the
 * supervisor (up to 5 s) and free the pool. No calls may be in flight. */
void signer_pool_free(struct signer_pool *pool);

/* Round trip to a worker: 0, or 503 signer_unavailable. */
int signer_ping(struct signer_pool *pool, struct problem *err);
/* The CA's key signs a fixed string inside a worker (is its token there?):
 * 0, or 503 signer_unavailable naming the CA. */
int signer_probe(struct signer_pool *pool, const char *ca_id, struct problem *err);
/* Sign a TBSCertificate with CA ca_id; *der_out (malloc'd) is the Certificate.
 * 422 signer_refused (reason in detail), 503 signer_unavailable, 500 signer_error. */
int signer_sign_cert(struct signer_pool *pool, const char *ca_id, const unsigned char *tbs, size_t len,
                     unsigned char **der_out, size_t *der_len, struct problem *err);
/* Sign a TBSCertList with CA ca_id; *der_out (malloc'd) is the CertificateList. Errors as above. */
int signer_sign_crl(struct signer_pool *pool, const char *ca_id, const unsigned char *tbs, size_t len,
                    unsigned char **der_out, size_t *der_len, struct problem *err);

#endif

/* Web-process side of the signer: a pool of signer worker processes, each on
 * its own socketpair, borrowed one call at a time (thread-safe), every call
 * bounded by a timeout so a dead or hung signer yields an error, never a hang. */
#ifndef TROTH_SIGNER_CLIENT_H
#define TROTH_SIGNER_CLIENT_H

#include <stddef.h>
#include <sys/types.h>

#include "pki/err.h"

struct signer_pool;

/* A CA handed to every worker: id, certificate DER, encrypted private key PEM. */
struct signer_ca_blob {
    const char *id;
    const unsigned char *cert_der;
    size_t cert_len;
    const char *key_pem;
    size_t key_len;
};

/* Starts one worker on child_fd (the pool keeps the other end); sets *pid. 0 or -1. */
typedef int (*signer_spawn_fn)(struct signer_pool *pool, int child_fd, pid_t *pid);

/* fork() + signer_main() in the child. Only safe before the process has threads. */
int signer_spawn_fork(struct signer_pool *pool, int child_fd, pid_t *pid);
/* posix_spawn of the pool's executable (default /proc/self/exe) with
 * {"troth", "signer", "--fd", N, "--passphrase-file", PATH}: safe with threads. */
int signer_spawn_exec(struct signer_pool *pool, int child_fd, pid_t *pid);

/* Start n workers with spawn (NULL: signer_spawn_exec) and hand them the CA set.
 * Restarts always use signer_spawn_exec. Call before creating threads if spawn forks. */
int signer_pool_start(struct signer_pool **out, size_t n, const struct signer_ca_blob *cas, size_t n_cas,
                      const char *passphrase_file, signer_spawn_fn spawn, struct pki_err *err);
/* Per-call timeout in milliseconds (default 10000). */
void signer_pool_set_timeout(struct signer_pool *pool, int ms);
/* Executable used by signer_spawn_exec (default "/proc/self/exe"); copied. */
int signer_pool_set_exe(struct signer_pool *pool, const char *path);
/* Detect dead workers (EOF, exited) and restart them; for a supervisor thread, once a second.
 * Returns the number restarted, or -1 if a restart failed (it is retried next time). */
int signer_pool_check(struct signer_pool *pool);
/* Number of workers currently usable (free or busy). */
size_t signer_pool_alive(struct signer_pool *pool);
/* Process id of worker i (for supervision and tests); -1 if none. */
pid_t signer_pool_worker_pid(struct signer_pool *pool, size_t i);
/* Stop all workers (close, wait up to 2 s, then SIGKILL) and free the pool. No calls may be in flight. */
void signer_pool_free(struct signer_pool *pool);

/* Round trip to a worker: 0, or 503 signer_unavailable. */
int signer_ping(struct signer_pool *pool, struct pki_err *err);
/* Sign a TBSCertificate with CA ca_id; *der_out (malloc'd) is the Certificate.
 * 422 signer_refused (reason in detail), 503 signer_unavailable, 500 signer_error. */
int signer_sign_cert(struct signer_pool *pool, const char *ca_id, const unsigned char *tbs, size_t len,
                     unsigned char **der_out, size_t *der_len, struct pki_err *err);
/* Sign a TBSCertList with CA ca_id; *der_out (malloc'd) is the CertificateList. Errors as above. */
int signer_sign_crl(struct signer_pool *pool, const char *ca_id, const unsigned char *tbs, size_t len,
                    unsigned char **der_out, size_t *der_len, struct pki_err *err);

#endif

/* The signer supervisor: forked by `troth serve` (and CLI commands that
 * sign) before anything else. It alone reads the passphrase file, receives
 * the CA set once, prepares the keys (signer/keysource.h), forks the signer
 * workers and restarts them when they die, and hands the web process only
 * connected sockets. The web process keeps no key material.
 *
 * Two sockets join it to the web process:
 *   boot (stream): web -> INIT {u32 workers, u32 crl_validity_seconds,
 *                  (id, certificate DER, key reference)*}; supervisor ->
 *                  RESP ok "ready" once every worker is up, or RESP error.
 *   ctl (seqpacket): fixed-size struct signer_ctl records; a WORKER record
 *                  carries the web end of the worker's socket (SCM_RIGHTS).
 * EOF on ctl (the web process is gone) stops the workers and the supervisor. */
#ifndef TROTH_SIGNER_SUPERVISOR_H
#define TROTH_SIGNER_SUPERVISOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "pki/err.h"

enum signer_ctl_kind {
    SIGNER_CTL_WORKER = 1, /* supervisor -> web: slot's new worker (fd attached), pid, generation */
    SIGNER_CTL_KILL = 2,   /* web -> supervisor: kill slot's worker of that generation (hung, confused) */
};

struct signer_ctl {
    uint32_t kind;
    uint32_t slot;
    uint32_t gen;
    int32_t pid;
};

struct signer_sup_opts {
    const char *passphrase_file;
    const char *pkcs11_module;   /* [pkcs11] module, or NULL */
    const char *pkcs11_pin_file; /* [pkcs11] pin_file, or NULL; read (as root) like the passphrase */
    const char *keep_env;        /* names of variables (space-separated) the workers keep, for the
                                  * module (SOFTHSM2_CONF): everything else is wiped */
    long web_uid;            /* the uid the web process will run as; -1: the current one */
    bool warn_same_uid;      /* say so when the web process keeps the supervisor's uid */
    const char *user;        /* the signers' user when started as root (default "nobody") */
    char *const *scrub;      /* strings of the parent (database URL...) to cleanse in the child */
    size_t n_scrub;
};

struct signer_sup {
    pid_t pid;
    int boot_fd;
    int ctl_fd;
};

/* Fork the supervisor. Call before any thread exists and before any socket
 * or file the signers must not inherit is opened. 0, or -1 with err. */
int signer_supervisor_fork(const struct signer_sup_opts *o, struct signer_sup *sup, struct problem *err);

#endif

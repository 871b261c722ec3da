/* A signer worker: forked by the signer supervisor, it opens its CA keys,
 * confines itself and answers sign requests from the web process over one
 * socketpair descriptor (protocol in signer/proto.h). */
#ifndef TROTH_SIGNER_SIGNER_H
#define TROTH_SIGNER_SIGNER_H

#include <stdbool.h>
#include <stddef.h>
#include <openssl/x509.h>

#include "signer/check.h"
#include "signer/keysource.h"

#define SIGNER_MAX_CAS 16
#define SIGNER_DEFAULT_USER "nobody"

/* A CA as the supervisor hands it to a worker. */
struct signer_ca_def {
    char id[SIGNER_CA_ID_MAX + 1];
    X509 *cert;
    struct signer_key_source src;
};

struct signer_worker_cfg {
    const struct signer_ca_def *cas;
    size_t n_cas;
    struct signer_policy policy;
    const char *user; /* user to switch to when started as root (default "nobody") */
    bool sandbox;     /* drop privileges + seccomp (false only for in-process tests) */
};

/* Run a worker on fd: not dumpable, keys opened, confined; then it writes
 * RESP ok "ready" (or RESP error and returns 2) and serves until EOF. With
 * the sandbox it never returns (_exit: 0 at EOF, 3 on a malformed frame);
 * without it returns that status. */
int signer_worker_main(int fd, const struct signer_worker_cfg *cfg);

#endif

/* Internal to the signer pool (client.c, calls.c): worker slots and the
 * request/response exchange. Not for other modules. */
#ifndef TROTH_SIGNER_POOL_INTERNAL_H
#define TROTH_SIGNER_POOL_INTERNAL_H

#include <pthread.h>
#include <stddef.h>
#include <sys/types.h>

#include "signer/proto.h"
#include "util/clock.h"

enum worker_state { W_DEAD, W_STARTING, W_FREE, W_BUSY };

struct worker {
    int fd;
    pid_t pid;
    enum worker_state state;
};

struct signer_pool {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct worker *w;
    size_t n;
    int timeout_ms;
    char *exe;
    char *passphrase_file;
    struct proto_field *init; /* INIT fields, copied */
    size_t n_init;
};


/* Send a request and read its RESP within timeout_ms; fills resp and status. Returns PROTO_RC_*. */
int pool_round_trip(int fd, unsigned type, const struct proto_field *f, size_t n, int timeout_ms,
                    struct proto_frame *resp, unsigned *status);

#endif

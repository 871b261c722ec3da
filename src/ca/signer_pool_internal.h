/* Internal to the signer pool (signer_pool.c, signer_pool_calls.c): worker
 * slots and the request/response exchange. Not for other modules. */
#ifndef TROTH_CA_SIGNER_POOL_INTERNAL_H
#define TROTH_CA_SIGNER_POOL_INTERNAL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "signer/proto.h"
#include "util/clock.h"

enum worker_state { W_DEAD, W_FREE, W_BUSY };

struct worker {
    int fd;
    pid_t pid;
    uint32_t gen;
    enum worker_state state;
    int next_fd; /* a restarted worker handed over while this slot was still busy */
    pid_t next_pid;
    uint32_t next_gen;
};

struct signer_pool {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct worker *w;
    size_t n;
    int timeout_ms;
    pid_t sup_pid;
    int boot_fd, ctl_fd;
    unsigned crl_validity_hours;
    int sup_gone;
    char token_down[256]; /* the last "key token unavailable" answer; cleared by a new worker */
};

/* Send a request and read its RESP within timeout_ms; fills resp and status. Returns PROTO_RC_*. */
int pool_round_trip(int fd, unsigned type, const struct proto_field *f, size_t n, int timeout_ms,
                    struct proto_frame *resp, unsigned *status);
/* With mu held: take handed-over workers; ask the supervisor to kill a worker. */
int pool_intake_locked(struct signer_pool *pool);
void pool_kill_locked(struct signer_pool *pool, struct worker *w);

#endif

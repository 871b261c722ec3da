/* Signer pool: spawning, borrowing, calls with deadlines, supervision. */
#include "signer/client.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "signer/pool_internal.h"
#include "signer/proto.h"
#include "signer/signer.h"

#define INIT_TIMEOUT_MS 60000 /* key decryption: PBKDF2 with 600k iterations per CA key */

extern char **environ;

int signer_spawn_fork(struct signer_pool *pool, int child_fd, pid_t *pid)
{
    pid_t p = fork();
    if (p < 0)
        return -1;
    if (p == 0) {
        /* Child: keep stdio and child_fd only (no sibling sockets, so every worker
         * sees EOF when the web process goes away; no listeners or DB sockets). */
        if (child_fd > 3)
            close_range(3, (unsigned)child_fd - 1, 0);
        close_range((unsigned)child_fd + 1, ~0u, 0);
        int flags = fcntl(child_fd, F_GETFD);
        fcntl(child_fd, F_SETFD, flags & ~FD_CLOEXEC);
        _exit(signer_main(child_fd, pool->passphrase_file));
    }
    *pid = p;
    return 0;
}

int signer_spawn_exec(struct signer_pool *pool, int child_fd, pid_t *pid)
{
    /* dup2 to a fixed number clears FD_CLOEXEC on the copy; everything else closes on exec. */
    int target = child_fd == 3 ? 4 : 3;
    char fdarg[16];
    snprintf(fdarg, sizeof fdarg, "%d", target);
    char *argv[] = {"troth", "signer", "--fd", fdarg, "--passphrase-file", pool->passphrase_file, NULL};
    posix_spawn_file_actions_t fa;
    if (posix_spawn_file_actions_init(&fa) != 0)
        return -1;
    int rc = posix_spawn_file_actions_adddup2(&fa, child_fd, target);
    if (rc == 0)
        rc = posix_spawn(pid, pool->exe, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    return rc == 0 ? 0 : -1;
}

/* Make worker w live, in two halves so a pool's workers decrypt their keys
 * (PBKDF2) in parallel: socketpair, spawn and send INIT; then await the answer.
 * The slot is W_STARTING (not borrowable). */
static int spawn_worker(struct signer_pool *pool, struct worker *w, signer_spawn_fn spawn, struct pki_err *err)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
        return pki_err_set(err, 503, "signer_unavailable", "socketpair: %s", strerror(errno));
    w->fd = sv[0];
    pid_t pid = -1;
    int rc = spawn(pool, sv[1], &pid);
    close(sv[1]);
    if (rc != 0) {
        close(sv[0]);
        w->fd = -1;
        return pki_err_set(err, 503, "signer_unavailable", "could not start a signer process");
    }
    w->pid = pid;
    rc = proto_write(w->fd, PROTO_INIT, pool->init, pool->n_init, INIT_TIMEOUT_MS);
    if (rc != PROTO_RC_OK)
        return pki_err_set(err, 503, "signer_unavailable", "signer did not start: %s", proto_rc_str(rc));
    return 0;
}

static int await_worker(struct worker *w, struct pki_err *err)
{
    struct proto_frame resp;
    int rc = proto_read(w->fd, &resp, INIT_TIMEOUT_MS);
    if (rc == PROTO_RC_EOF)
        rc = PROTO_RC_IO;
    if (rc == PROTO_RC_OK && (resp.type != PROTO_RESP || resp.nfields != 2 || resp.f[0].len != 1 ||
                              resp.f[0].p[0] > PROTO_ERROR)) {
        proto_frame_free(&resp);
        rc = PROTO_RC_MALFORMED;
    }
    if (rc != PROTO_RC_OK)
        return pki_err_set(err, 503, "signer_unavailable", "signer did not start: %s", proto_rc_str(rc));
    int ok = resp.f[0].p[0] == PROTO_OK;
    if (!ok)
        pki_err_set(err, 503, "signer_unavailable", "signer refused its CA set: %.*s",
                    (int)(resp.f[1].len > 200 ? 200 : resp.f[1].len), (const char *)resp.f[1].p);
    proto_frame_free(&resp);
    return ok ? 0 : -1;
}

static int start_worker(struct signer_pool *pool, struct worker *w, signer_spawn_fn spawn, struct pki_err *err)
{
    return spawn_worker(pool, w, spawn, err) != 0 ? -1 : await_worker(w, err);
}

/* Close and reap a worker's process (SIGKILL if it does not leave within 2 s). */
static void stop_worker(struct worker *w, int grace_ms)
{
    if (w->fd >= 0)
        close(w->fd);
    w->fd = -1;
    if (w->pid > 0) {
        long long deadline = now_ms() + grace_ms;
        while (waitpid(w->pid, NULL, WNOHANG) == 0) {
            if (now_ms() >= deadline) {
                kill(w->pid, SIGKILL);
                waitpid(w->pid, NULL, 0);
                break;
            }
            struct timespec ts = {0, 5 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
    }
    w->pid = -1;
}

static int copy_init(struct signer_pool *pool, const struct signer_ca_blob *cas, size_t n_cas)
{
    if (n_cas == 0 || n_cas > SIGNER_MAX_CAS)
        return -1;
    pool->init = calloc(3 * n_cas, sizeof *pool->init);
    if (pool->init == NULL)
        return -1;
    pool->n_init = 3 * n_cas;
    for (size_t i = 0; i < n_cas; i++) {
        const void *src[3] = {cas[i].id, cas[i].cert_der, cas[i].key_pem};
        size_t len[3] = {strlen(cas[i].id), cas[i].cert_len, cas[i].key_len};
        for (int k = 0; k < 3; k++) {
            unsigned char *p = malloc(len[k] ? len[k] : 1);
            if (p == NULL)
                return -1;
            memcpy(p, src[k], len[k]);
            pool->init[3 * i + k].p = p;
            pool->init[3 * i + k].len = len[k];
        }
    }
    return 0;
}

int signer_pool_start(struct signer_pool **out, size_t n, const struct signer_ca_blob *cas, size_t n_cas,
                      const char *passphrase_file, signer_spawn_fn spawn, struct pki_err *err)
{
    *out = NULL;
    struct signer_pool *pool = calloc(1, sizeof *pool);
    if (pool == NULL || n == 0)
        return free(pool), pki_err_set(err, 500, "signer_config", "need at least one signer worker");
    pthread_mutex_init(&pool->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&pool->cv, &ca);
    pthread_condattr_destroy(&ca);
    pool->timeout_ms = 10000;
    pool->exe = strdup("/proc/self/exe");
    pool->passphrase_file = strdup(passphrase_file);
    pool->w = calloc(n, sizeof *pool->w);
    pool->n = n;
    if (pool->exe == NULL || pool->passphrase_file == NULL || pool->w == NULL || copy_init(pool, cas, n_cas) != 0) {
        signer_pool_free(pool);
        return pki_err_set(err, 500, "signer_config", "invalid CA set (1..%d CAs) or out of memory", SIGNER_MAX_CAS);
    }
    for (size_t i = 0; i < n; i++)
        pool->w[i] = (struct worker){.fd = -1, .pid = -1, .state = W_STARTING};
    /* all workers decrypt their keys at once: start-up takes one worker's time */
    for (size_t i = 0; i < n; i++)
        if (spawn_worker(pool, &pool->w[i], spawn ? spawn : signer_spawn_exec, err) != 0) {
            signer_pool_free(pool);
            return -1;
        }
    for (size_t i = 0; i < n; i++) {
        if (await_worker(&pool->w[i], err) != 0) {
            signer_pool_free(pool);
            return -1;
        }
        pool->w[i].state = W_FREE;
    }
    *out = pool;
    return 0;
}

void signer_pool_set_timeout(struct signer_pool *pool, int ms)
{
    pool->timeout_ms = ms > 0 ? ms : 10000;
}

int signer_pool_set_exe(struct signer_pool *pool, const char *path)
{
    char *p = strdup(path);
    if (p == NULL)
        return -1;
    pthread_mutex_lock(&pool->mu);
    free(pool->exe);
    pool->exe = p;
    pthread_mutex_unlock(&pool->mu);
    return 0;
}

void signer_pool_free(struct signer_pool *pool)
{
    if (pool == NULL)
        return;
    for (size_t i = 0; pool->w != NULL && i < pool->n; i++)
        if (pool->w[i].fd >= 0)
            close(pool->w[i].fd), pool->w[i].fd = -1; /* workers see EOF and exit together */
    for (size_t i = 0; pool->w != NULL && i < pool->n; i++)
        stop_worker(&pool->w[i], 2000);
    for (size_t i = 0; i < pool->n_init; i++)
        free((void *)pool->init[i].p);
    free(pool->init);
    free(pool->w);
    free(pool->exe);
    free(pool->passphrase_file);
    pthread_mutex_destroy(&pool->mu);
    pthread_cond_destroy(&pool->cv);
    free(pool);
}

int signer_pool_check(struct signer_pool *pool)
{
    int restarted = 0, failed = 0;
    pthread_mutex_lock(&pool->mu);
    for (size_t i = 0; i < pool->n; i++) {
        struct worker *w = &pool->w[i];
        if (w->state == W_FREE) {
            /* An idle worker must be silent: readable means EOF or stray bytes. */
            struct pollfd pfd = {.fd = w->fd, .events = POLLIN};
            int readable = poll(&pfd, 1, 0) != 0;
            int exited = w->pid > 0 && waitpid(w->pid, NULL, WNOHANG) == w->pid;
            if (exited)
                w->pid = -1;
            if (readable || exited)
                w->state = W_DEAD;
        }
    }
    for (size_t i = 0; i < pool->n; i++) {
        struct worker *w = &pool->w[i];
        if (w->state != W_DEAD)
            continue;
        w->state = W_STARTING;
        pthread_mutex_unlock(&pool->mu); /* starting takes a while (key decryption) */
        struct pki_err err;
        stop_worker(w, 0);
        int ok = start_worker(pool, w, signer_spawn_exec, &err) == 0;
        if (!ok) {
            fprintf(stderr, "troth: signer restart failed: %s\n", err.detail);
            stop_worker(w, 0);
        }
        pthread_mutex_lock(&pool->mu);
        w->state = ok ? W_FREE : W_DEAD;
        restarted += ok;
        failed += !ok;
        pthread_cond_broadcast(&pool->cv);
    }
    pthread_mutex_unlock(&pool->mu);
    return failed ? -1 : restarted;
}

size_t signer_pool_alive(struct signer_pool *pool)
{
    size_t n = 0;
    pthread_mutex_lock(&pool->mu);
    for (size_t i = 0; i < pool->n; i++)
        n += pool->w[i].state == W_FREE || pool->w[i].state == W_BUSY;
    pthread_mutex_unlock(&pool->mu);
    return n;
}

pid_t signer_pool_worker_pid(struct signer_pool *pool, size_t i)
{
    pthread_mutex_lock(&pool->mu);
    pid_t p = i < pool->n ? pool->w[i].pid : -1;
    pthread_mutex_unlock(&pool->mu);
    return p;
}

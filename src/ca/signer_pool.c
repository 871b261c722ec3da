/* Signer pool: the supervisor's hand-over of worker sockets, supervision. */
#include "ca/signer_pool.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ca/signer_pool_internal.h"
#include "signer/proto.h"
#include "signer/signer.h"
#include "signer/supervisor.h"

#define INIT_TIMEOUT_MS 120000 /* key decryption: PBKDF2 with 600k iterations per CA key, once */

/* A pool of n dead slots, no supervisor yet. */
static struct signer_pool *pool_alloc(size_t n)
{
    struct signer_pool *pool = calloc(1, sizeof *pool);
    if (pool == NULL || (pool->w = calloc(n, sizeof *pool->w)) == NULL) {
        free(pool);
        return NULL;
    }
    pthread_mutex_init(&pool->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&pool->cv, &ca);
    pthread_condattr_destroy(&ca);
    pool->timeout_ms = 10000;
    pool->n = n;
    pool->sup_pid = -1;
    pool->boot_fd = pool->ctl_fd = -1;
    for (size_t i = 0; i < n; i++)
        pool->w[i] = (struct worker){.fd = -1, .pid = -1, .state = W_DEAD, .next_fd = -1, .next_pid = -1};
    return pool;
}

int signer_pool_fork(struct signer_pool **out, const struct signer_pool_opts *o, struct problem *err)
{
    *out = NULL;
    if (o->workers == 0)
        return problem_set(err, PK_SIGNER_CONFIG, NULL, "need at least one signer worker");
    struct signer_pool *pool = pool_alloc(o->workers);
    if (pool == NULL)
        return problem_set(err, PK_SIGNER_CONFIG, NULL, "out of memory");
    pool->crl_validity_hours = o->crl_validity_hours ? o->crl_validity_hours : 168;
    struct signer_sup_opts so = {.passphrase_file = o->passphrase_file, .pkcs11_module = o->pkcs11_module,
                                 .pkcs11_pin_file = o->pkcs11_pin_file,
                                 .keep_env = o->pkcs11_keep_env ? o->pkcs11_keep_env : "SOFTHSM2_CONF",
                                 .web_uid = o->web_uid,
                                 .warn_same_uid = o->warn_same_uid, .user = SIGNER_DEFAULT_USER,
                                 .scrub = o->scrub, .n_scrub = o->n_scrub};
    struct signer_sup sup;
    if (signer_supervisor_fork(&so, &sup, err) != 0) {
        signer_pool_free(pool);
        return -1;
    }
    pool->sup_pid = sup.pid;
    pool->boot_fd = sup.boot_fd;
    pool->ctl_fd = sup.ctl_fd;
    *out = pool;
    return 0;
}

int signer_pool_adopt(struct signer_pool **out, const int *fds, const pid_t *pids, size_t n)
{
    struct signer_pool *pool = n ? pool_alloc(n) : NULL;
    if (pool == NULL)
        return -1;
    pool->sup_gone = 1;
    for (size_t i = 0; i < n; i++) {
        pool->w[i].fd = fds[i];
        pool->w[i].pid = pids[i];
        pool->w[i].state = W_FREE;
    }
    *out = pool;
    return 0;
}

static void put_u32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24), p[1] = (unsigned char)(v >> 16), p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

int signer_pool_send_cas(struct signer_pool *pool, const struct signer_ca_blob *cas, size_t n_cas,
                         struct problem *err)
{
    if (n_cas == 0 || n_cas > SIGNER_MAX_CAS || 2 + 3 * n_cas > PROTO_MAX_FIELDS)
        return problem_set(err, PK_SIGNER_CONFIG, NULL, "invalid CA set (1..%d CAs)", SIGNER_MAX_CAS);
    unsigned char workers[4], validity[4];
    put_u32(workers, (uint32_t)pool->n);
    put_u32(validity, pool->crl_validity_hours * 3600u);
    struct proto_field f[PROTO_MAX_FIELDS] = {{workers, 4}, {validity, 4}};
    for (size_t i = 0; i < n_cas; i++) {
        f[2 + 3 * i] = (struct proto_field){(const unsigned char *)cas[i].id, strlen(cas[i].id)};
        f[3 + 3 * i] = (struct proto_field){cas[i].cert_der, cas[i].cert_len};
        f[4 + 3 * i] = (struct proto_field){(const unsigned char *)cas[i].key_pem, cas[i].key_len};
    }
    int rc = proto_write(pool->boot_fd, PROTO_INIT, f, 2 + 3 * n_cas, INIT_TIMEOUT_MS);
    /* a supervisor that refused before reading (passphrase file) says why in its answer */
    return rc == PROTO_RC_OK || rc == PROTO_RC_IO ? 0
                                                   : problem_set(err, PK_SIGNER_UNAVAILABLE, NULL, "sending the CA set: %s",
                                                                 proto_rc_str(rc));
}

int signer_pool_await(struct signer_pool *pool, struct problem *err)
{
    struct proto_frame resp;
    int rrc = proto_read(pool->boot_fd, &resp, INIT_TIMEOUT_MS);
    if (rrc != PROTO_RC_OK)
        return problem_set(err, PK_SIGNER_UNAVAILABLE, NULL, "the signer supervisor did not start: %s",
                           proto_rc_str(rrc));
    int ok = resp.type == PROTO_RESP && resp.nfields == 2 && resp.f[0].len == 1 && resp.f[0].p[0] == PROTO_OK;
    if (!ok)
        problem_set(err, PK_SIGNER_UNAVAILABLE, NULL, "signer: %.*s",
                    (int)(resp.nfields == 2 ? (resp.f[1].len > 300 ? 300 : resp.f[1].len) : 0),
                    resp.nfields == 2 ? (const char *)resp.f[1].p : "");
    proto_frame_free(&resp);
    close(pool->boot_fd);
    pool->boot_fd = -1;
    if (!ok)
        return -1;
    pthread_mutex_lock(&pool->mu);
    pool_intake_locked(pool);
    size_t alive = 0;
    for (size_t i = 0; i < pool->n; i++)
        alive += pool->w[i].state == W_FREE;
    pthread_mutex_unlock(&pool->mu);
    if (alive != pool->n)
        return problem_set(err, PK_SIGNER_UNAVAILABLE, NULL, "the supervisor handed over %zu of %zu workers", alive,
                           pool->n);
    return 0;
}

int signer_pool_start(struct signer_pool *pool, const struct signer_ca_blob *cas, size_t n_cas, struct problem *err)
{
    return signer_pool_send_cas(pool, cas, n_cas, err) != 0 ? -1 : signer_pool_await(pool, err);
}

int signer_pool_open(struct signer_pool **out, const struct signer_pool_opts *o, const struct signer_ca_blob *cas,
                     size_t n_cas, struct problem *err)
{
    if (signer_pool_fork(out, o, err) != 0)
        return -1;
    if (signer_pool_start(*out, cas, n_cas, err) != 0) {
        signer_pool_free(*out);
        *out = NULL;
        return -1;
    }
    return 0;
}

static void install(struct signer_pool *pool, struct worker *w)
{
    pool->token_down[0] = '\0'; /* a worker that started has opened every key, tokens included */
    w->fd = w->next_fd;
    w->pid = w->next_pid;
    w->gen = w->next_gen;
    w->next_fd = -1;
    w->state = W_FREE;
}

int pool_intake_locked(struct signer_pool *pool)
{
    int taken = 0;
    while (!pool->sup_gone) {
        struct signer_ctl m;
        struct iovec iov = {&m, sizeof m};
        union {
            char buf[CMSG_SPACE(sizeof(int))];
            struct cmsghdr align;
        } u;
        struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf};
        ssize_t n = recvmsg(pool->ctl_fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
            break;
        if (n <= 0) {
            pool->sup_gone = 1;
            fprintf(stderr, "troth: the signer supervisor is gone; no signer can be restarted\n");
            break;
        }
        int fd = -1;
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        if (c != NULL && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
            c->cmsg_len == CMSG_LEN(sizeof(int)))
            memcpy(&fd, CMSG_DATA(c), sizeof fd);
        if (n != (ssize_t)sizeof m || m.kind != SIGNER_CTL_WORKER || m.slot >= pool->n || fd < 0) {
            if (fd >= 0)
                close(fd);
            continue;
        }
        struct worker *w = &pool->w[m.slot];
        if (w->next_fd >= 0)
            close(w->next_fd);
        w->next_fd = fd;
        w->next_pid = m.pid;
        w->next_gen = m.gen;
        if (w->state == W_DEAD) {
            install(pool, w);
            taken++;
        }
    }
    if (taken)
        pthread_cond_broadcast(&pool->cv);
    return pool->sup_gone ? -1 : taken;
}

void pool_kill_locked(struct signer_pool *pool, struct worker *w)
{
    if (w->fd >= 0)
        close(w->fd); /* a worker that is merely idle sees EOF and leaves */
    w->fd = -1;
    w->state = W_DEAD;
    struct signer_ctl m = {SIGNER_CTL_KILL, (uint32_t)(w - pool->w), w->gen, w->pid};
    if (!pool->sup_gone && send(pool->ctl_fd, &m, sizeof m, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
        fprintf(stderr, "troth: cannot reach the signer supervisor: %s\n", strerror(errno));
    if (w->next_fd >= 0)
        install(pool, w);
}

void signer_pool_set_timeout(struct signer_pool *pool, int ms)
{
    pool->timeout_ms = ms > 0 ? ms : 10000;
}

void signer_pool_free(struct signer_pool *pool)
{
    if (pool == NULL)
        return;
    for (size_t i = 0; pool->w != NULL && i < pool->n; i++) {
        if (pool->w[i].fd >= 0)
            close(pool->w[i].fd); /* workers see EOF and exit together */
        if (pool->w[i].next_fd >= 0)
            close(pool->w[i].next_fd);
    }
    if (pool->boot_fd >= 0)
        close(pool->boot_fd);
    if (pool->ctl_fd >= 0)
        close(pool->ctl_fd); /* the supervisor stops its workers and leaves */
    if (pool->sup_pid > 0) {
        long long deadline = now_ms() + 5000;
        while (waitpid(pool->sup_pid, NULL, WNOHANG) == 0 && now_ms() < deadline) {
            struct timespec ts = {0, 5 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
    }
    free(pool->w);
    pthread_mutex_destroy(&pool->mu);
    pthread_cond_destroy(&pool->cv);
    free(pool);
}

int signer_pool_check(struct signer_pool *pool)
{
    pthread_mutex_lock(&pool->mu);
    for (size_t i = 0; i < pool->n; i++) {
        struct worker *w = &pool->w[i];
        if (w->state != W_FREE)
            continue;
        /* An idle worker must be silent: readable means EOF or stray bytes. */
        struct pollfd pfd = {.fd = w->fd, .events = POLLIN};
        if (poll(&pfd, 1, 0) != 0)
            pool_kill_locked(pool, w);
    }
    int rc = pool_intake_locked(pool);
    pthread_mutex_unlock(&pool->mu);
    return rc;
}

int signer_pool_token_down(struct signer_pool *pool, char *why, size_t len)
{
    pthread_mutex_lock(&pool->mu);
    int down = pool->token_down[0] != '\0';
    if (down)
        snprintf(why, len, "%s", pool->token_down);
    pthread_mutex_unlock(&pool->mu);
    return down;
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
    pid_t p = i < pool->n && pool->w[i].state != W_DEAD ? pool->w[i].pid : -1;
    pthread_mutex_unlock(&pool->mu);
    return p;
}

pid_t signer_pool_supervisor_pid(struct signer_pool *pool)
{
    return pool->sup_pid;
}

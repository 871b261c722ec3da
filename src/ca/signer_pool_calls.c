/* Signer pool calls: borrow a worker, exchange one frame pair under a deadline. */
#include "ca/signer_pool.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ca/signer_pool_internal.h"
#include "pki/sign.h"

/* Exchange a request for a RESP frame within timeout_ms. Returns PROTO_RC_* and fills st/data. */
int pool_round_trip(int fd, unsigned type, const struct proto_field *f, size_t n, int timeout_ms,
                      struct proto_frame *resp, unsigned *status)
{
    long long deadline = now_ms() + timeout_ms;
    int rc = proto_write(fd, type, f, n, timeout_ms);
    if (rc != PROTO_RC_OK)
        return rc;
    long long left = deadline - now_ms();
    rc = proto_read(fd, resp, left > 0 ? (int)left : 0);
    if (rc == PROTO_RC_EOF)
        return PROTO_RC_IO;
    if (rc != PROTO_RC_OK)
        return rc;
    if (resp->type != PROTO_RESP || resp->nfields != 2 || resp->f[0].len != 1 || resp->f[0].p[0] > PROTO_UNAVAILABLE) {
        proto_frame_free(resp);
        return PROTO_RC_MALFORMED;
    }
    *status = resp->f[0].p[0];
    return PROTO_RC_OK;
}

/* Borrow a free worker; fails fast when none is alive, waits (bounded) when all are busy. */
static struct worker *borrow(struct signer_pool *pool, struct problem *err)
{
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += pool->timeout_ms / 1000;
    until.tv_nsec += (long)(pool->timeout_ms % 1000) * 1000000;
    if (until.tv_nsec >= 1000000000) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000;
    }
    pthread_mutex_lock(&pool->mu);
    for (;;) {
        size_t busy = 0;
        pool_intake_locked(pool); /* workers the supervisor restarted */
        for (size_t i = 0; i < pool->n; i++) {
            if (pool->w[i].state == W_FREE) {
                pool->w[i].state = W_BUSY;
                pthread_mutex_unlock(&pool->mu);
                return &pool->w[i];
            }
            busy += pool->w[i].state == W_BUSY;
        }
        if (busy == 0) {
            pthread_mutex_unlock(&pool->mu);
            problem_set(err, PK_SIGNER_UNAVAILABLE, NULL, "signer unavailable: no live signer process");
            return NULL;
        }
        if (pthread_cond_timedwait(&pool->cv, &pool->mu, &until) == ETIMEDOUT) {
            pthread_mutex_unlock(&pool->mu);
            problem_set(err, PK_SIGNER_UNAVAILABLE, NULL, "signer unavailable: all signer processes busy");
            return NULL;
        }
    }
}

static void give_back(struct signer_pool *pool, struct worker *w, int dead)
{
    pthread_mutex_lock(&pool->mu);
    if (dead)
        pool_kill_locked(pool, w); /* hung or confused: the supervisor kills it and starts another */
    else
        w->state = W_FREE;
    pthread_cond_broadcast(&pool->cv);
    pthread_mutex_unlock(&pool->mu);
}

/* One request on a borrowed worker; the response data (status OK) goes to *out (malloc'd). */
static int call(struct signer_pool *pool, unsigned type, const char *ca_id, const unsigned char *tbs,
                size_t len, unsigned char **out, size_t *out_len, struct problem *err)
{
    if (out)
        *out = NULL;
    struct worker *w = borrow(pool, err);
    if (w == NULL)
        return -1;
    struct proto_field f[2] = {{(const unsigned char *)ca_id, ca_id ? strlen(ca_id) : 0}, {tbs, len}};
    struct proto_frame resp;
    unsigned status = 0;
    int rc = PROTO_RC_OK;
    /* a CRL gets a second more per MiB of TBS to send and hash: a fixed 10 s
     * timed out for a million entries (46 MB) on a busy machine, killing the
     * worker and leaving the CRL to go stale */
    long long deadline = now_ms() + pool->timeout_ms +
                         (type == PROTO_SIGN_CRL ? (long long)(len >> 20) * 1000 : 0);
    if (type == PROTO_SIGN_CRL) {
        /* all but the last piece of the TBS, then the last in the request itself */
        while (rc == PROTO_RC_OK && f[1].len > PROTO_CRL_CHUNK) {
            struct proto_field part[2] = {f[0], {f[1].p, PROTO_CRL_CHUNK}};
            long long left = deadline - now_ms();
            rc = left > 0 ? proto_write(w->fd, PROTO_SIGN_CRL_PART, part, 2, (int)left) : PROTO_RC_TIMEOUT;
            f[1].p += PROTO_CRL_CHUNK;
            f[1].len -= PROTO_CRL_CHUNK;
        }
    }
    long long left = deadline - now_ms();
    if (rc == PROTO_RC_OK)
        rc = left > 0 ? pool_round_trip(w->fd, type, f, type == PROTO_PING ? 0 : type == PROTO_PROBE ? 1 : 2,
                                        (int)left, &resp, &status)
                      : PROTO_RC_TIMEOUT;
    if (rc == PROTO_RC_OK && status == PROTO_UNAVAILABLE) {
        /* the CA's token failed; that worker is leaving, its successor reopens the token */
        const struct proto_field *d = &resp.f[1];
        pthread_mutex_lock(&pool->mu);
        snprintf(pool->token_down, sizeof pool->token_down, "%.*s", (int)(d->len > 250 ? 250 : d->len),
                 (const char *)d->p);
        pthread_mutex_unlock(&pool->mu);
    }
    /* a frame refused before it was sent leaves the worker as it was */
    give_back(pool, w,
              (rc != PROTO_RC_OK && rc != PROTO_RC_TOO_BIG) || (rc == PROTO_RC_OK && status == PROTO_UNAVAILABLE));
    if (rc == PROTO_RC_TOO_BIG)
        return problem_set(err, PK_SIGNER_ERROR, NULL, "request too large for the signer");
    if (rc != PROTO_RC_OK)
        return problem_set(err, PK_SIGNER_UNAVAILABLE, NULL, "signer unavailable: %s", proto_rc_str(rc));
    const struct proto_field *d = &resp.f[1];
    int ret = 0;
    if (status == PROTO_UNAVAILABLE)
        ret = problem_set(err, PK_SIGNER_UNAVAILABLE, NULL, "signer unavailable: %.*s",
                          (int)(d->len > 200 ? 200 : d->len), (const char *)d->p);
    else if (status == PROTO_REFUSED)
        ret = problem_set(err, PK_SIGNER_REFUSED, NULL, "signer refused: %.*s",
                          (int)(d->len > 200 ? 200 : d->len), (const char *)d->p);
    else if (status == PROTO_ERROR)
        ret = problem_set(err, PK_SIGNER_ERROR, NULL, "signer error: %.*s",
                          (int)(d->len > 200 ? 200 : d->len), (const char *)d->p);
    else if (out != NULL) {
        /* hand over the frame's buffer: no second copy of a large CRL */
        memmove(resp.buf, d->p, d->len);
        *out = resp.buf;
        *out_len = d->len;
        resp.buf = NULL;
    }
    proto_frame_free(&resp);
    return ret;
}

int signer_ping(struct signer_pool *pool, struct problem *err)
{
    return call(pool, PROTO_PING, NULL, NULL, 0, NULL, NULL, err);
}

int signer_probe(struct signer_pool *pool, const char *ca_id, struct problem *err)
{
    return call(pool, PROTO_PROBE, ca_id, NULL, 0, NULL, NULL, err);
}

int signer_sign_cert(struct signer_pool *pool, const char *ca_id, const unsigned char *tbs, size_t len,
                     unsigned char **der_out, size_t *der_len, struct problem *err)
{
    return call(pool, PROTO_SIGN_CERT, ca_id, tbs, len, der_out, der_len, err);
}

/* The signer answers a CRL with signatureAlgorithm || signature; the
 * CertificateList is put together here, around the TBS already held. */
int signer_sign_crl(struct signer_pool *pool, const char *ca_id, const unsigned char *tbs, size_t len,
                    unsigned char **der_out, size_t *der_len, struct problem *err)
{
    *der_out = NULL;
    if (len > PROTO_MAX_TBS)
        return problem_set(err, PK_SIGNER_ERROR, NULL, "TBSCertList of %zu bytes is larger than the signer "
                           "accepts (%u)", len, PROTO_MAX_TBS);
    unsigned char *sig = NULL;
    size_t sig_len = 0;
    if (call(pool, PROTO_SIGN_CRL, ca_id, tbs, len, &sig, &sig_len, err) != 0)
        return -1;
    /* the algorithm: one DER SEQUENCE with a short (< 128) length */
    int rc;
    if (sig_len < 2 || sig[0] != 0x30 || sig[1] > 0x7f || (size_t)sig[1] + 2 >= sig_len)
        rc = problem_set(err, PK_SIGNER_ERROR, NULL, "signer answered a malformed CRL signature");
    else
        rc = pki_assemble_signed(tbs, len, sig, (size_t)sig[1] + 2, sig + sig[1] + 2,
                                 sig_len - sig[1] - 2, der_out, der_len, err);
    free(sig);
    return rc;
}


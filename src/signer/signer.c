/* Signer worker: startup (keys, confinement) and the request loop. */
#include "signer/signer.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>

#include "pki/ca.h"
#include "pki/sign.h"
#include "signer/check.h"
#include "signer/proto.h"
#include "signer/sandbox.h"

struct signer_state {
    int fd;
    struct signer_ca_key cas[SIGNER_MAX_CAS];
    size_t n_cas;
    struct signer_policy policy;
};

__attribute__((format(printf, 1, 2))) static void slog(const char *fmt, ...)
{
    char line[512];
    int n = snprintf(line, sizeof line, "troth-signer[%d]: ", (int)getpid());
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
    va_end(ap);
    strcat(line, "\n");
    /* One write() per line: stdio may want syscalls the sandbox refuses. */
    if (write(2, line, strlen(line)) < 0)
        return;
}

/* Open every CA's key through its key source (the PKCS#11 seam) and get it ready. */
static int load_cas(struct signer_state *st, const struct signer_worker_cfg *cfg, struct pki_err *err)
{
    if (cfg->n_cas == 0 || cfg->n_cas > SIGNER_MAX_CAS)
        return pki_err_set(err, 400, "signer_init_malformed", "1..%d CAs expected", SIGNER_MAX_CAS);
    for (size_t i = 0; i < cfg->n_cas; i++) {
        struct signer_ca_key *ca = &st->cas[st->n_cas];
        memcpy(ca->id, cfg->cas[i].id, sizeof ca->id);
        st->n_cas++;
        if ((ca->cert = X509_dup(cfg->cas[i].cert)) == NULL)
            return pki_err_set(err, 500, "signer_init_failed", "out of memory");
        ca->key = signer_key_open(&cfg->cas[i].src, err);
        if (ca->key == NULL || pki_ca_check_pair(ca->cert, ca->key, err) != 0)
            return -1;
        if (signer_ca_key_prepare(ca) != 0)
            return pki_err_set(err, 500, "signer_init_failed", "CA %s: unusable certificate or key", ca->id);
        /* Warm up: load providers and seed the DRBG before the sandbox forbids open(). */
        unsigned char *sig = NULL;
        size_t siglen;
        if (pki_sign_data(ca->key, (const unsigned char *)"warm-up", 7, &sig, &siglen, err) != 0)
            return -1;
        free(sig);
    }
    return 0;
}

static struct signer_ca_key *find_ca(struct signer_state *st, const struct proto_field *id)
{
    for (size_t i = 0; i < st->n_cas; i++)
        if (strlen(st->cas[i].id) == id->len && memcmp(st->cas[i].id, id->p, id->len) == 0)
            return &st->cas[i];
    return NULL;
}

/* Answer one request; returns -1 when the connection must close. */
static int handle(struct signer_state *st, const struct proto_frame *fr)
{
    if (fr->type == PROTO_PING && fr->nfields == 0)
        return proto_write_resp(st->fd, PROTO_OK, "pong", 4, -1) == PROTO_RC_OK ? 0 : -1;
    if ((fr->type != PROTO_SIGN_CERT && fr->type != PROTO_SIGN_CRL) || fr->nfields != 2) {
        slog("malformed request (type %u, %zu fields), closing", fr->type, fr->nfields);
        return -1;
    }
    const char *kind = fr->type == PROTO_SIGN_CERT ? "certificate" : "CRL";
    char why[256];
    struct signer_ca_key *ca = find_ca(st, &fr->f[0]);
    if (ca == NULL) {
        slog("refused %s: %s", kind, "unknown CA id");
        return proto_write_resp(st->fd, PROTO_REFUSED, "unknown CA id", 13, -1) == PROTO_RC_OK ? 0 : -1;
    }
    uint64_t crl_number = 0;
    int ok = fr->type == PROTO_SIGN_CERT
                 ? signer_check_cert_tbs(ca, st->cas, st->n_cas, fr->f[1].p, fr->f[1].len, why, sizeof why)
                 : signer_check_crl_tbs(ca, &st->policy, fr->f[1].p, fr->f[1].len, &crl_number, why, sizeof why);
    if (ok != 0) {
        slog("refused %s for CA %s: %s", kind, ca->id, why);
        return proto_write_resp(st->fd, PROTO_REFUSED, why, strlen(why), -1) == PROTO_RC_OK ? 0 : -1;
    }
    unsigned char *der = NULL;
    size_t len = 0;
    struct pki_err err;
    int rc;
    if (pki_sign_tbs(ca->key, fr->f[1].p, fr->f[1].len, &der, &len, &err) != 0)
        rc = proto_write_resp(st->fd, PROTO_ERROR, err.detail, strlen(err.detail), -1);
    else {
        if (fr->type == PROTO_SIGN_CRL)
            ca->last_crl_number = crl_number;
        rc = proto_write_resp(st->fd, PROTO_OK, der, len, -1);
    }
    free(der);
    return rc == PROTO_RC_OK ? 0 : -1;
}

static void clear_state(struct signer_state *st)
{
    for (size_t i = 0; i < st->n_cas; i++)
        signer_ca_key_clear(&st->cas[i]);
    st->n_cas = 0;
}

/* Startup: not dumpable, CA keys, confinement. Answers ok "ready" or the error. */
static int start(struct signer_state *st, const struct signer_worker_cfg *cfg)
{
    struct pki_err err = {0};
    /* Not dumpable: a same-uid process can neither ptrace this one nor read
     * /proc/<pid>/mem; nor does a crash leave a core with the keys. */
    int ok = prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == 0;
    if (!ok)
        pki_err_set(&err, 500, "signer_init_failed", "prctl(PR_SET_DUMPABLE): %s", strerror(errno));
    ok = ok && load_cas(st, cfg, &err) == 0;
    ok = ok && (!cfg->sandbox || (sandbox_drop_privileges(cfg->user ? cfg->user : SIGNER_DEFAULT_USER, &err) == 0 &&
                                  sandbox_enter_signer(&err) == 0));
    if (!ok) {
        slog("startup failed: %s: %s", err.code, err.detail);
        proto_write_resp(st->fd, PROTO_ERROR, err.detail, strlen(err.detail), 5000);
        return 2;
    }
    return proto_write_resp(st->fd, PROTO_OK, "ready", 5, -1) == PROTO_RC_OK ? 0 : 2;
}

int signer_worker_main(int fd, const struct signer_worker_cfg *cfg)
{
    struct signer_state st = {.fd = fd, .policy = cfg->policy};
    int status = start(&st, cfg);
    while (status == 0) {
        struct proto_frame fr;
        int rc = proto_read(fd, &fr, -1);
        if (rc == PROTO_RC_EOF)
            break; /* the web process closed its end: clean shutdown */
        if (rc != PROTO_RC_OK) {
            slog("closing: %s", proto_rc_str(rc));
            status = 3;
            break;
        }
        if (handle(&st, &fr) != 0)
            status = 3;
        proto_frame_free(&fr);
    }
    clear_state(&st);
    close(fd);
    if (cfg->sandbox)
        _exit(status);
    return status;
}

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

/* A CRL's TBS arriving in pieces (SIGN_CRL_PART ... SIGN_CRL). */
struct crl_parts {
    unsigned char *buf;
    size_t len, cap;
    char ca[SIGNER_CA_ID_MAX + 1];
    const char *bad; /* why the whole request will be refused, or NULL */
};

struct signer_state {
    int fd;
    bool sandbox;
    struct signer_ca_key cas[SIGNER_MAX_CAS];
    size_t n_cas;
    struct signer_policy policy;
    struct crl_parts parts;
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

/* The CA's key signs a fixed string (kept in this process). */
static int probe(struct signer_ca_key *ca, struct problem *err)
{
    unsigned char *sig = NULL;
    size_t siglen;
    int rc = pki_sign_data(ca->key, (const unsigned char *)"troth-signer-probe", 18, &sig, &siglen, err);
    free(sig);
    return rc;
}

/* A token key failed: say so (the web process answers 503) and end this
 * worker; the supervisor's next one logs in to the token anew. */
static int token_gone(struct signer_state *st, const struct signer_ca_key *ca, const struct problem *err)
{
    char why[400];
    snprintf(why, sizeof why, "CA %s: key token unavailable: %.200s", ca->id, err->detail);
    slog("%s; exiting so that the supervisor reopens the token", why);
    proto_write_resp(st->fd, PROTO_UNAVAILABLE, why, strlen(why), -1); /* no poll() in the sandbox */
    if (st->sandbox)
        _exit(4); /* no clean-up: logging out of a broken token needs calls the sandbox refuses */
    return -1;
}

/* Open every CA's key through its key source (the PKCS#11 seam) and get it ready. */
static int load_cas(struct signer_state *st, const struct signer_worker_cfg *cfg, struct problem *err)
{
    if (cfg->n_cas == 0 || cfg->n_cas > SIGNER_MAX_CAS)
        return problem_set(err, PK_SIGNER_INIT_MALFORMED, NULL, "1..%d CAs expected", SIGNER_MAX_CAS);
    for (size_t i = 0; i < cfg->n_cas; i++) {
        struct signer_ca_key *ca = &st->cas[st->n_cas];
        memcpy(ca->id, cfg->cas[i].id, sizeof ca->id);
        st->n_cas++;
        if ((ca->cert = X509_dup(cfg->cas[i].cert)) == NULL)
            return problem_set(err, PK_SIGNER_INIT_FAILED, NULL, "out of memory");
        ca->in_token = cfg->cas[i].src.kind == SIGNER_KEY_PKCS11;
        ca->key = signer_key_open(&cfg->cas[i].src, err);
        if (ca->key == NULL || pki_ca_check_pair(ca->cert, ca->key, err) != 0)
            return -1;
        if (signer_ca_key_prepare(ca) != 0)
            return problem_set(err, PK_SIGNER_INIT_FAILED, NULL, "CA %s: unusable certificate or key", ca->id);
        /* Warm up: load providers and seed the DRBG before the sandbox forbids
         * open(); for a token key, the first signature in the token too. */
        if (probe(ca, err) != 0)
            return -1;
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

static void parts_reset(struct crl_parts *pt)
{
    free(pt->buf);
    memset(pt, 0, sizeof *pt);
}

/* Keep one piece of a CRL's TBS (nothing is answered before the last). */
static void parts_add(struct crl_parts *pt, const struct proto_field *id, const struct proto_field *piece)
{
    if (pt->bad)
        return;
    if (pt->len == 0 && pt->ca[0] == 0) {
        if (id->len == 0 || id->len > SIGNER_CA_ID_MAX) {
            pt->bad = "unknown CA id";
            return;
        }
        memcpy(pt->ca, id->p, id->len);
    } else if (strlen(pt->ca) != id->len || memcmp(pt->ca, id->p, id->len) != 0) {
        pt->bad = "the pieces of one CRL name different CAs";
        return;
    }
    if (piece->len > PROTO_MAX_TBS - pt->len) {
        pt->bad = "TBSCertList larger than the signer accepts";
        return;
    }
    if (pt->len + piece->len > pt->cap) {
        size_t cap = pt->cap ? pt->cap : PROTO_CRL_CHUNK;
        while (cap < pt->len + piece->len)
            cap = cap > PROTO_MAX_TBS / 2 ? PROTO_MAX_TBS : cap * 2;
        unsigned char *b = realloc(pt->buf, cap);
        if (b == NULL) {
            pt->bad = "out of memory for the CRL";
            return;
        }
        pt->buf = b;
        pt->cap = cap;
    }
    memcpy(pt->buf + pt->len, piece->p, piece->len);
    pt->len += piece->len;
}

static int refuse(struct signer_state *st, const char *kind, const char *ca, const char *why)
{
    if (ca)
        slog("refused %s for CA %s: %s", kind, ca, why);
    else
        slog("refused %s: %s", kind, why);
    return proto_write_resp(st->fd, PROTO_REFUSED, why, strlen(why), -1) == PROTO_RC_OK ? 0 : -1;
}

/* Check and sign a CRL; answers signatureAlgorithm || signature. */
static int sign_crl(struct signer_state *st, struct signer_ca_key *ca, const unsigned char *tbs, size_t len)
{
    char why[256];
    uint64_t crl_number = 0;
    if (signer_check_crl_tbs(ca, &st->policy, tbs, len, &crl_number, why, sizeof why) != 0)
        return refuse(st, "CRL", ca->id, why);
    size_t alg_len;
    const unsigned char *alg = pki_sigalg_der(ca->key, &alg_len);
    unsigned char *out = NULL, *sig = NULL;
    size_t sig_len = 0;
    struct problem err;
    int rc;
    if (alg == NULL)
        rc = proto_write_resp(st->fd, PROTO_ERROR, "CA key type is not supported for signing", 40, -1);
    else if (pki_sign_data(ca->key, tbs, len, &sig, &sig_len, &err) != 0)
        rc = ca->in_token ? token_gone(st, ca, &err)
                          : proto_write_resp(st->fd, PROTO_ERROR, err.detail, strlen(err.detail), -1);
    else if ((out = malloc(alg_len + sig_len)) == NULL)
        rc = proto_write_resp(st->fd, PROTO_ERROR, "out of memory", 13, -1);
    else {
        memcpy(out, alg, alg_len);
        memcpy(out + alg_len, sig, sig_len);
        ca->last_crl_number = crl_number;
        rc = proto_write_resp(st->fd, PROTO_OK, out, alg_len + sig_len, -1);
    }
    free(out);
    free(sig);
    return rc == PROTO_RC_OK ? 0 : -1;
}

/* Answer one request; returns -1 when the connection must close. */
static int handle(struct signer_state *st, const struct proto_frame *fr)
{
    if (fr->type == PROTO_PING && fr->nfields == 0)
        return proto_write_resp(st->fd, PROTO_OK, "pong", 4, -1) == PROTO_RC_OK ? 0 : -1;
    if (fr->type == PROTO_PROBE && fr->nfields == 1 && !st->parts.len && !st->parts.bad) {
        struct signer_ca_key *ca = find_ca(st, &fr->f[0]);
        struct problem err = {0};
        if (ca == NULL)
            return proto_write_resp(st->fd, PROTO_REFUSED, "unknown CA id", 13, -1) == PROTO_RC_OK ? 0 : -1;
        if (probe(ca, &err) != 0)
            return ca->in_token ? token_gone(st, ca, &err)
                                : (proto_write_resp(st->fd, PROTO_ERROR, err.detail, strlen(err.detail), -1), -1);
        return proto_write_resp(st->fd, PROTO_OK, "ok", 2, -1) == PROTO_RC_OK ? 0 : -1;
    }
    if ((fr->type != PROTO_SIGN_CERT && fr->type != PROTO_SIGN_CRL && fr->type != PROTO_SIGN_CRL_PART) ||
        fr->nfields != 2 || (fr->type == PROTO_SIGN_CERT && (st->parts.len || st->parts.bad))) {
        slog("malformed request (type %u, %zu fields), closing", fr->type, fr->nfields);
        return -1;
    }
    if (fr->type == PROTO_SIGN_CRL_PART) {
        parts_add(&st->parts, &fr->f[0], &fr->f[1]);
        return 0;
    }
    const char *kind = fr->type == PROTO_SIGN_CERT ? "certificate" : "CRL";
    const unsigned char *tbs = fr->f[1].p;
    size_t len = fr->f[1].len;
    if (fr->type == PROTO_SIGN_CRL && (st->parts.len || st->parts.bad)) {
        parts_add(&st->parts, &fr->f[0], &fr->f[1]);
        if (st->parts.bad) {
            int rc = refuse(st, kind, NULL, st->parts.bad);
            parts_reset(&st->parts);
            return rc;
        }
        tbs = st->parts.buf;
        len = st->parts.len;
    }
    struct signer_ca_key *ca = find_ca(st, &fr->f[0]);
    int rc;
    if (ca == NULL)
        rc = refuse(st, kind, NULL, "unknown CA id");
    else if (fr->type == PROTO_SIGN_CRL)
        rc = sign_crl(st, ca, tbs, len);
    else {
        char why[256];
        if (signer_check_cert_tbs(ca, st->cas, st->n_cas, tbs, len, why, sizeof why) != 0)
            return refuse(st, kind, ca->id, why);
        unsigned char *der = NULL;
        size_t dlen = 0;
        struct problem err;
        if (pki_sign_tbs(ca->key, tbs, len, &der, &dlen, &err) != 0)
            rc = ca->in_token ? token_gone(st, ca, &err)
                              : proto_write_resp(st->fd, PROTO_ERROR, err.detail, strlen(err.detail), -1);
        else
            rc = proto_write_resp(st->fd, PROTO_OK, der, dlen, -1);
        free(der);
        rc = rc == PROTO_RC_OK ? 0 : -1;
    }
    parts_reset(&st->parts);
    return rc;
}

static void clear_state(struct signer_state *st)
{
    for (size_t i = 0; i < st->n_cas; i++)
        signer_ca_key_clear(&st->cas[i]);
    st->n_cas = 0;
    parts_reset(&st->parts);
    /* a sandboxed worker's token sessions end with the process: closing
     * them (C_Finalize) needs calls the sandbox refuses */
    if (!st->sandbox)
        signer_key_close_tokens();
}

static bool uses_token(const struct signer_state *st)
{
    for (size_t i = 0; i < st->n_cas; i++)
        if (st->cas[i].in_token)
            return true;
    return false;
}

/* Startup: not dumpable, CA keys, confinement. Answers ok "ready" or the error. */
static int start(struct signer_state *st, const struct signer_worker_cfg *cfg)
{
    struct problem err = {0};
    /* Not dumpable: a same-uid process can neither ptrace this one nor read
     * /proc/<pid>/mem; nor does a crash leave a core with the keys. */
    int ok = prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == 0;
    if (!ok)
        problem_set(&err, PK_SIGNER_INIT_FAILED, NULL, "prctl(PR_SET_DUMPABLE): %s", strerror(errno));
    ok = ok && load_cas(st, cfg, &err) == 0;
    ok = ok && (!cfg->sandbox || (sandbox_drop_privileges(cfg->user ? cfg->user : SIGNER_DEFAULT_USER, &err) == 0 &&
                                  sandbox_enter_signer(uses_token(st), &err) == 0));
    if (!ok) {
        slog("startup failed: %s: %s", problem_kind_name(err.kind), err.detail);
        proto_write_resp(st->fd, PROTO_ERROR, err.detail, strlen(err.detail), 5000);
        return 2;
    }
    return proto_write_resp(st->fd, PROTO_OK, "ready", 5, -1) == PROTO_RC_OK ? 0 : 2;
}

int signer_worker_main(int fd, const struct signer_worker_cfg *cfg)
{
    struct signer_state st = {.fd = fd, .sandbox = cfg->sandbox, .policy = cfg->policy};
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

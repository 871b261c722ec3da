/* Signer worker: startup (CA set, passphrase, confinement) and the request loop. */
#include "signer/signer.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>

#include "pki/ca.h"
#include "pki/encode.h"
#include "pki/keys.h"
#include "pki/sign.h"
#include "signer/check.h"
#include "signer/proto.h"
#include "signer/sandbox.h"
#include "util/file.h"


struct signer_state {
    int fd;
    struct signer_ca_key cas[SIGNER_MAX_CAS];
    size_t n_cas;
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

static char *read_passphrase(const char *path, struct pki_err *err)
{
    char why[256];
    char *pass = passphrase_read(path, why, sizeof why);
    if (!pass)
        pki_err_set(err, 500, "passphrase_unreadable", "%s", why);
    return pass;
}

static int id_ok(const struct proto_field *f)
{
    if (f->len == 0 || f->len > SIGNER_CA_ID_MAX)
        return 0;
    for (size_t i = 0; i < f->len; i++)
        if (f->p[i] <= 0x20 || f->p[i] >= 0x7f)
            return 0;
    return 1;
}

/* Load the CA set from an INIT frame, decrypting each key with pass. */
static int load_cas(struct signer_state *st, const struct proto_frame *fr, const char *pass, struct pki_err *err)
{
    if (fr->type != PROTO_INIT || fr->nfields == 0 || fr->nfields % 3 != 0 || fr->nfields / 3 > SIGNER_MAX_CAS)
        return pki_err_set(err, 400, "signer_init_malformed", "expected INIT with {id, cert, key} triples");
    for (size_t i = 0; i < fr->nfields / 3; i++) {
        const struct proto_field *f = &fr->f[3 * i];
        struct signer_ca_key *ca = &st->cas[st->n_cas];
        if (!id_ok(&f[0]))
            return pki_err_set(err, 400, "signer_init_malformed", "CA id %zu is invalid", i);
        memcpy(ca->id, f[0].p, f[0].len);
        ca->id[f[0].len] = '\0';
        st->n_cas++;
        ca->cert = pki_cert_from_der(f[1].p, f[1].len);
        if (ca->cert == NULL)
            return pki_err_set(err, 400, "signer_init_malformed", "CA %s: certificate does not parse", ca->id);
        ca->key = pki_key_decrypt_pem((const char *)f[2].p, f[2].len, pass, err);
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
    int ok = fr->type == PROTO_SIGN_CERT
                 ? signer_check_cert_tbs(ca, fr->f[1].p, fr->f[1].len, why, sizeof why)
                 : signer_check_crl_tbs(ca, fr->f[1].p, fr->f[1].len, why, sizeof why);
    if (ok != 0) {
        slog("refused %s: %s", kind, why);
        return proto_write_resp(st->fd, PROTO_REFUSED, why, strlen(why), -1) == PROTO_RC_OK ? 0 : -1;
    }
    unsigned char *der = NULL;
    size_t len = 0;
    struct pki_err err;
    int rc;
    if (pki_sign_tbs(ca->key, fr->f[1].p, fr->f[1].len, &der, &len, &err) != 0)
        rc = proto_write_resp(st->fd, PROTO_ERROR, err.detail, strlen(err.detail), -1);
    else
        rc = proto_write_resp(st->fd, PROTO_OK, der, len, -1);
    free(der);
    return rc == PROTO_RC_OK ? 0 : -1;
}

static void clear_state(struct signer_state *st)
{
    for (size_t i = 0; i < st->n_cas; i++)
        signer_ca_key_clear(&st->cas[i]);
    st->n_cas = 0;
}

/* Startup: passphrase, CA set, confinement. Answers INIT with ok or the error. */
static int start(struct signer_state *st, const char *passphrase_file, const struct signer_opts *o)
{
    struct pki_err err = {0};
    struct proto_frame fr;
    int rc = proto_read(st->fd, &fr, -1);
    if (rc != PROTO_RC_OK) {
        slog("no CA set received: %s", proto_rc_str(rc));
        return 2;
    }
    char *pass = read_passphrase(passphrase_file, &err);
    int ok = pass != NULL && load_cas(st, &fr, pass, &err) == 0;
    passphrase_free(pass);
    proto_frame_free(&fr);
    ok = ok && (!o->sandbox || (sandbox_drop_privileges(o->user ? o->user : SIGNER_DEFAULT_USER, &err) == 0 &&
                                sandbox_enter_signer(&err) == 0));
    if (!ok) {
        slog("startup failed: %s: %s", err.code, err.detail);
        proto_write_resp(st->fd, PROTO_ERROR, err.detail, strlen(err.detail), 5000);
        return 2;
    }
    return proto_write_resp(st->fd, PROTO_OK, "ready", 5, -1) == PROTO_RC_OK ? 0 : 2;
}

int signer_main_opts(int fd, const char *passphrase_file, const struct signer_opts *opts)
{
    struct signer_state st = {.fd = fd};
    int status = start(&st, passphrase_file, opts);
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
    if (opts->sandbox)
        _exit(status);
    return status;
}

int signer_main(int fd, const char *passphrase_file)
{
    struct signer_opts o = {.user = SIGNER_DEFAULT_USER, .sandbox = true};
    return signer_main_opts(fd, passphrase_file, &o);
}

int signer_command(int argc, char **argv)
{
    struct signer_opts o = {.user = SIGNER_DEFAULT_USER, .sandbox = true};
    const char *pass = NULL;
    int fd = -1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--fd") == 0 && i + 1 < argc) {
            char *end;
            long v = strtol(argv[++i], &end, 10);
            if (*end == '\0' && v >= 0 && v < 65536)
                fd = (int)v;
        } else if (strcmp(argv[i], "--passphrase-file") == 0 && i + 1 < argc) {
            pass = argv[++i];
        } else if (strcmp(argv[i], "--user") == 0 && i + 1 < argc) {
            o.user = argv[++i];
        } else {
            fprintf(stderr, "usage: troth signer --fd N --passphrase-file PATH [--user USER]\n");
            return 64;
        }
    }
    if (fd < 0 || pass == NULL) {
        fprintf(stderr, "usage: troth signer --fd N --passphrase-file PATH [--user USER]\n");
        return 64;
    }
    return signer_main_opts(fd, pass, &o);
}

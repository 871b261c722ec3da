/* Shared helpers for the PKI and signer unit tests (header-only: each test
 * binary is linked from one .c file). */
#ifndef TROTH_PKI_TEST_UTIL_H
#define TROTH_PKI_TEST_UTIL_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "pki/ca.h"
#include "pki/keys.h"

/* A fresh directory under /tmp; caller removes it with tu_rmdir. */
static inline char *tu_mkdtemp(void)
{
    char *d = strdup("/tmp/troth-test-XXXXXX");
    if (d == NULL || mkdtemp(d) == NULL) {
        free(d);
        return NULL;
    }
    return d;
}

static inline void tu_rmdir(char *dir)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    free(dir);
}

/* dir/name as a malloc'd path. */
static inline char *tu_path(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    snprintf(p, n, "%s/%s", dir, name);
    return p;
}

static inline int tu_write(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL)
        return -1;
    size_t w = fwrite(data, 1, len, f);
    return fclose(f) == 0 && w == len ? 0 : -1;
}

static inline int tu_write_cert(const char *path, X509 *x)
{
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return -1;
    int ok = PEM_write_X509(f, x);
    return fclose(f) == 0 && ok ? 0 : -1;
}

/* Run a shell command, capture stdout+stderr into a malloc'd string, return exit status. */
static inline int tu_run(char **output, const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    strncat(cmd, " 2>&1", sizeof cmd - strlen(cmd) - 1);
    FILE *p = popen(cmd, "r");
    if (p == NULL)
        return -1;
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    size_t n;
    while ((n = fread(buf + len, 1, cap - len - 1, p)) > 0) {
        len += n;
        if (cap - len < 1024)
            buf = realloc(buf, cap *= 2);
    }
    buf[len] = '\0';
    int st = pclose(p);
    if (output)
        *output = buf;
    else
        free(buf);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* A root and an issuing CA with their keys, for tests. */
struct tu_cas {
    EVP_PKEY *root_key, *int_key;
    X509 *root, *issuing;
};

static inline int tu_make_cas(struct tu_cas *c, const char *root_spec, const char *int_spec)
{
    struct problem err;
    memset(c, 0, sizeof *c);
    c->root_key = pki_key_generate(root_spec, &err);
    c->int_key = pki_key_generate(int_spec, &err);
    X509_NAME *rn = pki_name_org_cn("Test Community", "Test Root", &err);
    X509_NAME *in = pki_name_org_cn("Test Community", "Test Issuing CA", &err);
    if (c->root_key && c->int_key && rn && in) {
        c->root = pki_ca_make_root(c->root_key, rn, 3650, &err);
        if (c->root)
            c->issuing = pki_ca_make_issuing(c->int_key, in, 1825, c->root, c->root_key,
                                             "http://127.0.0.1:8080/crl/root.crl",
                                             "http://127.0.0.1:8080/ca/root.crt", &err);
    }
    X509_NAME_free(rn);
    X509_NAME_free(in);
    if (c->issuing == NULL)
        fprintf(stderr, "tu_make_cas: %s %s\n", problem_kind_name(err.kind), err.detail);
    return c->issuing ? 0 : -1;
}

static inline void tu_free_cas(struct tu_cas *c)
{
    EVP_PKEY_free(c->root_key);
    EVP_PKEY_free(c->int_key);
    X509_free(c->root);
    X509_free(c->issuing);
}

/* Verify leaf against root (trusted) and issuing (untrusted) with X509_verify_cert. */
static inline int tu_verify_chain(X509 *root, X509 *issuing, X509 *leaf, X509_CRL *crl, int *verr)
{
    X509_STORE *st = X509_STORE_new();
    STACK_OF(X509) *untrusted = sk_X509_new_null();
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    X509_STORE_add_cert(st, root);
    sk_X509_push(untrusted, issuing);
    if (crl != NULL) {
        X509_STORE_add_crl(st, crl);
        X509_STORE_set_flags(st, X509_V_FLAG_CRL_CHECK);
    }
    X509_STORE_CTX_init(ctx, st, leaf, untrusted);
    int ok = X509_verify_cert(ctx);
    if (verr)
        *verr = X509_STORE_CTX_get_error(ctx);
    X509_STORE_CTX_free(ctx);
    sk_X509_free(untrusted);
    X509_STORE_free(st);
    return ok;
}

#endif

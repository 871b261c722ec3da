/* Error struct helpers for the PKI library. */
#include "pki/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>

int pki_err_set(struct pki_err *err, int status, const char *code, const char *fmt, ...)
{
    if (err == NULL)
        return -1;
    err->status = status;
    snprintf(err->code, sizeof err->code, "%s", code);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->detail, sizeof err->detail, fmt, ap);
    va_end(ap);
    return -1;
}

int pki_err_ossl(struct pki_err *err, const char *code, const char *what)
{
    unsigned long e = ERR_peek_error();
    char buf[160] = "no OpenSSL error";
    if (e != 0)
        ERR_error_string_n(e, buf, sizeof buf);
    ERR_clear_error();
    return pki_err_set(err, 500, code, "%s: %s", what, buf);
}

void pki_err_clear(struct pki_err *err)
{
    if (err == NULL)
        return;
    err->status = 0;
    err->code[0] = '\0';
    err->detail[0] = '\0';
}

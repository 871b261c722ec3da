/* Error reporting for the PKI library: a status the web layer maps to HTTP,
 * a stable machine code and a human sentence. */
#ifndef TROTH_PKI_ERR_H
#define TROTH_PKI_ERR_H

struct pki_err {
    int status;      /* 400 malformed, 422 refused, 500 internal, 503 signer unavailable */
    char code[48];   /* stable machine code, e.g. "csr_signature_invalid" */
    char detail[256];/* human sentence */
};

/* Fill err (may be NULL) with status, code and a printf-style detail; returns -1. */
int pki_err_set(struct pki_err *err, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Status 500 with code, "what: <oldest OpenSSL error>"; clears the OpenSSL error queue; returns -1. */
int pki_err_ossl(struct pki_err *err, const char *code, const char *what);

/* Reset err (may be NULL) to "no error" (status 0, empty strings). */
void pki_err_clear(struct pki_err *err);

#endif

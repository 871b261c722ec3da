/* CRL building: the v2 TBSCertList is written directly in DER (no X509_CRL
 * objects), so a CRL of a million entries builds fast in little memory. */
#ifndef TROTH_PKI_CRL_H
#define TROTH_PKI_CRL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <openssl/x509.h>
#include "pki/err.h"

/* CRLReason codes, RFC 5280 §5.3.1 (7 is unused; removeFromCRL is for delta CRLs only). */
enum pki_crl_reason {
    PKI_REASON_UNSPECIFIED = 0, PKI_REASON_KEY_COMPROMISE = 1, PKI_REASON_CA_COMPROMISE = 2,
    PKI_REASON_AFFILIATION_CHANGED = 3, PKI_REASON_SUPERSEDED = 4,
    PKI_REASON_CESSATION_OF_OPERATION = 5, PKI_REASON_CERTIFICATE_HOLD = 6,
    PKI_REASON_PRIVILEGE_WITHDRAWN = 9, PKI_REASON_AA_COMPROMISE = 10,
};

struct pki_crl_entry {
    unsigned char serial[20]; /* big-endian, positive */
    size_t serial_len;        /* 1..20 (§4.1.2.2) */
    time_t revoked_at;
    int reason;               /* enum pki_crl_reason */
};

/* Entry source: fill *out and return 1, return 0 at the end, -1 on error. */
typedef int (*pki_crl_next_fn)(void *ctx, struct pki_crl_entry *out);

struct pki_crl_spec {
    const X509 *issuer;   /* the CA certificate (subject, SKI, key type) */
    uint64_t number;      /* cRLNumber, monotonically increasing (§5.2.3) */
    time_t this_update, next_update;
};

/* Reason code for an RFC 5280 name ("keyCompromise", ...); -1 if unknown or not allowed. */
int pki_crl_reason_from_name(const char *name);
/* RFC 5280 name for a reason code, or NULL. */
const char *pki_crl_reason_name(int code);
/* Build TBSCertList DER (*tbs malloc'd) from entries pulled through next; size_hint
 * (expected entries, may be 0) pre-sizes the buffer. 400 crl_entry_invalid. */
int pki_crl_build_tbs(const struct pki_crl_spec *spec, pki_crl_next_fn next, void *ctx,
                      size_t size_hint, unsigned char **tbs, size_t *tbs_len, struct problem *err);
/* Same from an array of n entries. */
int pki_crl_build_tbs_array(const struct pki_crl_spec *spec, const struct pki_crl_entry *entries,
                            size_t n, unsigned char **tbs, size_t *tbs_len, struct problem *err);

#endif

/* Certificate signing requests: parsing, proof of possession, key policy, preview. */
#ifndef TROTH_PKI_CSR_H
#define TROTH_PKI_CSR_H

#include <stdbool.h>
#include <stddef.h>
#include <openssl/x509.h>
#include "pki/err.h"

enum { /* key types a profile may take (the values of config.h PROFILE_KEY_*) */
    PKI_KEYT_RSA2048 = 1u << 0, PKI_KEYT_RSA3072 = 1u << 1, PKI_KEYT_RSA4096 = 1u << 2,
    PKI_KEYT_EC_P256 = 1u << 3, PKI_KEYT_EC_P384 = 1u << 4
};

struct pki_key_policy {
    bool rsa_only;     /* udap-server profile: metadata must be RS256 (UDAP §2.3) */
    unsigned types;    /* PKI_KEYT_* bits the profile takes; 0: any the checks pass */
    const char *types_desc; /* "RSA-2048, EC-P256", for the refusal */
};

struct pki_csr_summary {
    char key_type[16];    /* "RSA", "EC", or the algorithm's short name */
    int bits;             /* key size in bits */
    char curve[16];       /* "P-256"/"P-384"/... for EC, else "" */
    char key_desc[32];    /* "RSA 2048", "EC P-256" */
    char subject[512];    /* RFC 2253 string of the requested subject */
    char **uris;          /* SAN URIs requested (malloc'd, byte-exact) */
    size_t n_uris;
};

/* Parse a CSR from PEM ("CERTIFICATE REQUEST" / "NEW CERTIFICATE REQUEST") or DER; 400 csr_malformed. */
X509_REQ *pki_csr_parse(const char *data, size_t len, struct problem *err);
/* Key policy (422): RSA 2048..8192 with odd e >= 3 (65537 expected), EC P-256/P-384 only;
 * key_weak, key_type_not_allowed, rsa_required. */
int pki_key_check(const EVP_PKEY *key, const struct pki_key_policy *policy, struct problem *err);
/* The PKI_KEYT_* bit of a key, 0 for any other key (RSA-2560, P-521, ...). */
unsigned pki_key_type_bit(const EVP_PKEY *key);
/* Key policy then proof of possession (422 csr_signature_invalid). */
int pki_csr_check(X509_REQ *req, const struct pki_key_policy *policy, struct problem *err);
/* Summarise a CSR for previews; free with pki_csr_summary_free. */
int pki_csr_summarize(X509_REQ *req, struct pki_csr_summary *out, struct problem *err);
/* Free what pki_csr_summarize allocated. */
void pki_csr_summary_free(struct pki_csr_summary *s);

#endif

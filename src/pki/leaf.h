/* Building the to-be-signed leaf (end-entity) certificate; the signer signs it. */
#ifndef TROTH_PKI_LEAF_H
#define TROTH_PKI_LEAF_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>
#include <openssl/x509.h>
#include "pki/err.h"

struct pki_leaf_spec {
    EVP_PKEY *pubkey;           /* subject public key (from the CSR or a generated key) */
    const X509_PUBKEY *spki;    /* optional: the same key as the CSR carries it; copied
                                 * as is, which spares OpenSSL 3.0's slow re-encoding */
    const X509_NAME *subject;
    const char *const *uris;    /* SAN uniformResourceIdentifier values, byte-exact */
    size_t n_uris;
    time_t not_before, not_after; /* not_after is clamped to the issuer's notAfter */
    const char *crl_url;        /* HTTP CRL distribution point of the issuer */
    const char *aia_url;        /* HTTP URL of the issuer certificate (caIssuers) */
    bool eku_client_auth;
    bool eku_server_auth;
    const char *const *policies; /* dotted OIDs for certificatePolicies; none: no extension */
    size_t n_policies;
    unsigned char serial[16];   /* positive, non-zero: see pki_random_serial() */
};

/* Fill serial with 16 random bytes, top bit cleared and first byte non-zero
 * (positive, exactly 16 DER octets; RFC 5280 §4.1.2.2). 0 or -1. */
int pki_random_serial(unsigned char serial[16]);
/* Set x's serial number from 16 big-endian bytes. 0 or -1. */
int pki_set_serial(X509 *x, const unsigned char serial[16]);
/* Build the TBSCertificate DER (*tbs malloc'd) for spec under issuer, and point *alg at
 * the signature AlgorithmIdentifier for the issuer key. 400 uri_invalid, 422 validity_invalid. */
int pki_leaf_build_tbs(const struct pki_leaf_spec *spec, const X509 *issuer,
                       unsigned char **tbs, size_t *tbs_len,
                       const unsigned char **alg, size_t *alg_len, struct problem *err);

#endif

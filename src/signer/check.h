/* What the signer agrees to sign: re-checks of TBS structures against the CA
 * that would sign them and against that CA's role, independent of the web
 * process's own checks (a compromised web process can send anything). The
 * rules, with their RFC 5280 sections, are listed in src/signer/README.md. */
#ifndef TROTH_SIGNER_CHECK_H
#define TROTH_SIGNER_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <openssl/x509.h>

#define SIGNER_CA_ID_MAX 32

/* A root (self-issued, self-signed) signs only CA certificates for the
 * issuing CAs it was handed and its own CRLs; an issuing CA signs only
 * end-entity certificates and its own CRLs. Taken from the certificate. */
enum signer_role { SIGNER_ROLE_ROOT, SIGNER_ROLE_ISSUING };

/* What every CRL must respect; from [ca] crl_validity_hours. */
struct signer_policy {
    long crl_validity_seconds; /* nextUpdate - now at most this + SIGNER_CRL_MARGIN_S */
};
#define SIGNER_CRL_MARGIN_S 300L    /* clock skew and build time between web and signer */
#define SIGNER_CRL_BACKDATE_S 3600L /* thisUpdate may be up to this far in the past */

/* One CA the signer holds. */
struct signer_ca_key {
    char id[SIGNER_CA_ID_MAX + 1];
    X509 *cert;
    EVP_PKEY *key;
    enum signer_role role;
    unsigned char *subject_der;  /* DER of the CA's subject Name */
    size_t subject_len;
    const unsigned char *alg;    /* AlgorithmIdentifier DER for this key (static) */
    size_t alg_len;
    uint64_t last_crl_number;    /* the highest cRLNumber this worker signed for it */
    bool in_token;               /* the key is a PKCS#11 token's: a failed signature means the token is gone */
};

/* Fill role, subject_der, alg from cert and key; 0 or -1. */
int signer_ca_key_prepare(struct signer_ca_key *ca);
/* Free what the CA entry holds (the key is cleansed by EVP_PKEY_free). */
void signer_ca_key_clear(struct signer_ca_key *ca);
/* 0 if ca may sign tbs (a TBSCertificate): a leaf for an issuing CA, the
 * certificate of one of the set's issuing CAs for a root; else -1 with why. */
int signer_check_cert_tbs(const struct signer_ca_key *ca, const struct signer_ca_key *set, size_t n,
                          const unsigned char *tbs, size_t len, char *why, size_t why_size);
/* 0 if tbs is a v2 TBSCertList of this CA inside the policy, else -1 with why.
 * *number gets its cRLNumber (the caller records it once signed). */
int signer_check_crl_tbs(const struct signer_ca_key *ca, const struct signer_policy *pol,
                         const unsigned char *tbs, size_t len, uint64_t *number,
                         char *why, size_t why_size);

#endif

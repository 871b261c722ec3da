/* What the signer agrees to sign: re-checks of TBS structures against the CA
 * that would sign them, independent of the web process's own checks. */
#ifndef TROTH_SIGNER_CHECK_H
#define TROTH_SIGNER_CHECK_H

#include <stddef.h>
#include <openssl/x509.h>

#define SIGNER_CA_ID_MAX 32

/* One CA the signer holds. */
struct signer_ca_key {
    char id[SIGNER_CA_ID_MAX + 1];
    X509 *cert;
    EVP_PKEY *key;
    unsigned char *subject_der;  /* DER of the CA's subject Name */
    size_t subject_len;
    const unsigned char *alg;    /* AlgorithmIdentifier DER for this key (static) */
    size_t alg_len;
};

/* Fill subject_der/alg from cert and key; 0 or -1. */
int signer_ca_key_prepare(struct signer_ca_key *ca);
/* Free what the CA entry holds (the key is cleansed by EVP_PKEY_free). */
void signer_ca_key_clear(struct signer_ca_key *ca);
/* 0 if tbs is an end-entity TBSCertificate this CA may sign, else -1 with why. */
int signer_check_cert_tbs(const struct signer_ca_key *ca, const unsigned char *tbs, size_t len,
                          char *why, size_t why_size);
/* 0 if tbs is a well-formed v2 TBSCertList of this CA, else -1 with why. */
int signer_check_crl_tbs(const struct signer_ca_key *ca, const unsigned char *tbs, size_t len,
                         char *why, size_t why_size);

#endif

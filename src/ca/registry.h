/* The community's CAs as the web process knows them: certificates and
 * URLs, loaded from the database at start-up. The private keys stay
 * encrypted here; only signer workers decrypt them. */
#ifndef TROTH_CA_REGISTRY_H
#define TROTH_CA_REGISTRY_H
#include <openssl/x509.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "db/db.h"

#define CA_ID_MAX 33

struct ca_info {
    char id[CA_ID_MAX];
    char kind[8];              /* "root" or "issuing" */
    char parent[CA_ID_MAX];    /* "" for a root */
    X509 *cert;
    unsigned char *der;
    size_t der_len;
    char *key_pem;             /* encrypted PKCS#8, for the signer only; NULL
                                  unless key_store is "database" */
    char key_store[12];        /* "database", "offline" or "pkcs11" */
    char *key_uri;             /* RFC 7512 URI of a pkcs11 key, else NULL */
    char subject[512];
    char fingerprint[96];      /* SHA-256 of the DER, lowercase hex */
    time_t not_before, not_after;
    bool issues_members;
    char crl_url[512];         /* public_url/crl/<id>.crl */
    char cert_url[512];        /* public_url/ca/<id>.crt */
};

struct ca_set {
    struct ca_info *cas;
    size_t n;
};

/* Loads every CA from the database. Returns 0, 1 when there is none yet,
 * -1 on a database error. */
int ca_set_load(struct db *db, const char *public_url, struct ca_set *set);
void ca_set_free(struct ca_set *set);

/* True when this system cannot sign with the CA's key (an offline root):
 * its CRLs are pre-signed and imported (`troth crl import`). */
bool ca_is_offline(const struct ca_info *ca);

/* The CA with this id, or NULL. */
const struct ca_info *ca_find(const struct ca_set *set, const char *id);

/* The CA member certificates are issued under, or NULL. */
const struct ca_info *ca_issuing(const struct ca_set *set);

/* The CA set `troth serve` runs with (set once at start-up). */
void ca_set_current(const struct ca_set *set);
const struct ca_set *ca_current(void);

/* A name as an RFC 2253 string ("CN=x,O=y"). */
void ca_name_string(const X509_NAME *name, char *out, size_t len);

/* Builds the public URLs of a CA id. */
void ca_urls(const char *public_url, const char *id, char *crl_url, char *cert_url,
             size_t len);

#endif

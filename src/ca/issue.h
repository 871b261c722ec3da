/* Issuing member certificates: the rules of the community CA, shared by the
 * REST API and the command line (revocation and holds: ca/revoke.h). Failures come
 * back as a struct problem (util/problem.h); ca_problem_field() names the input. */
#ifndef TROTH_CA_ISSUE_H
#define TROTH_CA_ISSUE_H
#include <libpq-fe.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <stddef.h>

#include "db/db.h"
#include "pki/err.h"

struct audit_actor;
struct signer_pool;
struct ca_set;
struct config;

#define SERIAL_HEX_MAX 41
#define MAX_URIS 16 /* SAN URIs in one certificate */
/* A key made here (POST /api/v1/certificates/keygen, a renewal's "keygen"):
 * the longest key_type name, and the PKCS#12 passphrase's bounds in bytes. */
#define KEYGEN_TYPE_MAX 16
#define KEYGEN_PASSPHRASE_MIN 8
#define KEYGEN_PASSPHRASE_MAX 1024

struct issue_req {
    const char *member_id;
    const char *profile;
    X509_REQ *csr;            /* checked for proof of possession; or NULL */
    EVP_PKEY *pubkey;         /* the key to certify (the CSR's, or generated) */
    const char *const *uris;  /* SAN URIs, byte-exact */
    size_t n_uris;
    const char *common_name;  /* optional; default: the first URI's host */
    const char *renewed_from; /* serial this renews, or NULL */
    const char *only_member;  /* a member user's member: others are 404 */
    bool keygen;              /* the key was made here: key_origin 'keygen' */
};

/* Checks, signs (through the signer), stores and audits a certificate.
 * Returns 0 with serial_out and, if row is not NULL, the stored row
 * (CERT_COLUMNS of ca/cert_view.h; PQclear it), or -1 with err. */
int ca_issue(struct db *db, struct signer_pool *pool, const struct ca_set *set,
             const struct config *cfg, const struct issue_req *rq,
             const struct audit_actor *actor, char serial_out[SERIAL_HEX_MAX],
             PGresult **row, struct problem *err);

/* Every check ca_issue makes that needs no key (profile, member active,
 * URIs approved; key_type: the key to come, "RSA-2048" ... "EC-P384", one the profile takes), for work that is
 * costly before the key exists (key generation). 0, or -1 with err. */
int ca_issue_precheck(struct db *db, struct signer_pool *pool, const struct ca_set *set,
                      const struct config *cfg, const struct issue_req *rq,
                      const char *key_type, struct problem *err);

/* The request field a problem kind of issuance is about ("csr", "uris",
 * ...), or NULL. */
const char *ca_problem_field(enum problem_kind k);

#endif

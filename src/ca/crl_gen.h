/* Making a CA's next CRL: read the revoked entries in one snapshot, encode
 * the TBSCertList, have it signed, store it, announce it (NOTIFY troth_crl)
 * and publish it in memory. One instance at a time per CA (advisory lock). */
#ifndef TROTH_CA_CRL_GEN_H
#define TROTH_CA_CRL_GEN_H
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "db/db.h"
#include "pki/err.h"

struct ca_info;
struct audit_actor;

/* Signs a TBSCertList for a CA: the signer pool in `serve`, the key in
 * process in `init`. Returns 0 with *der (malloc'd), or -1 with err. */
typedef int (*crl_sign_fn)(void *ctx, const struct ca_info *ca,
                           const unsigned char *tbs, size_t tbs_len,
                           unsigned char **der, size_t *der_len,
                           struct problem *err);

struct crl_result {
    uint64_t number;
    long entries;
    size_t der_len;
    /* where the time went, ms: the snapshot read and encoding, the
     * reservation, the signer, the store (for the log and the bench) */
    long long build_ms, reserve_ms, sign_ms, store_ms;
};

/* Returns 0 (made, stored, published), 1 (another instance holds the lock),
 * or -1 with err. validity_hours sets nextUpdate. */
int crl_generate(struct db *db, const struct ca_info *ca, unsigned validity_hours,
                 crl_sign_fn sign, void *sign_ctx, const struct audit_actor *actor,
                 struct crl_result *out, struct problem *err);

/* Seconds CRLs' thisUpdate (and revocation dates) lie in the past, for
 * relying parties whose clock is behind ([ca] crl_backdate_seconds). */
#define CRL_BACKDATE_DEFAULT 90
unsigned crl_backdate_seconds(void);

/* The next CRL's thisUpdate: `backdate` seconds before now, and at least a
 * second after the previous CRL's (may exceed now in a long burst: wait). */
time_t crl_this_update(time_t now, time_t previous, unsigned backdate);

/* Loads the newest stored CRL of a CA into the publication cache if it is
 * newer than the one published. Returns 0, or -1 on a database error. */
int crl_load_latest(struct db *db, const struct ca_info *ca);

#endif

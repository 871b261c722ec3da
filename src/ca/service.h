/* The CA side of `troth serve`: the CA set, the signer workers that hold
 * the keys, the publication cache, and the CRL worker thread. */
#ifndef TROTH_CA_SERVICE_H
#define TROTH_CA_SERVICE_H
#include <stdbool.h>
#include <stddef.h>

#include "pki/err.h"

struct config;
struct db;
struct ca_info;
struct signer_pool;
struct ca_set;

/* Forks the signer supervisor (src/signer/supervisor.h): first, before any
 * thread, database connection or listener. web_uid: the uid this process
 * is about to switch to (-1: none). */
int ca_service_fork_signer(const struct config *cfg, long web_uid, char *err, size_t errlen);

/* Loads the CAs, hands them to the signer supervisor (forking it if
 * ca_service_fork_signer was not called) and forgets the keys, publishes CA
 * certificates and the newest stored CRLs. With no CA yet (before `troth
 * init`), starts without one and says so. */
int ca_service_start(struct db *db, const struct config *cfg, char *err, size_t errlen);

/* Starts a supervisor with `workers` signer workers for every CA of the set
 * (CLI commands that sign); the set's encrypted keys are cleansed and freed.
 * Returns 0, or -1 with err. */
int ca_signer_start(struct ca_set *set, const struct config *cfg, size_t workers,
                    struct signer_pool **pool, char *err, size_t errlen);

/* Starts the CRL worker thread (after ca_service_start). */
int ca_service_start_worker(const struct config *cfg);

/* Stops the worker and the signers; frees everything. */
void ca_service_stop(void);

/* The signer pool, or NULL when there is no CA. */
struct signer_pool *ca_signer(void);

/* A crl_sign_fn that asks the signer pool (ctx: the pool). */
int ca_sign_crl_by_signer(void *ctx, const struct ca_info *ca,
                          const unsigned char *tbs, size_t tbs_len,
                          unsigned char **der, size_t *der_len, struct problem *err);

/* Restarts dead signer workers; for the upkeep thread, once a second. */
void ca_service_check_signer(void);

/* For /readyz: "" when fine, else why not (signer down, CRL stale). */
void ca_service_health(char *why, size_t len);

#endif

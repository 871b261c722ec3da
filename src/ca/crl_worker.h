/* The CRL worker thread of `troth serve`: listens for revocations (NOTIFY
 * troth_revoked) and regenerates the CA's CRL within 2 seconds, coalescing
 * bursts; regenerates every CRL well before its nextUpdate; picks up CRLs
 * other instances made (NOTIFY troth_crl). */
#ifndef TROTH_CA_CRL_WORKER_H
#define TROTH_CA_CRL_WORKER_H

struct config;
struct ca_set;
struct signer_pool;

int crl_worker_start(const struct config *cfg, const struct ca_set *set,
                     struct signer_pool *pool);
void crl_worker_stop(void);

#endif

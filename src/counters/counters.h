/* The counters and histograms of `troth serve`: atomics updated where the
 * event happens (no lock: the public CRL path only adds to two of them),
 * from process start (`_total`), as Prometheus expects of counters. They
 * sit below ca/ and http/, which bump them; the gauges and the whole
 * exposition are in metrics/, above both. */
#ifndef TROTH_COUNTERS_H
#define TROTH_COUNTERS_H
#include <stdbool.h>
#include <stddef.h>

/* Sizes the request counters for a route table of nroutes routes, named
 * by method and pattern (the arrays must outlive the counters; call once,
 * before the listeners start). Without it, request counters are not kept. */
int metrics_init(const char *const *methods, const char *const *patterns, size_t nroutes);

/* One request answered on the public or the admin listener: `route` is its
 * index in the route table, or -1 when no route matched. */
void metrics_http_done(bool admin, long route, unsigned status, long long micros);

/* A certificate issued under `profile`; a revocation or hold with `reason`
 * (RFC 5280 name). */
void metrics_certificate_issued(const char *profile);
void metrics_revoked(const char *reason);

/* A sign-in (POST /api/v1/session) or password check answered: signed
 * in, wrong credentials, refused by the per-address limits (429
 * too-many-attempts), or by the bound on argon2 work (429 busy). */
enum metrics_signin { SIGNIN_OK, SIGNIN_FAILED, SIGNIN_LIMITED, SIGNIN_BUSY, SIGNIN_NRESULTS };
void metrics_signin(enum metrics_signin result);

/* A probe of a CA key held in a PKCS#11 token (one signature in a signer
 * worker, for /readyz): the key answered, or the token is gone. */
void metrics_token_probe(bool ok);

/* The CRL worker: a CRL built in `seconds`; a revocation of CA index `ca`
 * reached the worker; the CA's CRL holding it is served now. */
void metrics_crl_generated(double seconds);
void metrics_revocation_seen(size_t ca);
void metrics_crl_served(size_t ca);

/* The counters' part of the exposition (counters/exposition.h). */
struct mbuf;
void metrics_render_counters(struct mbuf *b);

#endif

/* Prometheus metrics of `troth serve`. Counters and histograms are atomics
 * updated where the event happens (no lock: the public CRL path only adds
 * to two of them); gauges come from memory or from one query the gauge
 * thread runs on a timer, never from a query per scrape. Counters count
 * from process start (`_total`), as Prometheus expects of counters. */
#ifndef TROTH_METRICS_H
#define TROTH_METRICS_H
#include <stdbool.h>
#include <stddef.h>

struct route;
struct config;
struct db;

/* Sizes the request counters for this route table (call once, before the
 * listeners start). Without it, request counters are not kept. */
int metrics_init(const struct route *routes, size_t nroutes);

/* One request answered: `route` may be NULL (no route matched). */
void metrics_http_done(unsigned listener, const struct route *route,
                       unsigned status, long long micros);

/* A certificate issued under `profile`; a revocation or hold with `reason`
 * (RFC 5280 name). */
void metrics_certificate_issued(const char *profile);
void metrics_revoked(const char *reason);

/* A sign-in (POST /api/v1/session) or password check answered: signed
 * in, wrong credentials, refused by the per-address limits (429
 * too-many-attempts), or by the bound on argon2 work (429 busy). */
enum metrics_signin { SIGNIN_OK, SIGNIN_FAILED, SIGNIN_LIMITED, SIGNIN_BUSY, SIGNIN_NRESULTS };
void metrics_signin(enum metrics_signin result);

/* The CRL worker: a CRL built in `seconds`; a revocation of CA index `ca`
 * reached the worker; the CA's CRL holding it is served now. */
void metrics_crl_generated(double seconds);
void metrics_revocation_seen(size_t ca);
void metrics_crl_served(size_t ca);

/* Starts / stops the thread that refreshes the database gauges every
 * `seconds`. */
int metrics_gauges_start(unsigned seconds);
void metrics_gauges_stop(void);

/* The gauges' view of the database, for the operator alerts. */
struct metrics_db_state {
    bool up;                 /* the last refresh succeeded */
    long long down_since;    /* unix time of the first failure, 0 when up */
    long long refreshed_at;  /* unix time of the last successful refresh */
};
void metrics_db_state(struct metrics_db_state *out);

/* The whole exposition (text format 0.0.4), malloc'd; *len its length. */
char *metrics_render(size_t *len);

#endif

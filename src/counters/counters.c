/* Counters and histograms: atomics, relaxed order, no lock. */
#include "counters/counters.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "counters/exposition.h"

void histo_observe(struct histo *h, long long micros)
{
    if (micros < 0)
        micros = 0;
    size_t i = 0;
    while (i < h->nbounds && (double)micros > h->bounds[i] * 1e6)
        i++;
    if (i < h->nbounds)
        atomic_fetch_add_explicit(&h->bucket[i], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&h->count, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&h->sum_us, (uint_fast64_t)micros, memory_order_relaxed);
}

/* ---- HTTP requests: [listener][route or unmatched][status code] ---- */

static const unsigned codes[] = {200, 201, 204, 206, 301, 302, 304, 400, 401,
                                 403, 404, 405, 409, 410, 413, 415, 422, 429,
                                 431, 500, 502, 503, 504};
#define NCODES (sizeof codes / sizeof codes[0] + 1) /* + "other" */

static const double http_bounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                     0.1,    0.25,  0.5,    1,     2.5,  5,     10};
static const double crl_bounds[] = {0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
static const double publish_bounds[] = {0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300};

static const char *const *g_methods, *const *g_patterns;
static size_t g_nroutes;
static atomic_uint_fast64_t *g_requests; /* 2 * (nroutes + 1) * NCODES */
static struct histo g_http_duration[2] = {
    {http_bounds, sizeof http_bounds / sizeof http_bounds[0], {0}, 0, 0},
    {http_bounds, sizeof http_bounds / sizeof http_bounds[0], {0}, 0, 0},
};
static struct histo g_crl_duration = {crl_bounds,
                                      sizeof crl_bounds / sizeof crl_bounds[0], {0}, 0, 0};
static struct histo g_publish = {publish_bounds,
                                 sizeof publish_bounds / sizeof publish_bounds[0], {0}, 0, 0};

int metrics_init(const char *const *methods, const char *const *patterns, size_t nroutes)
{
    free(g_requests);
    g_requests = calloc(2 * (nroutes + 1) * NCODES, sizeof *g_requests);
    if (!g_requests)
        return -1;
    g_methods = methods;
    g_patterns = patterns;
    g_nroutes = nroutes;
    return 0;
}

static size_t code_slot(unsigned status)
{
    for (size_t i = 0; i < NCODES - 1; i++)
        if (codes[i] == status)
            return i;
    return NCODES - 1;
}

void metrics_http_done(bool admin, long route, unsigned status, long long micros)
{
    size_t l = admin ? 1 : 0;
    histo_observe(&g_http_duration[l], micros);
    if (!g_requests)
        return;
    size_t ri = g_nroutes; /* unmatched */
    if (route >= 0 && (size_t)route < g_nroutes)
        ri = (size_t)route;
    size_t at = (l * (g_nroutes + 1) + ri) * NCODES + code_slot(status);
    atomic_fetch_add_explicit(&g_requests[at], 1, memory_order_relaxed);
}

/* ---- certificates: small named sets ---- */

#define NAMED_MAX 16
struct named {
    char name[64];
    atomic_uint_fast64_t n;
};
static struct named g_profiles[NAMED_MAX];
static atomic_int g_nprofiles;

static const char *const reasons[] = {
    "unspecified", "keyCompromise", "cACompromise", "affiliationChanged",
    "superseded", "cessationOfOperation", "certificateHold", "removeFromCRL",
    "privilegeWithdrawn", "aACompromise", "other"};
#define NREASONS (sizeof reasons / sizeof reasons[0])
static atomic_uint_fast64_t g_revocations[NREASONS];

void metrics_certificate_issued(const char *profile)
{
    /* profiles are the configured few; a slot is claimed once by CAS on the
     * count of slots and named before it is counted */
    int n = atomic_load(&g_nprofiles);
    for (int i = 0; i < n; i++)
        if (!strcmp(g_profiles[i].name, profile)) {
            atomic_fetch_add_explicit(&g_profiles[i].n, 1, memory_order_relaxed);
            return;
        }
    static atomic_flag claiming = ATOMIC_FLAG_INIT;
    while (atomic_flag_test_and_set(&claiming))
        ;
    n = atomic_load(&g_nprofiles);
    int slot = -1;
    for (int i = 0; i < n; i++)
        if (!strcmp(g_profiles[i].name, profile))
            slot = i;
    if (slot < 0 && n < NAMED_MAX) {
        slot = n;
        snprintf(g_profiles[slot].name, sizeof g_profiles[slot].name, "%s", profile);
        atomic_store(&g_nprofiles, n + 1);
    }
    atomic_flag_clear(&claiming);
    if (slot >= 0)
        atomic_fetch_add_explicit(&g_profiles[slot].n, 1, memory_order_relaxed);
}

void metrics_revoked(const char *reason)
{
    size_t i = 0;
    while (i < NREASONS - 1 && strcmp(reasons[i], reason ? reason : ""))
        i++;
    atomic_fetch_add_explicit(&g_revocations[i], 1, memory_order_relaxed);
}

/* ---- sign-ins ---- */

static const char *const signin_results[SIGNIN_NRESULTS] = {"ok", "failed", "limited",
                                                            "busy"};
static atomic_uint_fast64_t g_signins[SIGNIN_NRESULTS];

void metrics_signin(enum metrics_signin result)
{
    if (result < SIGNIN_NRESULTS)
        atomic_fetch_add_explicit(&g_signins[result], 1, memory_order_relaxed);
}

/* ---- token probes ---- */

static atomic_uint_fast64_t g_probes[2]; /* ok, failed */

void metrics_token_probe(bool ok)
{
    atomic_fetch_add_explicit(&g_probes[ok ? 0 : 1], 1, memory_order_relaxed);
}

/* ---- CRL worker ---- */

#define CA_SLOTS 64
static long long g_seen_us[CA_SLOTS]; /* only the CRL worker thread */

static long long mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void metrics_crl_generated(double seconds)
{
    histo_observe(&g_crl_duration, (long long)(seconds * 1e6));
}

void metrics_revocation_seen(size_t ca)
{
    if (ca < CA_SLOTS && !g_seen_us[ca])
        g_seen_us[ca] = mono_us();
}

void metrics_crl_served(size_t ca)
{
    if (ca < CA_SLOTS && g_seen_us[ca]) {
        histo_observe(&g_publish, mono_us() - g_seen_us[ca]);
        g_seen_us[ca] = 0;
    }
}

/* ---- exposition ---- */

void metrics_render_counters(struct mbuf *b)
{
    static const char *const lname[] = {"public", "admin"};
    mbuf_head(b, "troth_http_requests_total", "counter",
              "HTTP requests answered since the process started, by listener, "
              "method, route pattern and status code");
    for (size_t l = 0; g_requests && l < 2; l++)
        for (size_t ri = 0; ri <= g_nroutes; ri++)
            for (size_t c = 0; c < NCODES; c++) {
                uint_fast64_t v = atomic_load_explicit(
                    &g_requests[(l * (g_nroutes + 1) + ri) * NCODES + c],
                    memory_order_relaxed);
                if (!v)
                    continue;
                char code[8];
                if (c < NCODES - 1)
                    snprintf(code, sizeof code, "%u", codes[c]);
                else
                    snprintf(code, sizeof code, "other");
                const char *pat = ri < g_nroutes ? g_patterns[ri] : "unmatched";
                mbuf_printf(b,
                            "troth_http_requests_total{listener=\"%s\",method=\"%s\","
                            "route=\"%s\",code=\"%s\"} %llu\n",
                            lname[l], ri < g_nroutes ? g_methods[ri] : "",
                            pat, code, (unsigned long long)v);
            }
    mbuf_head(b, "troth_http_request_duration_seconds", "histogram",
              "Time from the request line to the end of the answer, by listener");
    mbuf_histo(b, "troth_http_request_duration_seconds", "listener=\"public\"",
               &g_http_duration[0]);
    mbuf_histo(b, "troth_http_request_duration_seconds", "listener=\"admin\"",
               &g_http_duration[1]);

    mbuf_head(b, "troth_certificates_issued_total", "counter",
              "Certificates issued by this process since it started, by profile");
    int n = atomic_load(&g_nprofiles);
    for (int i = 0; i < n; i++)
        mbuf_printf(b, "troth_certificates_issued_total{profile=\"%s\"} %llu\n",
                    g_profiles[i].name,
                    (unsigned long long)atomic_load(&g_profiles[i].n));
    mbuf_head(b, "troth_revocations_total", "counter",
              "Revocations and holds requested through this process since it "
              "started, by RFC 5280 reason");
    for (size_t i = 0; i < NREASONS; i++) {
        uint_fast64_t v = atomic_load(&g_revocations[i]);
        if (v || i == 1 /* always one series, so rate() has a base */)
            mbuf_printf(b, "troth_revocations_total{reason=\"%s\"} %llu\n", reasons[i],
                        (unsigned long long)v);
    }
    mbuf_head(b, "troth_signins_total", "counter",
              "Sign-ins and password checks answered by this process since it "
              "started: ok, failed (wrong credentials), limited (429 "
              "too-many-attempts), busy (429, the argon2 bound)");
    for (size_t i = 0; i < SIGNIN_NRESULTS; i++)
        mbuf_printf(b, "troth_signins_total{result=\"%s\"} %llu\n", signin_results[i],
                    (unsigned long long)atomic_load(&g_signins[i]));
    mbuf_head(b, "troth_token_probes_total", "counter",
              "Signatures made in a PKCS#11 token to see that it is still there "
              "(for /readyz, at most one a second): ok, failed (the token is gone)");
    mbuf_printf(b, "troth_token_probes_total{result=\"ok\"} %llu\n",
                (unsigned long long)atomic_load(&g_probes[0]));
    mbuf_printf(b, "troth_token_probes_total{result=\"failed\"} %llu\n",
                (unsigned long long)atomic_load(&g_probes[1]));
    mbuf_head(b, "troth_crl_generation_duration_seconds", "histogram",
              "Time to build, sign and store one CRL");
    mbuf_histo(b, "troth_crl_generation_duration_seconds", "", &g_crl_duration);
    mbuf_head(b, "troth_revocation_to_publish_seconds", "histogram",
              "From a revocation's commit (its notification) to the CRL holding it "
              "being served by this process");
    mbuf_histo(b, "troth_revocation_to_publish_seconds", "", &g_publish);
}

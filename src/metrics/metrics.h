/* Prometheus metrics of `troth serve`: the counters (counters/counters.h)
 * and the gauges, which come from memory or from one query the gauge
 * thread runs on a timer, never from a query per scrape. */
#ifndef TROTH_METRICS_H
#define TROTH_METRICS_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "counters/counters.h"

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

/* Appends to the JSON array `warnings` one line per CA that has signatures
 * reserved over 5 minutes ago and never stored (from the last refresh), for
 * /readyz: never a reason to stop serving, a thing to settle. */
void metrics_undecided_warnings(json_t *warnings);

/* The gauges' part of the exposition (counters/exposition.h). */
void metrics_render_gauges(struct mbuf *b);

/* The whole exposition (text format 0.0.4), malloc'd; *len its length. */
char *metrics_render(size_t *len);

#endif

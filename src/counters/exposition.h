/* The text exposition helpers and the histogram type, shared by the
 * counters (this folder) and the gauges (metrics/, above ca/ and http/). */
#ifndef TROTH_COUNTERS_EXPOSITION_H
#define TROTH_COUNTERS_EXPOSITION_H
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define HISTO_MAX_BUCKETS 16

struct histo {
    const double *bounds; /* upper bounds in seconds, ascending */
    size_t nbounds;
    atomic_uint_fast64_t bucket[HISTO_MAX_BUCKETS]; /* not cumulative */
    atomic_uint_fast64_t count;
    atomic_uint_fast64_t sum_us;
};

void histo_observe(struct histo *h, long long micros);

/* A growing text buffer; on OOM `failed` is set and writes are dropped. */
struct mbuf {
    char *data;
    size_t len, cap;
    int failed;
};
void mbuf_printf(struct mbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* "# HELP name help\n# TYPE name type\n" */
void mbuf_head(struct mbuf *b, const char *name, const char *type, const char *help);
/* The series of a histogram; `labels` is "" or `k="v"` (no braces). */
void mbuf_histo(struct mbuf *b, const char *name, const char *labels,
                const struct histo *h);


#endif

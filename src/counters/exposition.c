/* The Prometheus text exposition format 0.0.4: a growing buffer and the
 * series of a histogram (used by the counters here and the gauges above). */
#include "counters/exposition.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

void mbuf_printf(struct mbuf *b, const char *fmt, ...)
{
    if (b->failed)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->data ? b->data + b->len : NULL,
                          b->data ? b->cap - b->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->failed = 1;
            return;
        }
        if (b->data && b->len + (size_t)n < b->cap) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = b->cap ? b->cap * 2 : 16384;
        while (cap < b->len + (size_t)n + 1)
            cap *= 2;
        char *d = realloc(b->data, cap);
        if (!d) {
            b->failed = 1;
            return;
        }
        b->data = d;
        b->cap = cap;
    }
}

void mbuf_head(struct mbuf *b, const char *name, const char *type, const char *help)
{
    mbuf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void mbuf_histo(struct mbuf *b, const char *name, const char *labels,
                const struct histo *h)
{
    const char *sep = labels[0] ? "," : "";
    unsigned long long cum = 0;
    for (size_t i = 0; i < h->nbounds; i++) {
        cum += atomic_load_explicit(&h->bucket[i], memory_order_relaxed);
        mbuf_printf(b, "%s_bucket{%s%sle=\"%g\"} %llu\n", name, labels, sep,
                    h->bounds[i], cum);
    }
    /* the count is read after the buckets, so +Inf >= every bucket */
    unsigned long long count = atomic_load(&h->count);
    if (count < cum)
        count = cum;
    mbuf_printf(b, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, labels, sep, count);
    mbuf_printf(b, "%s_sum%s%s%s %.6f\n", name, labels[0] ? "{" : "", labels,
                labels[0] ? "}" : "",
                (double)atomic_load(&h->sum_us) / 1e6);
    mbuf_printf(b, "%s_count%s%s%s %llu\n", name, labels[0] ? "{" : "", labels,
                labels[0] ? "}" : "", count);
}

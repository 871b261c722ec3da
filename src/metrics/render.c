/* The Prometheus text exposition format 0.0.4. */
#include "metrics/metrics.h"

#include <stdlib.h>

#include "counters/exposition.h"

char *metrics_render(size_t *len)
{
    struct mbuf b = {0};
    metrics_render_gauges(&b);
    metrics_render_counters(&b);
    if (b.failed) {
        free(b.data);
        return NULL;
    }
    *len = b.len;
    return b.data;
}

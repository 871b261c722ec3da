/* libFuzzer: the strict DER reader (pki/der.h) walking any input to the
 * bottom, as the signer walks the TBS structures it is sent. */
#include <stddef.h>
#include <stdint.h>

#include "pki/der.h"

static void walk(const unsigned char *p, const unsigned char *end, int depth)
{
    while (p < end && depth < 64) {
        unsigned tag;
        const unsigned char *val;
        size_t len;
        if (der_read(&p, end, &tag, &val, &len) != 0)
            return;
        if (tag & 0x20) /* constructed */
            walk(val, val + len, depth + 1);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    walk(data, data + size, 0);
    return 0;
}

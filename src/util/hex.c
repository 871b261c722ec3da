#include "util/hex.h"

#include <string.h>

void hex_encode(const unsigned char *in, size_t len, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * len] = 0;
}

static int nibble(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

long hex_decode(const char *in, unsigned char *out, size_t outlen)
{
    size_t n = strlen(in);
    if (n % 2 || n / 2 > outlen)
        return -1;
    for (size_t i = 0; i < n / 2; i++) {
        int h = nibble(in[2 * i]), l = nibble(in[2 * i + 1]);
        if (h < 0 || l < 0)
            return -1;
        out[i] = (unsigned char)(h << 4 | l);
    }
    return (long)(n / 2);
}

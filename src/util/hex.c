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

/* A digit's value + 1, 0 for anything else (a CRL of a million entries
 * decodes a million serials: this was its top symbol in perf). */
#define D(c, v) [c] = (v) + 1
static const unsigned char nibble1[256] = {
    D('0', 0), D('1', 1), D('2', 2), D('3', 3), D('4', 4), D('5', 5), D('6', 6),
    D('7', 7), D('8', 8), D('9', 9), D('a', 10), D('b', 11), D('c', 12), D('d', 13),
    D('e', 14), D('f', 15), D('A', 10), D('B', 11), D('C', 12), D('D', 13), D('E', 14),
    D('F', 15)};
#undef D

long hex_decode(const char *in, unsigned char *out, size_t outlen)
{
    size_t n = strlen(in);
    if (n % 2 || n / 2 > outlen)
        return -1;
    const unsigned char *p = (const unsigned char *)in;
    for (size_t i = 0; i < n / 2; i++) {
        unsigned h = nibble1[p[2 * i]], l = nibble1[p[2 * i + 1]];
        if (!h || !l)
            return -1;
        out[i] = (unsigned char)((h - 1) << 4 | (l - 1));
    }
    return (long)(n / 2);
}

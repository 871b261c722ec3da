/* DER writer and strict reader (X.690 §10: definite, minimal lengths). */
#include "pki/der.h"

#include <stdlib.h>
#include <string.h>

#define DER_HDR_MAX 6 /* tag + 0x84 + 4 length bytes */

void der_init(struct der_buf *b, size_t cap)
{
    memset(b, 0, sizeof *b);
    if (cap > 0) {
        b->p = malloc(cap);
        if (b->p == NULL)
            b->failed = true;
        else
            b->cap = cap;
    }
}

void der_free(struct der_buf *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

unsigned char *der_take(struct der_buf *b, size_t *len)
{
    if (b->failed) {
        der_free(b);
        return NULL;
    }
    unsigned char *p = b->p;
    *len = b->len;
    if (p == NULL)
        p = malloc(1); /* an empty result is still a valid pointer */
    memset(b, 0, sizeof *b);
    return p;
}

static bool der_reserve(struct der_buf *b, size_t n)
{
    if (b->failed)
        return false;
    if (n > SIZE_MAX / 4 - b->len) {
        b->failed = true;
        return false;
    }
    if (b->len + n <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + n)
        cap *= 2;
    unsigned char *np = realloc(b->p, cap);
    if (np == NULL) {
        b->failed = true;
        return false;
    }
    b->p = np;
    b->cap = cap;
    return true;
}

void der_put(struct der_buf *b, const void *data, size_t n)
{
    if (n == 0 || !der_reserve(b, n))
        return;
    memcpy(b->p + b->len, data, n);
    b->len += n;
}

/* Encode tag and length into out (>= DER_HDR_MAX bytes); returns bytes used. */
static size_t der_hdr(unsigned char *out, unsigned tag, size_t len)
{
    size_t i = 0;
    out[i++] = (unsigned char)tag;
    if (len < 0x80) {
        out[i++] = (unsigned char)len;
    } else {
        int nbytes = 0;
        for (size_t v = len; v != 0; v >>= 8)
            nbytes++;
        out[i++] = (unsigned char)(0x80 | nbytes);
        for (int k = nbytes - 1; k >= 0; k--)
            out[i++] = (unsigned char)(len >> (8 * k));
    }
    return i;
}

void der_put_tl(struct der_buf *b, unsigned tag, size_t len)
{
    unsigned char hdr[DER_HDR_MAX + 4];
    der_put(b, hdr, der_hdr(hdr, tag, len));
}

void der_put_tlv(struct der_buf *b, unsigned tag, const void *data, size_t n)
{
    der_put_tl(b, tag, n);
    der_put(b, data, n);
}

void der_put_uint_bytes(struct der_buf *b, const unsigned char *be, size_t n)
{
    while (n > 1 && be[0] == 0) {
        be++;
        n--;
    }
    if (n == 0) {
        static const unsigned char zero = 0;
        der_put_tlv(b, DER_INTEGER, &zero, 1);
        return;
    }
    bool pad = (be[0] & 0x80) != 0;
    der_put_tl(b, DER_INTEGER, n + pad);
    if (pad)
        der_put(b, "", 1);
    der_put(b, be, n);
}

void der_put_uint64(struct der_buf *b, uint64_t v)
{
    unsigned char be[8];
    for (int i = 7; i >= 0; i--, v >>= 8)
        be[i] = (unsigned char)v;
    der_put_uint_bytes(b, be, sizeof be);
}

/* Append n decimal digits of v to out. */
static char *put_digits(char *out, int v, int n)
{
    for (int i = n - 1; i >= 0; i--, v /= 10)
        out[i] = (char)('0' + v % 10);
    return out + n;
}

void der_put_time(struct der_buf *b, time_t t)
{
    struct tm tm;
    if (gmtime_r(&t, &tm) == NULL || tm.tm_year + 1900 > 9999 || tm.tm_year + 1900 < 1950) {
        b->failed = true;
        return;
    }
    /* RFC 5280 §5.1.2.4 / §4.1.2.5: UTCTime YYMMDDHHMMSSZ through 2049,
     * GeneralizedTime YYYYMMDDHHMMSSZ from 2050; always UTC, seconds, no fraction. */
    int year = tm.tm_year + 1900;
    char s[16], *p = s;
    p = year < 2050 ? put_digits(p, year % 100, 2) : put_digits(p, year, 4);
    p = put_digits(p, tm.tm_mon + 1, 2);
    p = put_digits(p, tm.tm_mday, 2);
    p = put_digits(p, tm.tm_hour, 2);
    p = put_digits(p, tm.tm_min, 2);
    p = put_digits(p, tm.tm_sec, 2);
    *p++ = 'Z';
    der_put_tlv(b, year < 2050 ? DER_UTCTIME : DER_GENTIME, s, (size_t)(p - s));
}

size_t der_begin(struct der_buf *b, unsigned tag)
{
    size_t mark = b->len;
    if (der_reserve(b, DER_HDR_MAX)) {
        b->p[b->len] = (unsigned char)tag;
        b->len += DER_HDR_MAX;
    }
    return mark;
}

void der_end(struct der_buf *b, size_t mark)
{
    if (b->failed)
        return;
    size_t content = mark + DER_HDR_MAX;
    size_t clen = b->len - content;
    unsigned char hdr[DER_HDR_MAX + 4];
    size_t hlen = der_hdr(hdr, b->p[mark], clen);
    memmove(b->p + mark + hlen, b->p + content, clen);
    memcpy(b->p + mark, hdr, hlen);
    b->len = mark + hlen + clen;
}

int der_read(const unsigned char **p, const unsigned char *end, unsigned *tag,
             const unsigned char **val, size_t *len)
{
    const unsigned char *q = *p;
    if (q >= end || end - q < 2)
        return -1;
    unsigned t = *q++;
    if ((t & 0x1f) == 0x1f) /* multi-byte tags are never used in these structures */
        return -1;
    size_t l = *q++;
    if (l & 0x80) {
        size_t n = l & 0x7f;
        if (n == 0 || n > 4 || (size_t)(end - q) < n || q[0] == 0)
            return -1; /* indefinite, too long, or non-minimal */
        l = 0;
        for (size_t i = 0; i < n; i++)
            l = (l << 8) | *q++;
        if (l < 0x80)
            return -1; /* long form for a short length */
    }
    if ((size_t)(end - q) < l)
        return -1;
    *tag = t;
    *val = q;
    *len = l;
    *p = q + l;
    return 0;
}

int der_expect(const unsigned char **p, const unsigned char *end, unsigned want,
               const unsigned char **val, size_t *len)
{
    unsigned tag;
    const unsigned char *save = *p;
    if (der_read(p, end, &tag, val, len) != 0 || tag != want) {
        *p = save;
        return -1;
    }
    return 0;
}

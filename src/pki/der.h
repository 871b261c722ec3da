/* A small DER (X.690) writer and strict reader, used to build CRLs and to
 * assemble and walk signed structures without allocating OpenSSL objects. */
#ifndef TROTH_PKI_DER_H
#define TROTH_PKI_DER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* DER tags used here (universal class, or context class with constructed bit). */
enum {
    DER_BOOLEAN = 0x01, DER_INTEGER = 0x02, DER_BIT_STRING = 0x03,
    DER_OCTET_STRING = 0x04, DER_NULL = 0x05, DER_OID = 0x06,
    DER_ENUMERATED = 0x0a, DER_UTCTIME = 0x17, DER_GENTIME = 0x18,
    DER_SEQUENCE = 0x30, DER_SET = 0x31, DER_CTX0 = 0xa0, DER_CTX_PRIM0 = 0x80,
};

/* Growable output buffer; any allocation failure sets failed and later writes are ignored. */
struct der_buf {
    unsigned char *p;
    size_t len, cap;
    bool failed;
};

/* Initialise an empty buffer, optionally reserving cap bytes (0 for none). */
void der_init(struct der_buf *b, size_t cap);
/* Free the buffer's memory and reset it. */
void der_free(struct der_buf *b);
/* Hand the bytes to the caller (who frees them); returns NULL if any write failed. */
unsigned char *der_take(struct der_buf *b, size_t *len);
/* Append raw bytes. */
void der_put(struct der_buf *b, const void *data, size_t n);
/* Append a tag and a minimal-length DER length. */
void der_put_tl(struct der_buf *b, unsigned tag, size_t len);
/* Append a complete TLV. */
void der_put_tlv(struct der_buf *b, unsigned tag, const void *data, size_t n);
/* Append an INTEGER from unsigned big-endian bytes (leading zeros stripped, 0x00 added if the top bit is set). */
void der_put_uint_bytes(struct der_buf *b, const unsigned char *be, size_t n);
/* Append an INTEGER holding v. */
void der_put_uint64(struct der_buf *b, uint64_t v);
/* Append a Time: UTCTime through 2049, GeneralizedTime from 2050 (RFC 5280 §4.1.2.5, §5.1.2.4). */
void der_put_time(struct der_buf *b, time_t t);
/* Start a constructed value; returns a mark for der_end(). */
size_t der_begin(struct der_buf *b, unsigned tag);
/* Close the value opened at mark, writing its minimal length (moves the content down). */
void der_end(struct der_buf *b, size_t mark);

/* Read one TLV at *p (< end), strict DER: single-byte tag, definite minimal length,
 * value inside the input. Advances *p past it. Returns 0 or -1 on malformed input. */
int der_read(const unsigned char **p, const unsigned char *end, unsigned *tag,
             const unsigned char **val, size_t *len);
/* Like der_read but requires the tag to be want. */
int der_expect(const unsigned char **p, const unsigned char *end, unsigned want,
               const unsigned char **val, size_t *len);

#endif

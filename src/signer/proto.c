/* Frame encoding and deadline-bounded socket IO for the signer protocol. */
#include "signer/proto.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "util/clock.h"

/* Frames up to this size are copied into one buffer and sent in one call;
 * larger ones (CRLs) are sent field by field from where they are. */
#define PROTO_COPY_MAX (64u * 1024)

/* Move exactly len bytes in (write=0) or out (write=1) before the deadline (< 0: none).
 * Returns PROTO_RC_OK, PROTO_RC_EOF (read side, nothing read yet), or an error. */
static int io_full(int fd, unsigned char *buf, size_t len, long long deadline, int write, int *partial)
{
    size_t done = 0;
    while (done < len) {
        int flags = MSG_NOSIGNAL;
        if (deadline >= 0) {
            long long left = deadline - now_ms();
            if (left <= 0)
                return PROTO_RC_TIMEOUT;
            struct pollfd pfd = {.fd = fd, .events = write ? POLLOUT : POLLIN};
            int r = poll(&pfd, 1, (int)(left > 60000 ? 60000 : left));
            if (r < 0 && errno == EINTR)
                continue;
            if (r < 0)
                return PROTO_RC_IO;
            if (r == 0)
                continue; /* re-check the deadline */
            flags |= MSG_DONTWAIT;
        }
        ssize_t n = write ? send(fd, buf + done, len - done, flags)
                          : recv(fd, buf + done, len - done, flags);
        if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
            continue;
        if (n < 0)
            return PROTO_RC_IO;
        if (n == 0)
            return done == 0 && !*partial ? PROTO_RC_EOF : PROTO_RC_MALFORMED; /* EOF mid-frame */
        done += (size_t)n;
        *partial = 1;
    }
    return PROTO_RC_OK;
}

static uint32_t get_u32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_u32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

/* Split the body into fields; every length is checked against what remains. */
static int parse_body(struct proto_frame *fr, size_t len)
{
    const unsigned char *p = fr->buf, *end = fr->buf + len;
    fr->type = p[0];
    size_t n = (size_t)p[1] << 8 | p[2];
    p += 3;
    if (n > PROTO_MAX_FIELDS)
        return PROTO_RC_MALFORMED;
    for (size_t i = 0; i < n; i++) {
        if (end - p < 4)
            return PROTO_RC_MALFORMED;
        size_t flen = get_u32(p);
        p += 4;
        if ((size_t)(end - p) < flen)
            return PROTO_RC_MALFORMED;
        fr->f[i].p = p;
        fr->f[i].len = flen;
        p += flen;
    }
    if (p != end)
        return PROTO_RC_MALFORMED; /* trailing bytes */
    fr->nfields = n;
    return PROTO_RC_OK;
}

int proto_read(int fd, struct proto_frame *fr, int timeout_ms)
{
    memset(fr, 0, sizeof *fr);
    long long deadline = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
    unsigned char hdr[4];
    int partial = 0;
    int rc = io_full(fd, hdr, sizeof hdr, deadline, 0, &partial);
    if (rc != PROTO_RC_OK)
        return rc;
    uint32_t len = get_u32(hdr);
    if (len < 3 || len > PROTO_MAX_FRAME)
        return PROTO_RC_MALFORMED;
    fr->buf = malloc(len); /* bounded by PROTO_MAX_FRAME above */
    if (fr->buf == NULL)
        return PROTO_RC_IO;
    rc = io_full(fd, fr->buf, len, deadline, 0, &partial);
    if (rc == PROTO_RC_OK)
        rc = parse_body(fr, len);
    if (rc != PROTO_RC_OK)
        proto_frame_free(fr);
    return rc;
}

void proto_frame_free(struct proto_frame *fr)
{
    free(fr->buf);
    fr->buf = NULL;
    fr->nfields = 0;
}

int proto_write(int fd, unsigned type, const struct proto_field *f, size_t n, int timeout_ms)
{
    if (n > PROTO_MAX_FIELDS)
        return PROTO_RC_MALFORMED;
    size_t body = 3;
    for (size_t i = 0; i < n; i++) {
        if (f[i].len > PROTO_MAX_FRAME || body + 4 + f[i].len > PROTO_MAX_FRAME)
            return PROTO_RC_TOO_BIG; /* the caller's to handle: the peer is fine */
        body += 4 + f[i].len;
    }
    long long deadline = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
    int partial = 0, rc;
    if (body > PROTO_COPY_MAX) {
        /* a large frame (a CRL) goes out piece by piece, without a copy */
        unsigned char hdr[7];
        put_u32(hdr, (uint32_t)body);
        hdr[4] = (unsigned char)type;
        hdr[5] = (unsigned char)(n >> 8);
        hdr[6] = (unsigned char)n;
        rc = io_full(fd, hdr, sizeof hdr, deadline, 1, &partial);
        for (size_t i = 0; i < n && rc == PROTO_RC_OK; i++) {
            unsigned char flen[4];
            put_u32(flen, (uint32_t)f[i].len);
            rc = io_full(fd, flen, 4, deadline, 1, &partial);
            if (rc == PROTO_RC_OK && f[i].len)
                rc = io_full(fd, (unsigned char *)f[i].p, f[i].len, deadline, 1, &partial);
        }
        return rc == PROTO_RC_EOF ? PROTO_RC_IO : rc;
    }
    unsigned char *buf = malloc(4 + body);
    if (buf == NULL)
        return PROTO_RC_IO;
    put_u32(buf, (uint32_t)body);
    buf[4] = (unsigned char)type;
    buf[5] = (unsigned char)(n >> 8);
    buf[6] = (unsigned char)n;
    size_t o = 7;
    for (size_t i = 0; i < n; i++) {
        put_u32(buf + o, (uint32_t)f[i].len);
        if (f[i].len)
            memcpy(buf + o + 4, f[i].p, f[i].len);
        o += 4 + f[i].len;
    }
    rc = io_full(fd, buf, o, deadline, 1, &partial);
    explicit_bzero(buf, 4 + body); /* it may have carried an encrypted key (INIT) */
    free(buf);
    return rc == PROTO_RC_EOF ? PROTO_RC_IO : rc;
}

int proto_write_resp(int fd, unsigned status, const void *data, size_t len, int timeout_ms)
{
    unsigned char st = (unsigned char)status;
    struct proto_field f[2] = {{&st, 1}, {data, data ? len : 0}};
    return proto_write(fd, PROTO_RESP, f, 2, timeout_ms);
}

const char *proto_rc_str(int rc)
{
    switch (rc) {
    case PROTO_RC_OK: return "ok";
    case PROTO_RC_EOF: return "end of stream";
    case PROTO_RC_IO: return "I/O error";
    case PROTO_RC_TIMEOUT: return "timed out";
    case PROTO_RC_MALFORMED: return "malformed frame";
    case PROTO_RC_TOO_BIG: return "frame too large";
    default: return "unknown";
    }
}

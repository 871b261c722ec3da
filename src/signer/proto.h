/* Signer IPC: length-prefixed binary frames over a SOCK_STREAM socketpair.
 *
 * frame  = u32 body_len (big-endian, 3..PROTO_MAX_FRAME) || body
 * body   = u8 type || u16 nfields || nfields * (u32 len || len bytes)
 * The fields must use up the body exactly; anything else is malformed and the
 * reader closes the connection. Requests: INIT {id, cert DER, key PEM}*n;
 * PING {}; SIGN_CERT {ca_id, tbs DER}; a CRL's TBS goes in pieces of at
 * most PROTO_CRL_CHUNK bytes: SIGN_CRL_PART {ca_id, piece}* then SIGN_CRL
 * {ca_id, last piece} (a CRL of millions of entries is larger than a frame),
 * at most PROTO_MAX_TBS in all. Responses: RESP {status (1 byte), data}; when
 * ok, data = the signed Certificate DER (SIGN_CERT), or the
 * signatureAlgorithm DER followed by the signature value (SIGN_CRL: the web
 * process already holds the TBS, so the CRL does not travel back); else a
 * reason sentence. PROBE {ca_id}: the CA's key signs a fixed string inside
 * the worker (is its token there?); RESP ok, or UNAVAILABLE. */
#ifndef TROTH_SIGNER_PROTO_H
#define TROTH_SIGNER_PROTO_H

#include <stddef.h>

#define PROTO_MAX_FRAME (64u * 1024 * 1024)
#define PROTO_MAX_FIELDS 64
#define PROTO_CRL_CHUNK (16u * 1024 * 1024)
#define PROTO_MAX_TBS (1024u * 1024 * 1024) /* about 25 M CRL entries */

enum proto_type {
    PROTO_INIT = 1, PROTO_PING = 2, PROTO_SIGN_CERT = 3, PROTO_SIGN_CRL = 4, PROTO_SIGN_CRL_PART = 5,
    PROTO_PROBE = 6, PROTO_RESP = 0x80,
};
/* UNAVAILABLE: the CA's key token failed (module error); the worker then
 * exits and the supervisor starts another, which opens the token anew. */
enum proto_status { PROTO_OK = 0, PROTO_REFUSED = 1, PROTO_ERROR = 2, PROTO_UNAVAILABLE = 3 };
enum proto_rc { PROTO_RC_OK = 0, PROTO_RC_EOF = 1, PROTO_RC_IO = -1, PROTO_RC_TIMEOUT = -2, PROTO_RC_MALFORMED = -3,
                PROTO_RC_TOO_BIG = -4 /* refused by the writer, nothing sent */ };

struct proto_field {
    const unsigned char *p;
    size_t len;
};

struct proto_frame {
    unsigned type;
    size_t nfields;
    struct proto_field f[PROTO_MAX_FIELDS]; /* point into buf */
    unsigned char *buf;
};

/* Read one frame. timeout_ms < 0 blocks. Returns an enum proto_rc (EOF only at a frame boundary). */
int proto_read(int fd, struct proto_frame *fr, int timeout_ms);
/* Free a frame's buffer (safe on a zeroed or already freed frame). */
void proto_frame_free(struct proto_frame *fr);
/* Write one frame of n fields. timeout_ms < 0 blocks. Returns an enum proto_rc. */
int proto_write(int fd, unsigned type, const struct proto_field *f, size_t n, int timeout_ms);
/* Write a RESP frame with status and data (may be NULL/0). */
int proto_write_resp(int fd, unsigned status, const void *data, size_t len, int timeout_ms);
/* Human name of a proto_rc value. */
const char *proto_rc_str(int rc);

#endif

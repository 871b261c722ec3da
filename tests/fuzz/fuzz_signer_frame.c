/* libFuzzer: the signer's frame reader (signer/proto.h), fed through a pipe
 * as the worker reads its socket. Every frame read is written back and read
 * again: it must come back the same (type, fields). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "signer/proto.h"

static void roundtrip(const struct proto_frame *fr)
{
    int p[2];
    if (pipe(p) != 0)
        return;
    struct proto_field f[PROTO_MAX_FIELDS];
    memcpy(f, fr->f, fr->nfields * sizeof f[0]);
    if (proto_write(p[1], fr->type, f, fr->nfields, 1000) == PROTO_RC_OK) {
        struct proto_frame back;
        if (proto_read(p[0], &back, 1000) != PROTO_RC_OK || back.type != fr->type ||
            back.nfields != fr->nfields)
            __builtin_trap();
        for (size_t i = 0; i < back.nfields; i++)
            if (back.f[i].len != fr->f[i].len ||
                (back.f[i].len && memcmp(back.f[i].p, fr->f[i].p, back.f[i].len)))
                __builtin_trap();
        proto_frame_free(&back);
    }
    close(p[0]);
    close(p[1]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 16384) /* a pipe holds it whole: no writer thread needed */
        return 0;
    int p[2];
    if (pipe(p) != 0)
        return 0;
    if (write(p[1], data, size) != (ssize_t)size) {
        close(p[0]);
        close(p[1]);
        return 0;
    }
    close(p[1]);
    for (;;) {
        struct proto_frame fr;
        if (proto_read(p[0], &fr, 1000) != PROTO_RC_OK)
            break;
        roundtrip(&fr);
        proto_frame_free(&fr);
    }
    close(p[0]);
    return 0;
}

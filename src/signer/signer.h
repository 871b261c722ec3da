/* The signer process: holds decrypted CA keys, confined, answers sign requests
 * over one socketpair descriptor (protocol in signer/proto.h). */
#ifndef TROTH_SIGNER_SIGNER_H
#define TROTH_SIGNER_SIGNER_H

#include <stdbool.h>

#define SIGNER_MAX_CAS 16
#define SIGNER_DEFAULT_USER "nobody"

struct signer_opts {
    const char *user; /* user to switch to when started as root (default "nobody") */
    bool sandbox;     /* drop privileges + seccomp (false only for in-process tests) */
};

/* Run a signer on fd with the passphrase from passphrase_file, default options.
 * Returns only on a startup failure (non-zero); once sandboxed it ends with _exit(). */
int signer_main(int fd, const char *passphrase_file);
/* signer_main with explicit options; without the sandbox it returns 0 at end of stream. */
int signer_main_opts(int fd, const char *passphrase_file, const struct signer_opts *opts);
/* `troth signer --fd N --passphrase-file PATH [--user U]`: argv[0] is "signer". Exit status. */
int signer_command(int argc, char **argv);

#endif

/* Confinement of the signer process: privilege drop and a seccomp filter. */
#ifndef TROTH_SIGNER_SANDBOX_H
#define TROTH_SIGNER_SANDBOX_H

#include <stdbool.h>

#include "pki/err.h"

/* If running as root, switch to user (groups, gid, uid; irreversibly). No-op otherwise. */
int sandbox_drop_privileges(const char *user, struct problem *err);
/* Install the signer's seccomp filter: only IO on open descriptors, memory, time,
 * randomness and exit; everything else kills the process. token: the
 * worker holds a PKCS#11 key, whose module may also read files (sandbox.c). */
int sandbox_enter_signer(bool token, struct problem *err);

#endif

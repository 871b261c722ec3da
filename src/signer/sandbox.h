/* Confinement of the signer process: privilege drop and a seccomp filter. */
#ifndef TROTH_SIGNER_SANDBOX_H
#define TROTH_SIGNER_SANDBOX_H

#include "pki/err.h"

/* If running as root, switch to user (groups, gid, uid; irreversibly). No-op otherwise. */
int sandbox_drop_privileges(const char *user, struct pki_err *err);
/* Install the signer's seccomp filter: only IO on open descriptors, memory, time,
 * randomness and exit; everything else kills the process. */
int sandbox_enter_signer(struct pki_err *err);

#endif

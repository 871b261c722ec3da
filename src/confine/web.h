/* The web process's own confinement (src/confine/README.md): the user it
 * runs as when started as root, the check that it cannot read the CA
 * passphrase, and its seccomp filter. */
#ifndef TROTH_CONFINE_WEB_H
#define TROTH_CONFINE_WEB_H

#include <stddef.h>

#define CONFINE_WEB_DEFAULT_USER "troth"

/* When this process is root: the uid/gid of user (NULL: "troth"), which
 * must exist and not be root. Otherwise *uid = *gid = -1. 0, or -1 with err. */
int confine_web_user(const char *user, long *uid, long *gid, char *err, size_t len);
/* Switch to uid/gid for good (no-op when uid < 0), then check that
 * secret_path can no longer be opened. 0, or -1 with err. */
int confine_web_drop(long uid, long gid, const char *secret_path, char *err, size_t len);
/* Install the web process's seccomp filter on every thread: no exec, no
 * fork (threads only), no ptrace, no file opened for writing, no change of
 * identity or namespace. 0, or -1 with err. */
int confine_web_seccomp(char *err, size_t len);

#endif

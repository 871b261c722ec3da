/* Signer sandbox.
 *
 * Policy: default action SCMP_ACT_KILL_PROCESS. Allowed: read/write/recv/send
 * and close on existing descriptors, memory management (brk, mmap, munmap,
 * mremap, mprotect, madvise), futex, getrandom, clock_gettime/gettimeofday,
 * rt_sigreturn/rt_sigprocmask/sigaltstack, getpid/gettid, exit/exit_group.
 * A few calls that sanitizer runtimes and glibc attempt when reporting errors
 * (open, readlink, fstat, ioctl, prctl, sched_yield...) get EPERM instead of a
 * kill, so an ASan report still reaches stderr; none of them gives the process
 * anything new when refused. No open, socket, connect, exec, fork, ptrace.
 * A worker that holds a key in a PKCS#11 token (SoftHSM2: a file store it
 * re-reads, under fcntl locks, on every signature) may also open files for
 * reading only (openat without write access, O_CREAT, O_TRUNC, O_APPEND:
 * anything else EPERM or kill), fstat them, take and drop fcntl record locks,
 * lseek and read directories; socket/connect (the module's syslog on error)
 * get EPERM. It still cannot write, create or delete a file, exec or fork.
 * The process leaves with _exit(): atexit handlers (LeakSanitizer's among them)
 * would need clone/ptrace, which stay forbidden. */
#include "signer/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <seccomp.h>
#include <string.h>
#include <unistd.h>

int sandbox_drop_privileges(const char *user, struct problem *err)
{
    if (geteuid() != 0)
        return 0;
    struct passwd pw, *res = NULL;
    char buf[1024];
    if (getpwnam_r(user, &pw, buf, sizeof buf, &res) != 0 || res == NULL)
        return problem_set(err, PK_SIGNER_USER_UNKNOWN, NULL, "signer user %s does not exist", user);
    if (setgroups(0, NULL) != 0 || setresgid(pw.pw_gid, pw.pw_gid, pw.pw_gid) != 0 ||
        setresuid(pw.pw_uid, pw.pw_uid, pw.pw_uid) != 0)
        return problem_set(err, PK_SIGNER_PRIVDROP_FAILED, NULL, "dropping privileges to %s: %s", user,
                           strerror(errno));
    if (pw.pw_uid != 0 && (setuid(0) == 0 || geteuid() == 0))
        return problem_set(err, PK_SIGNER_PRIVDROP_FAILED, NULL, "could regain root after dropping privileges");
    return 0;
}

static const int ALLOW[] = {
    SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(recvfrom), SCMP_SYS(sendto), SCMP_SYS(close),
    SCMP_SYS(brk), SCMP_SYS(mmap), SCMP_SYS(munmap), SCMP_SYS(mremap), SCMP_SYS(mprotect),
    SCMP_SYS(madvise), SCMP_SYS(futex), SCMP_SYS(getrandom), SCMP_SYS(clock_gettime),
    SCMP_SYS(gettimeofday), SCMP_SYS(rt_sigreturn), SCMP_SYS(rt_sigprocmask), SCMP_SYS(sigaltstack),
    SCMP_SYS(getpid), SCMP_SYS(gettid), SCMP_SYS(exit), SCMP_SYS(exit_group),
};

/* Refused quietly: attempted by sanitizer runtimes / glibc on error paths. */
static const int DENY_EPERM[] = {
    SCMP_SYS(open), SCMP_SYS(openat), SCMP_SYS(readlink), SCMP_SYS(readlinkat),
    SCMP_SYS(fstat), SCMP_SYS(newfstatat), SCMP_SYS(ioctl), SCMP_SYS(prctl),
    SCMP_SYS(sched_yield), SCMP_SYS(sched_getaffinity), SCMP_SYS(getrlimit), SCMP_SYS(prlimit64),
    SCMP_SYS(rt_sigaction), SCMP_SYS(lseek), SCMP_SYS(nanosleep), SCMP_SYS(clock_nanosleep),
};

/* The PKCS#11 module's file store (SoftHSM2), read-only. */
static const int TOKEN_ALLOW[] = {
    SCMP_SYS(fstat), SCMP_SYS(newfstatat), SCMP_SYS(lseek), SCMP_SYS(getdents64),
};
static const int TOKEN_DENY_EPERM[] = {
    SCMP_SYS(open), SCMP_SYS(readlink), SCMP_SYS(readlinkat), SCMP_SYS(ioctl), SCMP_SYS(prctl),
    SCMP_SYS(sched_yield), SCMP_SYS(sched_getaffinity), SCMP_SYS(getrlimit), SCMP_SYS(prlimit64),
    SCMP_SYS(rt_sigaction), SCMP_SYS(nanosleep), SCMP_SYS(clock_nanosleep), SCMP_SYS(socket),
    SCMP_SYS(connect),
};
static const int FCNTL_OK[] = {F_GETFD, F_GETFL, F_GETLK, F_SETLK, F_SETLKW};

static int token_rules(scmp_filter_ctx ctx)
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < sizeof TOKEN_ALLOW / sizeof TOKEN_ALLOW[0]; i++)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, TOKEN_ALLOW[i], 0);
    for (size_t i = 0; rc == 0 && i < sizeof TOKEN_DENY_EPERM / sizeof TOKEN_DENY_EPERM[0]; i++)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), TOKEN_DENY_EPERM[i], 0);
    for (size_t i = 0; rc == 0 && i < sizeof FCNTL_OK / sizeof FCNTL_OK[0]; i++)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(fcntl), 1, SCMP_A1(SCMP_CMP_EQ, (scmp_datum_t)FCNTL_OK[i]));
    /* openat for reading only; asking for write access is refused (EPERM) */
    const scmp_datum_t w = O_ACCMODE | O_CREAT | O_TRUNC | O_APPEND;
    if (rc == 0)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(openat), 1, SCMP_A2(SCMP_CMP_MASKED_EQ, w, 0));
    if (rc == 0)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(openat), 1,
                              SCMP_A2(SCMP_CMP_MASKED_EQ, O_ACCMODE, O_WRONLY));
    if (rc == 0)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(openat), 1,
                              SCMP_A2(SCMP_CMP_MASKED_EQ, O_ACCMODE, O_RDWR));
    return rc;
}

int sandbox_enter_signer(bool token, struct problem *err)
{
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
    if (ctx == NULL)
        return problem_set(err, PK_SIGNER_SANDBOX_FAILED, NULL, "seccomp_init failed");
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < sizeof ALLOW / sizeof ALLOW[0]; i++)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, ALLOW[i], 0);
    if (token)
        rc = rc ? rc : token_rules(ctx);
    for (size_t i = 0; rc == 0 && !token && i < sizeof DENY_EPERM / sizeof DENY_EPERM[0]; i++)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), DENY_EPERM[i], 0);
    if (rc == 0)
        rc = seccomp_load(ctx); /* sets no_new_privs first (SCMP_FLTATR_CTL_NNP default) */
    seccomp_release(ctx);
    if (rc != 0)
        return problem_set(err, PK_SIGNER_SANDBOX_FAILED, NULL, "installing the seccomp filter: %s",
                           strerror(-rc));
    return 0;
}

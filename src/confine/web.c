/* Web process confinement: privilege drop and a seccomp filter. The list
 * and the reason for each entry are in src/confine/README.md. */
#include "confine/web.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int confine_web_user(const char *user, long *uid, long *gid, char *err, size_t len)
{
    *uid = *gid = -1;
    if (geteuid() != 0)
        return 0;
    const char *name = user && *user ? user : CONFINE_WEB_DEFAULT_USER;
    struct passwd pw, *res = NULL;
    char buf[2048];
    if (getpwnam_r(name, &pw, buf, sizeof buf, &res) != 0 || res == NULL) {
        snprintf(err, len, "[server] user %s does not exist (scripts/deps creates `troth`)", name);
        return -1;
    }
    if (pw.pw_uid == 0 || pw.pw_gid == 0) {
        snprintf(err, len, "[server] user %s is root: the web process never runs as root", name);
        return -1;
    }
    *uid = (long)pw.pw_uid;
    *gid = (long)pw.pw_gid;
    return 0;
}

int confine_web_drop(long uid, long gid, const char *secret_path, char *err, size_t len)
{
    if (uid >= 0) {
        if (setgroups(0, NULL) != 0 || setresgid((gid_t)gid, (gid_t)gid, (gid_t)gid) != 0 ||
            setresuid((uid_t)uid, (uid_t)uid, (uid_t)uid) != 0) {
            snprintf(err, len, "dropping privileges to uid %ld: %s", uid, strerror(errno));
            return -1;
        }
        if (setuid(0) == 0 || geteuid() == 0) {
            snprintf(err, len, "could regain root after dropping privileges");
            return -1;
        }
        int fd = secret_path ? open(secret_path, O_RDONLY | O_CLOEXEC) : -1;
        if (fd >= 0) {
            close(fd);
            snprintf(err, len, "the web process's user (uid %ld) can read %s: make it owned by root, mode 600",
                     uid, secret_path);
            return -1;
        }
    }
    return 0;
}

/* Killed: what turns a memory-safety bug into code execution elsewhere,
 * a new identity, or a look into another process. */
static const int KILL[] = {
    SCMP_SYS(execve), SCMP_SYS(execveat), SCMP_SYS(fork), SCMP_SYS(vfork),
    SCMP_SYS(process_vm_readv), SCMP_SYS(process_vm_writev), SCMP_SYS(kcmp), SCMP_SYS(pidfd_getfd),
    SCMP_SYS(setuid), SCMP_SYS(setgid), SCMP_SYS(setreuid), SCMP_SYS(setregid), SCMP_SYS(setresuid),
    SCMP_SYS(setresgid), SCMP_SYS(setgroups), SCMP_SYS(setfsuid), SCMP_SYS(setfsgid), SCMP_SYS(capset),
    SCMP_SYS(mount), SCMP_SYS(umount2), SCMP_SYS(pivot_root), SCMP_SYS(chroot), SCMP_SYS(unshare),
    SCMP_SYS(setns), SCMP_SYS(bpf), SCMP_SYS(perf_event_open), SCMP_SYS(userfaultfd), SCMP_SYS(keyctl),
    SCMP_SYS(add_key), SCMP_SYS(request_key), SCMP_SYS(kexec_load), SCMP_SYS(kexec_file_load),
    SCMP_SYS(init_module), SCMP_SYS(finit_module), SCMP_SYS(delete_module), SCMP_SYS(reboot),
    SCMP_SYS(swapon), SCMP_SYS(swapoff), SCMP_SYS(acct), SCMP_SYS(personality), SCMP_SYS(iopl),
    SCMP_SYS(ioperm), SCMP_SYS(name_to_handle_at), SCMP_SYS(open_by_handle_at), SCMP_SYS(settimeofday),
    SCMP_SYS(clock_settime), SCMP_SYS(adjtimex), SCMP_SYS(clock_adjtime), SCMP_SYS(quotactl),
#ifndef __SANITIZE_ADDRESS__
    SCMP_SYS(ptrace), /* LeakSanitizer's exit check ptraces this process's threads */
#endif
};

/* Refused with EPERM: the web process writes no file (it logs to stderr,
 * keeps everything else in PostgreSQL). */
static const int NO_FILE_CHANGE[] = {
    SCMP_SYS(creat), SCMP_SYS(unlink), SCMP_SYS(unlinkat), SCMP_SYS(rename), SCMP_SYS(renameat),
    SCMP_SYS(renameat2), SCMP_SYS(mkdir), SCMP_SYS(mkdirat), SCMP_SYS(rmdir), SCMP_SYS(link),
    SCMP_SYS(linkat), SCMP_SYS(symlink), SCMP_SYS(symlinkat), SCMP_SYS(chmod), SCMP_SYS(fchmodat),
    SCMP_SYS(chown), SCMP_SYS(lchown), SCMP_SYS(fchownat), SCMP_SYS(truncate), SCMP_SYS(mknod),
    SCMP_SYS(mknodat),
};

/* Refused with ENOSYS: calls whose arguments a filter cannot see (clone3,
 * openat2: glibc falls back to clone and openat, which it can) or that
 * bypass it (io_uring). */
static const int NOSYS[] = {
    SCMP_SYS(clone3), SCMP_SYS(openat2), SCMP_SYS(io_uring_setup), SCMP_SYS(io_uring_enter),
    SCMP_SYS(io_uring_register),
};

#define WRITE_FLAGS {O_WRONLY, O_RDWR, O_CREAT, O_TRUNC, O_APPEND}

int confine_web_seccomp(char *err, size_t len)
{
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    if (ctx == NULL) {
        snprintf(err, len, "seccomp_init failed");
        return -1;
    }
    int rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
    for (size_t i = 0; rc == 0 && i < sizeof KILL / sizeof KILL[0]; i++)
        rc = seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS, KILL[i], 0);
    for (size_t i = 0; rc == 0 && i < sizeof NO_FILE_CHANGE / sizeof NO_FILE_CHANGE[0]; i++)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), NO_FILE_CHANGE[i], 0);
    for (size_t i = 0; rc == 0 && i < sizeof NOSYS / sizeof NOSYS[0]; i++)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), NOSYS[i], 0);
    /* threads only: a clone without CLONE_THREAD is a fork (LeakSanitizer's
     * tracer, in sanitizer builds, is a CLONE_UNTRACED one) */
#ifdef __SANITIZE_ADDRESS__
    const scmp_datum_t thread_like = CLONE_THREAD | CLONE_UNTRACED;
#else
    const scmp_datum_t thread_like = CLONE_THREAD;
#endif
    if (rc == 0)
        rc = seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS, SCMP_SYS(clone), 1,
                              SCMP_A0(SCMP_CMP_MASKED_EQ, thread_like, 0));
    /* files open for reading only */
    static const int flags[] = WRITE_FLAGS;
    for (size_t i = 0; rc == 0 && i < sizeof flags / sizeof flags[0]; i++) {
        scmp_datum_t f = (scmp_datum_t)flags[i];
        rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(open), 1, SCMP_A1(SCMP_CMP_MASKED_EQ, f, f));
        if (rc == 0)
            rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(openat), 1, SCMP_A2(SCMP_CMP_MASKED_EQ, f, f));
    }
    if (rc == 0)
        rc = seccomp_load(ctx); /* sets no_new_privs first */
    seccomp_release(ctx);
    if (rc != 0) {
        snprintf(err, len, "installing the web process's seccomp filter: %s", strerror(-rc));
        return -1;
    }
    return 0;
}

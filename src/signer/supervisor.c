/* Signer supervisor: passphrase, CA set, worker forks and restarts. */
#include "signer/supervisor.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "pki/encode.h"
#include "signer/proto.h"
#include "signer/sandbox.h"
#include "signer/signer.h"
#include "util/clock.h"
#include "util/file.h"

#define READY_TIMEOUT_MS 60000 /* a worker opening a token, or a slow ASan start */
#define RETRY_MS 1000          /* a worker that failed to start is tried again after this */
#define MAX_WORKERS 64
#define BOOT_FD 3
#define CTL_FD 4

extern char **environ;

struct slot {
    pid_t pid;
    uint32_t gen;
    long long retry_at; /* > 0: dead, restart due then */
};

struct sup {
    struct signer_ca_def cas[SIGNER_MAX_CAS];
    size_t n_cas;
    struct signer_worker_cfg cfg;
    struct slot slots[MAX_WORKERS];
    size_t n;
};

__attribute__((format(printf, 1, 2))) static void slog(const char *fmt, ...)
{
    char line[512];
    int n = snprintf(line, sizeof line, "troth-signer-supervisor[%d]: ", (int)getpid());
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
    va_end(ap);
    strcat(line, "\n");
    if (write(2, line, strlen(line)) < 0)
        return;
}

/* A secret file (the passphrase, the token PIN): util/file.c's one rule, from
 * a regular file that neither group nor others (nor the web process's user)
 * can read. what: "passphrase" or "PIN". */
static char *read_secret(const struct signer_sup_opts *o, const char *path, const char *what,
                         struct problem *err)
{
    int fd = path ? open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW) : -1;
    if (fd < 0) {
        problem_set(err, PK_PASSPHRASE_UNREADABLE, NULL, "cannot open the %s file %s: %s", what,
                    path ? path : "(unset)", strerror(errno));
        return NULL;
    }
    struct stat st;
    int bad = 1;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
        problem_set(err, PK_PASSPHRASE_UNSAFE, NULL, "%s is not a regular file", path);
    else if (st.st_mode & 077)
        problem_set(err, PK_PASSPHRASE_UNSAFE, NULL, "%s has mode %03o: group and others must have no access (chmod 600)",
                    path, (unsigned)(st.st_mode & 0777));
    else if (o->web_uid >= 0 && (long)st.st_uid == o->web_uid)
        problem_set(err, PK_PASSPHRASE_UNSAFE, NULL,
                    "%s is owned by the web process's user (uid %ld): make it owned by root, mode 600", path, o->web_uid);
    else
        bad = 0;
    close(fd);
    if (bad)
        return NULL;
    char why[300];
    char *pass = strcmp(what, "PIN") ? passphrase_read(path, why, sizeof why) : pin_read(path, why, sizeof why);
    if (pass == NULL)
        problem_set(err, PK_PASSPHRASE_UNREADABLE, NULL, "%s", why);
    return pass;
}

/* The variables named in keep_env (e.g. SOFTHSM2_CONF=...), copied before the wipe. */
static size_t keep_vars(const char *keep_env, char **kept, size_t max)
{
    size_t n = 0;
    for (const char *p = keep_env ? keep_env : ""; *p && n < max;) {
        size_t l = strcspn(p, " ,");
        char name[128];
        if (l > 0 && l < sizeof name) {
            memcpy(name, p, l);
            name[l] = '\0';
            const char *v = getenv(name);
            if (v && (kept[n] = malloc(l + strlen(v) + 2)) != NULL)
                sprintf(kept[n++], "%s=%s", name, v);
        }
        p += l;
        p += strspn(p, " ,");
    }
    return n;
}

/* The parent's environment and the strings it named (database URL...) are
 * wiped from this copy of its memory: workers get nothing they do not need. */
static void scrub(const struct signer_sup_opts *o)
{
    char *kept[8];
    size_t n_kept = o->pkcs11_module ? keep_vars(o->keep_env, kept, 8) : 0;
    for (char **e = environ; e != NULL && *e != NULL; e++)
        OPENSSL_cleanse(*e, strlen(*e));
    clearenv();
    for (size_t i = 0; i < n_kept; i++)
        putenv(kept[i]); /* kept for the life of the process, as putenv wants */
    for (size_t i = 0; i < o->n_scrub; i++)
        if (o->scrub[i] != NULL)
            OPENSSL_cleanse(o->scrub[i], strlen(o->scrub[i]));
}

static uint32_t get_u32(const struct proto_field *f)
{
    return f->len != 4 ? 0 : (uint32_t)f->p[0] << 24 | (uint32_t)f->p[1] << 16 | (uint32_t)f->p[2] << 8 | f->p[3];
}

static int id_ok(const struct proto_field *f)
{
    if (f->len == 0 || f->len > SIGNER_CA_ID_MAX)
        return 0;
    for (size_t i = 0; i < f->len; i++)
        if (f->p[i] <= 0x20 || f->p[i] >= 0x7f)
            return 0;
    return 1;
}

/* INIT: worker count, policy, CA triples; keys prepared with pass (PEM) or p11 (tokens). */
static int load_init(struct sup *s, const struct proto_frame *fr, const char *pass, const struct signer_pkcs11 *p11,
                     struct problem *err)
{
    if (fr->type != PROTO_INIT || fr->nfields < 5 || (fr->nfields - 2) % 3 != 0 ||
        (fr->nfields - 2) / 3 > SIGNER_MAX_CAS)
        return problem_set(err, PK_SIGNER_INIT_MALFORMED, NULL, "expected INIT {workers, crl validity, (id, cert, key)*}");
    s->n = get_u32(&fr->f[0]);
    s->cfg.policy.crl_validity_seconds = (long)get_u32(&fr->f[1]);
    if (s->n == 0 || s->n > MAX_WORKERS || s->cfg.policy.crl_validity_seconds <= 0)
        return problem_set(err, PK_SIGNER_INIT_MALFORMED, NULL, "worker count 1..%d and a CRL validity expected",
                           MAX_WORKERS);
    for (size_t i = 0; i < (fr->nfields - 2) / 3; i++) {
        const struct proto_field *f = &fr->f[2 + 3 * i];
        struct signer_ca_def *ca = &s->cas[s->n_cas];
        if (!id_ok(&f[0]))
            return problem_set(err, PK_SIGNER_INIT_MALFORMED, NULL, "CA id %zu is invalid", i);
        memcpy(ca->id, f[0].p, f[0].len);
        ca->id[f[0].len] = '\0';
        s->n_cas++;
        if ((ca->cert = pki_cert_from_der(f[1].p, f[1].len)) == NULL)
            return problem_set(err, PK_SIGNER_INIT_MALFORMED, NULL, "CA %s: certificate does not parse", ca->id);
        if (signer_key_source_init(&ca->src, f[2].p, f[2].len, err) != 0 || signer_key_prepare(&ca->src, pass, p11, err) != 0)
            return -1;
    }
    s->cfg.cas = s->cas;
    s->cfg.n_cas = s->n_cas;
    return 0;
}

static int send_worker(int ctl, size_t slot, const struct slot *sl, int fd)
{
    struct signer_ctl m = {SIGNER_CTL_WORKER, (uint32_t)slot, sl->gen, (int32_t)sl->pid};
    struct iovec iov = {&m, sizeof m};
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } u;
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf};
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof fd);
    return sendmsg(ctl, &msg, MSG_NOSIGNAL) == (ssize_t)sizeof m ? 0 : -1;
}

/* Fork the worker of slot i; *web_fd gets the web end of its socket. */
static int fork_worker(struct sup *s, size_t i, int *web_fd)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
        return -1;
    pid_t pid = fork();
    if (pid < 0) {
        close(sv[0]);
        close(sv[1]);
        return -1;
    }
    if (pid == 0) {
        /* the worker keeps stdio and its own socket, as fd 3, and nothing else */
        if (sv[1] != BOOT_FD && dup2(sv[1], BOOT_FD) < 0)
            _exit(2);
        fcntl(BOOT_FD, F_SETFD, 0);
        close_range(BOOT_FD + 1, ~0u, 0);
        prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
        sigset_t all;
        sigemptyset(&all);
        sigprocmask(SIG_SETMASK, &all, NULL);
        _exit(signer_worker_main(BOOT_FD, &s->cfg));
    }
    close(sv[1]);
    s->slots[i].pid = pid;
    s->slots[i].gen++;
    s->slots[i].retry_at = 0;
    *web_fd = sv[0];
    return 0;
}

/* Wait for the worker's "ready" on its socket, then hand the socket to the web process. */
static int hand_over(struct sup *s, size_t i, int web_fd, char *why, size_t why_len)
{
    struct proto_frame fr;
    int rc = proto_read(web_fd, &fr, READY_TIMEOUT_MS);
    int ok = rc == PROTO_RC_OK && fr.type == PROTO_RESP && fr.nfields == 2 && fr.f[0].len == 1 &&
             fr.f[0].p[0] == PROTO_OK;
    if (!ok && rc == PROTO_RC_OK && fr.nfields == 2)
        snprintf(why, why_len, "%.*s", (int)(fr.f[1].len > 200 ? 200 : fr.f[1].len), (const char *)fr.f[1].p);
    else if (!ok)
        snprintf(why, why_len, "no answer from the worker: %s", proto_rc_str(rc));
    if (rc == PROTO_RC_OK)
        proto_frame_free(&fr);
    ok = ok && send_worker(CTL_FD, i, &s->slots[i], web_fd) == 0;
    close(web_fd);
    return ok ? 0 : -1;
}

static void kill_slot(struct sup *s, size_t i)
{
    if (s->slots[i].pid > 0)
        kill(s->slots[i].pid, SIGKILL);
}

static void restart(struct sup *s, size_t i)
{
    int fd;
    char why[256] = "fork failed";
    if (fork_worker(s, i, &fd) == 0 && hand_over(s, i, fd, why, sizeof why) == 0) {
        slog("worker %zu restarted (pid %d)", i, (int)s->slots[i].pid);
        return;
    }
    slog("worker %zu did not start: %s; retrying", i, why);
    kill_slot(s, i);
    s->slots[i].retry_at = now_ms() + RETRY_MS;
}

static void reap(struct sup *s)
{
    int st;
    pid_t p;
    while ((p = waitpid(-1, &st, WNOHANG)) > 0)
        for (size_t i = 0; i < s->n; i++)
            if (s->slots[i].pid == p) {
                if (WIFSIGNALED(st))
                    slog("worker %zu (pid %d) killed by signal %d", i, (int)p, WTERMSIG(st));
                else if (WEXITSTATUS(st) != 0)
                    slog("worker %zu (pid %d) exited with status %d", i, (int)p, WEXITSTATUS(st));
                s->slots[i].pid = -1;
                if (s->slots[i].retry_at == 0)
                    s->slots[i].retry_at = now_ms();
            }
}

static void stop_all(struct sup *s)
{
    long long deadline = now_ms() + 2000;
    for (;;) {
        reap(s);
        size_t alive = 0;
        for (size_t i = 0; i < s->n; i++)
            alive += s->slots[i].pid > 0;
        if (alive == 0)
            return;
        if (now_ms() >= deadline) {
            for (size_t i = 0; i < s->n; i++)
                kill_slot(s, i);
            deadline = now_ms() + 60000;
        }
        struct timespec ts = {0, 5 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

/* After start-up: restarts, kill requests, the web process going away. */
static void run(struct sup *s, int sfd)
{
    for (;;) {
        long long next = -1, now = now_ms();
        for (size_t i = 0; i < s->n; i++)
            if (s->slots[i].pid < 0 && s->slots[i].retry_at > 0) {
                if (s->slots[i].retry_at <= now)
                    restart(s, i);
                else if (next < 0 || s->slots[i].retry_at < next)
                    next = s->slots[i].retry_at;
            }
        struct pollfd p[2] = {{.fd = CTL_FD, .events = POLLIN}, {.fd = sfd, .events = POLLIN}};
        int r = poll(p, 2, next < 0 ? -1 : (int)(next - now_ms() > 0 ? next - now_ms() : 0));
        if (r < 0 && errno != EINTR)
            return;
        if (p[1].revents & POLLIN) {
            struct signalfd_siginfo si;
            if (read(sfd, &si, sizeof si) < 0 && errno != EAGAIN)
                return;
            reap(s);
        }
        if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            struct signer_ctl m;
            ssize_t n = recv(CTL_FD, &m, sizeof m, MSG_DONTWAIT);
            if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
                return; /* the web process is gone */
            if (n == (ssize_t)sizeof m && m.kind == SIGNER_CTL_KILL && m.slot < s->n && m.gen == s->slots[m.slot].gen)
                kill_slot(s, m.slot);
        }
    }
}

static void boot_fail(const struct problem *err)
{
    slog("%s: %s", problem_kind_name(err->kind), err->detail);
    proto_write_resp(BOOT_FD, PROTO_ERROR, err->detail, strlen(err->detail), 5000);
    _exit(2);
}

__attribute__((noreturn)) static void supervisor_main(const struct signer_sup_opts *o)
{
    struct problem err = {0};
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    /* it stops when the web process does (EOF on ctl), not on the terminal's ^C */
    signal(SIGINT, SIG_IGN);
    signal(SIGTERM, SIG_IGN);
    scrub(o);
    char *pass = read_secret(o, o->passphrase_file, "passphrase", &err);
    if (pass == NULL)
        boot_fail(&err);
    /* the token PIN, read with the same rules before the privileges go; kept
     * for the life of the supervisor (each worker it forks logs in with it) */
    static char *pin;
    if (o->pkcs11_pin_file && *o->pkcs11_pin_file && !(pin = read_secret(o, o->pkcs11_pin_file, "PIN", &err)))
        boot_fail(&err);
    static struct signer_pkcs11 p11;
    p11 = (struct signer_pkcs11){o->pkcs11_module, pin};
    if (sandbox_drop_privileges(o->user ? o->user : SIGNER_DEFAULT_USER, &err) != 0)
        boot_fail(&err);
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);  /* a change of credentials resets both */
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    if (o->warn_same_uid)
        slog("the web process runs as this same user: the passphrase file is not protected from it "
             "(start as root to separate them; README, Key custody)");
    static struct sup s;
    s.cfg.user = o->user;
    s.cfg.sandbox = true;
    struct proto_frame fr;
    int rc = proto_read(BOOT_FD, &fr, -1);
    if (rc != PROTO_RC_OK) {
        passphrase_free(pass);
        _exit(rc == PROTO_RC_EOF ? 0 : 2); /* no CA to serve, or the web process is gone */
    }
    rc = load_init(&s, &fr, pass, &p11, &err);
    passphrase_free(pass);
    proto_frame_free(&fr);
    if (rc != 0)
        boot_fail(&err);
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, NULL);
    int sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
    /* every worker opens its keys at once, then each is handed over; but
     * one after the other when a key is in a token: logging in writes the
     * token's state (SoftHSM2 rewrites token.object), and a worker loading
     * the module meanwhile may not find the token */
    bool serial = false;
    for (size_t i = 0; i < s.n_cas; i++)
        serial = serial || s.cas[i].src.kind == SIGNER_KEY_PKCS11;
    int fds[MAX_WORKERS];
    for (size_t i = 0, forked = 0; i < s.n; i++) {
        for (; forked < s.n && (forked == i || !serial); forked++)
            if (fork_worker(&s, forked, &fds[forked]) != 0) {
                problem_set(&err, PK_SIGNER_UNAVAILABLE, NULL, "fork: %s", strerror(errno));
                for (size_t k = i; k < forked; k++)
                    close(fds[k]);
                stop_all(&s);
                boot_fail(&err);
            }
        char why[256];
        if (hand_over(&s, i, fds[i], why, sizeof why) != 0) {
            for (size_t k = i + 1; k < forked; k++)
                close(fds[k]);
            problem_set(&err, PK_SIGNER_UNAVAILABLE, NULL, "signer worker did not start: %s", why);
            proto_write_resp(BOOT_FD, PROTO_ERROR, err.detail, strlen(err.detail), 5000);
            stop_all(&s);
            _exit(2);
        }
    }
    proto_write_resp(BOOT_FD, PROTO_OK, "ready", 5, 5000);
    close(BOOT_FD);
    run(&s, sfd);
    stop_all(&s);
    _exit(0);
}

int signer_supervisor_fork(const struct signer_sup_opts *o, struct signer_sup *sup, struct problem *err)
{
    int boot[2], ctl[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, boot) != 0)
        return problem_set(err, PK_SIGNER_UNAVAILABLE, NULL, "socketpair: %s", strerror(errno));
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ctl) != 0) {
        close(boot[0]);
        close(boot[1]);
        return problem_set(err, PK_SIGNER_UNAVAILABLE, NULL, "socketpair: %s", strerror(errno));
    }
    pid_t pid = fork();
    if (pid < 0) {
        close(boot[0]), close(boot[1]), close(ctl[0]), close(ctl[1]);
        return problem_set(err, PK_SIGNER_UNAVAILABLE, NULL, "fork: %s", strerror(errno));
    }
    if (pid == 0) {
        /* keep stdio, boot as 3 and ctl as 4; nothing else of the parent's */
        int b = fcntl(boot[1], F_DUPFD_CLOEXEC, 10), c = fcntl(ctl[1], F_DUPFD_CLOEXEC, 10);
        if (b < 0 || c < 0 || dup2(b, BOOT_FD) < 0 || dup2(c, CTL_FD) < 0)
            _exit(2);
        close_range(CTL_FD + 1, ~0u, 0);
        supervisor_main(o);
    }
    close(boot[1]);
    close(ctl[1]);
    *sup = (struct signer_sup){pid, boot[0], ctl[0]};
    return 0;
}

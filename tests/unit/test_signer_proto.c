/* Signer protocol robustness: malformed frames against a real (sandboxed)
 * signer, lying and hung workers against the client, and an in-process
 * unsandboxed signer so LeakSanitizer checks the signer loop. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>

#include "pki/crl.h"
#include "pki/sign.h"
#include "signer/proto.h"
#include "signer/signer.h"
#include "signer_test_util.h"

static struct st_fixture *F;

static int group_setup(void **state)
{
    (void)state;
    F = st_setup();
    return F ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    st_teardown(F);
    return 0;
}

/* The worker's first frame: ok "ready" once it is confined. */
static void await_ready(int fd)
{
    struct proto_frame r;
    assert_int_equal(proto_read(fd, &r, 10000), PROTO_RC_OK);
    assert_int_equal(r.type, PROTO_RESP);
    assert_int_equal(r.f[0].p[0], PROTO_OK);
    proto_frame_free(&r);
}

/* Fork a sandboxed signer worker on a socketpair; returns our end once it is ready. */
static int raw_signer(pid_t *pid)
{
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    *pid = fork();
    assert_true(*pid >= 0);
    if (*pid == 0) {
        close(sv[0]);
        struct signer_worker_cfg cfg = st_worker_cfg(F, true);
        _exit(signer_worker_main(sv[1], &cfg));
    }
    close(sv[1]);
    await_ready(sv[0]);
    return sv[0];
}

/* After the bytes, the signer must close the connection and exit normally (not by a signal). */
static void expect_clean_exit(const void *bytes, size_t n, bool shut)
{
    pid_t pid;
    int fd = raw_signer(&pid);
    assert_int_equal(send(fd, bytes, n, MSG_NOSIGNAL), (ssize_t)n);
    if (shut)
        shutdown(fd, SHUT_WR);
    struct proto_frame r;
    int rc = proto_read(fd, &r, 5000);
    assert_true(rc == PROTO_RC_EOF || rc == PROTO_RC_IO);
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 3);
    close(fd);
}

static void test_malformed_frames(void **state)
{
    (void)state;
    static const unsigned char huge[] = {0xff, 0xff, 0xff, 0xff, 1, 0, 0};
    static const unsigned char just_over[] = {0x04, 0x00, 0x00, 0x01, 2, 0, 0};  /* 64 MiB + 1 */
    static const unsigned char short_body[] = {0, 0, 0, 100, 3, 0, 2, 0, 0, 0, 1}; /* 100 promised, EOF */
    static const unsigned char field_past_end[] = {0, 0, 0, 9, 3, 0, 1, 0, 0, 0x10, 0, 'a', 'b'};
    static const unsigned char too_many_fields[] = {0, 0, 0, 3, 3, 0xff, 0xff};
    static const unsigned char trailing[] = {0, 0, 0, 5, 2, 0, 0, 'x', 'y'};
    static const unsigned char unknown_type[] = {0, 0, 0, 3, 0x42, 0, 0};
    static const unsigned char tiny_len[] = {0, 0, 0, 1, 2};
    static const char garbage[] = "GET / HTTP/1.0\r\n\r\n";
    expect_clean_exit(huge, sizeof huge, false);
    expect_clean_exit(just_over, sizeof just_over, false);
    expect_clean_exit(short_body, sizeof short_body, true);
    expect_clean_exit(field_past_end, sizeof field_past_end, false);
    expect_clean_exit(too_many_fields, sizeof too_many_fields, false);
    expect_clean_exit(trailing, sizeof trailing, false);
    expect_clean_exit(unknown_type, sizeof unknown_type, false);
    expect_clean_exit(tiny_len, sizeof tiny_len, false);
    expect_clean_exit(garbage, sizeof garbage - 1, false);
    /* A second INIT is not a request either. */
    static const unsigned char init_again[] = {0, 0, 0, 3, PROTO_INIT, 0, 0};
    expect_clean_exit(init_again, sizeof init_again, false);
    /* Clean EOF: exit status 0. */
    pid_t pid;
    int fd = raw_signer(&pid);
    close(fd);
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
}

/* Fake workers for the client: answer INIT, then misbehave according to MODE. */
static int liar_mode;

/* A fake worker on fd: says ready, then misbehaves according to liar_mode. */
static pid_t spawn_liar(int *web_fd)
{
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    pid_t pid = fork();
    if (pid != 0) {
        close(sv[1]);
        *web_fd = sv[0];
        return pid;
    }
    close(sv[0]); /* a test that fails before killing it: EOF ends it */
    int child_fd = sv[1];
    struct proto_frame fr;
    proto_write_resp(child_fd, PROTO_OK, "ready", 5, 5000);
    while (proto_read(child_fd, &fr, -1) == PROTO_RC_OK) {
        proto_frame_free(&fr);
        static const unsigned char huge_len[] = {0x7f, 0xff, 0xff, 0xff, 0x80, 0, 0};
        static const unsigned char bad_resp[] = {0, 0, 0, 3, PROTO_RESP, 0, 0}; /* no fields */
        static const unsigned char bad_status[] = {0, 0, 0, 13, PROTO_RESP, 0, 2, 0, 0, 0, 1, 9, 0, 0, 0, 0};
        static const unsigned char partial[] = {0, 0, 1, 0, PROTO_RESP, 0};
        switch (liar_mode) {
        case 0: if (write(child_fd, huge_len, sizeof huge_len) < 0) _exit(1); break;
        case 1: if (write(child_fd, bad_resp, sizeof bad_resp) < 0) _exit(1); break;
        case 2: if (write(child_fd, bad_status, sizeof bad_status) < 0) _exit(1); break;
        case 3: if (write(child_fd, partial, sizeof partial) < 0) _exit(1); _exit(0); /* then EOF */
        case 5: { /* slow: answers after 1.5 s (a "signature" the client will not take) */
            struct timespec ts = {1, 500000000L};
            nanosleep(&ts, NULL);
            proto_write_resp(child_fd, PROTO_OK, "x", 1, 5000);
            break;
        }
        default: pause(); /* hang */
        }
    }
    _exit(0);
}

static void test_lying_and_hung_workers(void **state)
{
    (void)state;
    for (liar_mode = 0; liar_mode <= 4; liar_mode++) {
        struct signer_pool *pool;
        struct problem err;
        int fd;
        pid_t liar = spawn_liar(&fd);
        await_ready(fd);
        assert_int_equal(signer_pool_adopt(&pool, &fd, &liar, 1), 0);
        signer_pool_set_timeout(pool, 300);
        unsigned char *der = NULL;
        size_t len;
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        assert_int_equal(signer_sign_cert(pool, "issuing", (const unsigned char *)"x", 1, &der, &len, &err), -1);
        clock_gettime(CLOCK_MONOTONIC, &b);
        assert_null(der);
        assert_int_equal(err.status, 503);
        assert_string_equal(problem_kind_name(err.kind), "signer-unavailable");
        double ms = (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
        assert_true(ms < 1000);
        if (liar_mode == 4)
            printf("hung signer: call failed after %.0f ms (timeout 300 ms): %s\n", ms, err.detail);
        assert_int_equal(signer_pool_alive(pool), 0);
        assert_int_equal(signer_ping(pool, &err), -1); /* fails fast, no live worker */
        signer_pool_free(pool);
        kill(liar, SIGKILL); /* no supervisor here to do it */
        waitpid(liar, NULL, 0);
    }
}

/* A CRL's TBS takes time to send and hash: the deadline grows by a second
 * per MiB (a fixed 10 s killed the worker of a million-entry CRL on a busy
 * machine, over and over, and the CRL went stale); a certificate's does not. */
static void test_crl_deadline_grows_with_its_size(void **state)
{
    (void)state;
    liar_mode = 5;
    struct signer_pool *pool;
    struct problem err;
    int fd;
    pid_t liar = spawn_liar(&fd);
    await_ready(fd);
    assert_int_equal(signer_pool_adopt(&pool, &fd, &liar, 1), 0);
    signer_pool_set_timeout(pool, 300);
    size_t len = 4u << 20; /* 4 MiB: 300 ms + 4 s */
    unsigned char *tbs = calloc(1, len), *der = NULL;
    size_t dlen;
    assert_non_null(tbs);
    assert_int_equal(signer_sign_crl(pool, "issuing", tbs, len, &der, &dlen, &err), -1);
    assert_string_equal(problem_kind_name(err.kind), "signer-error"); /* answered in time, not timed out */
    assert_int_equal(signer_pool_alive(pool), 1);
    assert_int_equal(signer_sign_cert(pool, "issuing", tbs, 100, &der, &dlen, &err), -1);
    assert_string_equal(problem_kind_name(err.kind), "signer-unavailable"); /* 300 ms for a certificate */
    free(tbs);
    signer_pool_free(pool);
    kill(liar, SIGKILL);
    waitpid(liar, NULL, 0);
}

struct inproc {
    int fd;
    int rc;
};

static void *inproc_main(void *arg)
{
    struct inproc *ip = arg;
    struct signer_worker_cfg cfg = st_worker_cfg(F, false);
    ip->rc = signer_worker_main(ip->fd, &cfg);
    st_worker_cfg_free(&cfg);
    return NULL;
}

/* A worker in a thread of this process, ready on sv[0] (its end is sv[1]). */
static pthread_t start_inproc(int sv[2], struct inproc *ip)
{
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    *ip = (struct inproc){.fd = sv[1], .rc = -1};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, inproc_main, ip), 0);
    await_ready(sv[0]);
    return th;
}

static void test_in_process_signer_no_leaks(void **state)
{
    (void)state;
    int sv[2];
    struct inproc ip;
    pthread_t th = start_inproc(sv, &ip);
    unsigned char *tbs;
    size_t len;
    assert_int_equal(st_leaf_tbs(F->c.issuing, &tbs, &len), 0);
    const char *ids[] = {"issuing", "issuing", "nope"};
    unsigned want[] = {PROTO_OK, PROTO_OK, PROTO_REFUSED};
    for (int i = 0; i < 3; i++) {
        struct proto_field f[2] = {{(const unsigned char *)ids[i], strlen(ids[i])}, {tbs, len}};
        assert_int_equal(proto_write(sv[0], PROTO_SIGN_CERT, f, 2, 5000), PROTO_RC_OK);
        struct proto_frame r;
        assert_int_equal(proto_read(sv[0], &r, 5000), PROTO_RC_OK);
        assert_int_equal(r.f[0].p[0], want[i]);
        if (want[i] == PROTO_OK) {
            X509 *x = pki_cert_from_der(r.f[1].p, r.f[1].len);
            assert_non_null(x);
            assert_int_equal(X509_verify(x, F->c.int_key), 1);
            X509_free(x);
        }
        proto_frame_free(&r);
    }
    free(tbs);
    close(sv[0]); /* EOF: the loop ends, frees everything and returns 0 */
    pthread_join(th, NULL);
    assert_int_equal(ip.rc, 0);
}

/* A forged stream of CRL pieces (a compromised web process): pieces naming
 * two CAs, or a certificate request in the middle of a CRL, are refused;
 * a CRL in pieces under one CA is signed as a whole. */
static void test_crl_pieces_from_a_forged_peer(void **state)
{
    (void)state;
    int sv[2];
    struct inproc ip;
    pthread_t th = start_inproc(sv, &ip);
    time_t now = time(NULL);
    struct pki_crl_spec spec = {.issuer = F->c.issuing, .number = 5, .this_update = now,
                                .next_update = now + 3600};
    unsigned char *tbs;
    size_t len;
    struct problem err;
    assert_int_equal(pki_crl_build_tbs_array(&spec, NULL, 0, &tbs, &len, &err), 0);
    struct proto_field a = {(const unsigned char *)"issuing", 7}, b = {(const unsigned char *)"root", 4};
    size_t cut = len / 2;
    struct proto_field first = {tbs, cut}, rest = {tbs + cut, len - cut};
    /* two CAs in one CRL: refused, and the connection goes on */
    assert_int_equal(proto_write(sv[0], PROTO_SIGN_CRL_PART, (struct proto_field[]){a, first}, 2, 5000),
                     PROTO_RC_OK);
    assert_int_equal(proto_write(sv[0], PROTO_SIGN_CRL, (struct proto_field[]){b, rest}, 2, 5000), PROTO_RC_OK);
    struct proto_frame r;
    assert_int_equal(proto_read(sv[0], &r, 5000), PROTO_RC_OK);
    assert_int_equal(r.f[0].p[0], PROTO_REFUSED);
    assert_non_null(memmem(r.f[1].p, r.f[1].len, "different CAs", 13));
    proto_frame_free(&r);
    /* one CA: signed; the answer is the algorithm and the signature only */
    assert_int_equal(proto_write(sv[0], PROTO_SIGN_CRL_PART, (struct proto_field[]){a, first}, 2, 5000),
                     PROTO_RC_OK);
    assert_int_equal(proto_write(sv[0], PROTO_SIGN_CRL, (struct proto_field[]){a, rest}, 2, 5000), PROTO_RC_OK);
    assert_int_equal(proto_read(sv[0], &r, 5000), PROTO_RC_OK);
    assert_int_equal(r.f[0].p[0], PROTO_OK);
    assert_true(r.f[1].len < 200 && r.f[1].p[0] == 0x30);
    unsigned char *der;
    size_t dlen;
    size_t alg = (size_t)r.f[1].p[1] + 2;
    assert_int_equal(pki_assemble_signed(tbs, len, r.f[1].p, alg, r.f[1].p + alg, r.f[1].len - alg, &der,
                                         &dlen, &err), 0);
    const unsigned char *p = der;
    X509_CRL *crl = d2i_X509_CRL(NULL, &p, (long)dlen);
    assert_non_null(crl);
    assert_int_equal(X509_CRL_verify(crl, F->c.int_key), 1);
    X509_CRL_free(crl);
    free(der);
    proto_frame_free(&r);
    /* a certificate request in the middle of a CRL: the signer closes */
    unsigned char *leaf;
    size_t leaf_len;
    assert_int_equal(st_leaf_tbs(F->c.issuing, &leaf, &leaf_len), 0);
    assert_int_equal(proto_write(sv[0], PROTO_SIGN_CRL_PART, (struct proto_field[]){a, first}, 2, 5000),
                     PROTO_RC_OK);
    assert_int_equal(proto_write(sv[0], PROTO_SIGN_CERT, (struct proto_field[]){a, {leaf, leaf_len}}, 2, 5000),
                     PROTO_RC_OK);
    assert_int_equal(proto_read(sv[0], &r, 5000), PROTO_RC_EOF);
    free(leaf);
    free(tbs);
    close(sv[0]);
    pthread_join(th, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_malformed_frames),
        cmocka_unit_test(test_lying_and_hung_workers),
        cmocka_unit_test(test_crl_deadline_grows_with_its_size),
        cmocka_unit_test(test_in_process_signer_no_leaks),
        cmocka_unit_test(test_crl_pieces_from_a_forged_peer),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

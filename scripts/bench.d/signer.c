/* Throughput through the signer alone (printed, never asserted on time):
 * leaf certificates per second for EC P-256 and RSA-2048 issuing CAs, 1 and
 * 2 workers. Built as build/bench/signer (release flags) and run by
 * scripts/bench (target 5); it was a unit test once, which timed nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>

#include "signer/signer.h"
#include "signer_test_util.h"

#define BENCH_SIGNS 200

static struct st_fixture *F;

struct job {
    struct signer_pool *pool;
    const char *ca;
    const unsigned char *tbs;
    size_t len;
    int n, failures;
};

static void *worker(void *arg)
{
    struct job *j = arg;
    for (int i = 0; i < j->n; i++) {
        unsigned char *der;
        size_t dlen;
        struct problem err;
        if (signer_sign_cert(j->pool, j->ca, j->tbs, j->len, &der, &dlen, &err) != 0)
            j->failures++;
        else
            free(der);
    }
    return NULL;
}

static double bench(size_t workers, const char *ca, const X509 *issuer)
{
    struct signer_pool *pool;
    struct problem err;
    struct signer_pool_opts o = st_pool_opts(F, workers);
    assert_int_equal(signer_pool_open(&pool, &o, F->blobs, 3, &err), 0);
    unsigned char *tbs;
    size_t len;
    assert_int_equal(st_leaf_tbs(issuer, &tbs, &len), 0);
    struct job jobs[2];
    pthread_t th[2];
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (size_t i = 0; i < workers; i++) {
        jobs[i] = (struct job){pool, ca, tbs, len, BENCH_SIGNS / (int)workers, 0};
        pthread_create(&th[i], NULL, worker, &jobs[i]);
    }
    for (size_t i = 0; i < workers; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(jobs[i].failures, 0);
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    double s = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
    free(tbs);
    signer_pool_free(pool);
    return BENCH_SIGNS / s;
}

static void test_bench(void **state)
{
    (void)state;
    F = st_setup();
    assert_non_null(F);
    for (size_t w = 1; w <= 2; w++) {
        printf("signer, %zu worker(s), %zu client thread(s): EC P-256 %.0f certs/s, RSA-2048 %.0f certs/s\n",
               w, w, bench(w, "issuing", F->c.issuing), bench(w, "issuing-rsa", F->rsa_ca));
    }
    st_teardown(F);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bench),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Built with ThreadSanitizer (not ASan) into build/asan/unit/test_password_race
 * so that scripts/test runs it with the other unit tests: several threads
 * verify passwords of unknown users at once, as the admin listener's pool
 * does on sign-in. The dummy hash they compare against must be made before
 * the threads (password_configure), not lazily by the first of them: a lazy
 * fill is a data race TSan reports (exit 66). */
#include <pthread.h>
#include <stdio.h>

#include "auth/password.h"

#define THREADS 4

static void *verify_unknown(void *arg)
{
    (void)arg;
    for (int i = 0; i < 3; i++)
        if (password_verify(NULL, "not the password"))
            return (void *)1;
    return NULL;
}

int main(void)
{
    password_configure(1, 64, 1); /* cheap argon2id: the race, not the cost */
    pthread_t th[THREADS];
    for (int i = 0; i < THREADS; i++)
        pthread_create(&th[i], NULL, verify_unknown, NULL);
    int bad = 0;
    for (int i = 0; i < THREADS; i++) {
        void *r;
        pthread_join(th[i], &r);
        bad |= r != NULL;
    }
    if (bad)
        fprintf(stderr, "password_verify accepted an unknown user\n");
    else
        printf("ok: %d threads verified unknown users\n", THREADS);
    return bad;
}

/* Built with ThreadSanitizer (not ASan) into build/asan/unit/test_password_race
 * so that scripts/test runs it with the other unit tests: several threads
 * verify passwords of unknown users at once, as the admin listener's pool
 * does on sign-in. The dummy hash they compare against must be made before
 * the threads (password_configure), not lazily by the first of them: a lazy
 * fill is a data race TSan reports (exit 66). Then the argon2 gate: never
 * more hashes at once than its slots, and busy (false, at once) when the
 * slots and the queue are full. */
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>
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

static atomic_int in_gate, most_in_gate;

static void *through_gate(void *arg)
{
    (void)arg;
    for (int i = 0; i < 20; i++) {
        if (!password_gate_enter())
            return (void *)1; /* the queue is long enough for all */
        int now = atomic_fetch_add(&in_gate, 1) + 1;
        int most = atomic_load(&most_in_gate);
        while (now > most && !atomic_compare_exchange_weak(&most_in_gate, &most, now))
            ;
        usleep(200);
        atomic_fetch_sub(&in_gate, 1);
        password_gate_leave();
    }
    return NULL;
}

static int gate(void)
{
    password_gate_configure(1, 0);
    if (!password_gate_enter() || password_gate_enter()) {
        fprintf(stderr, "gate: one slot, no queue: the second must be refused\n");
        return 1;
    }
    password_gate_leave();
    if (!password_gate_enter()) {
        fprintf(stderr, "gate: a freed slot must be taken again\n");
        return 1;
    }
    password_gate_leave();
    password_gate_configure(2, THREADS);
    pthread_t th[THREADS];
    for (int i = 0; i < THREADS; i++)
        pthread_create(&th[i], NULL, through_gate, NULL);
    int bad = 0;
    for (int i = 0; i < THREADS; i++) {
        void *r;
        pthread_join(th[i], &r);
        bad |= r != NULL;
    }
    if (bad || atomic_load(&most_in_gate) > 2) {
        fprintf(stderr, "gate: %d at once (slots 2), refused: %d\n",
                atomic_load(&most_in_gate), bad);
        return 1;
    }
    printf("ok: at most %d of %d threads in the gate of 2\n",
           atomic_load(&most_in_gate), THREADS);
    return 0;
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
    return bad | gate();
}

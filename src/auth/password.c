#include "auth/password.h"

#include <argon2.h>
#include <pthread.h>
#include <string.h>
#include <sys/random.h>

static unsigned g_t = 3, g_m = 65536, g_p = 1;
/* Hash of a random password, for dummy verifications (an unknown user costs
 * what a known one does). Made by password_configure, before any thread,
 * or once (pthread_once) with the default costs if it was never called:
 * never filled lazily by whichever pool thread first meets an unknown user. */
static char g_dummy[PASSWORD_HASH_MAX];
static pthread_once_t g_dummy_once = PTHREAD_ONCE_INIT;

static void make_dummy(void);

void password_configure(unsigned t_cost, unsigned m_cost_kib, unsigned lanes)
{
    g_t = t_cost;
    g_m = m_cost_kib;
    g_p = lanes;
    make_dummy();
}

static void random_bytes(void *buf, size_t len)
{
    unsigned char *p = buf;
    while (len) {
        ssize_t n = getrandom(p, len, 0);
        if (n > 0) {
            p += n;
            len -= (size_t)n;
        }
    }
}

int password_hash(const char *pw, char *out, size_t outlen)
{
    unsigned char salt[16];
    random_bytes(salt, sizeof salt);
    int rc = argon2id_hash_encoded(g_t, g_m, g_p, pw, strlen(pw), salt,
                                   sizeof salt, 32, out, outlen);
    return rc == ARGON2_OK ? 0 : -1;
}

static void make_dummy(void)
{
    char pwd[25];
    password_generate(pwd);
    password_hash(pwd, g_dummy, sizeof g_dummy);
}

static void dummy_once(void)
{
    if (!g_dummy[0])
        make_dummy();
}

bool password_verify(const char *encoded, const char *pw)
{
    if (!encoded || !*encoded) {
        pthread_once(&g_dummy_once, dummy_once);
        argon2id_verify(g_dummy, pw, strlen(pw));
        return false;
    }
    return argon2id_verify(encoded, pw, strlen(pw)) == ARGON2_OK;
}

static pthread_mutex_t g_gate = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_gate_free = PTHREAD_COND_INITIALIZER;
static unsigned g_slots = 1, g_queue = 4, g_running, g_waiting;

void password_gate_configure(unsigned concurrency, unsigned queue)
{
    pthread_mutex_lock(&g_gate);
    g_slots = concurrency ? concurrency : 1;
    g_queue = queue;
    pthread_mutex_unlock(&g_gate);
}

bool password_gate_enter(void)
{
    pthread_mutex_lock(&g_gate);
    bool ok = true;
    if (g_running >= g_slots) {
        if (g_waiting >= g_queue) {
            ok = false;
        } else {
            g_waiting++;
            while (g_running >= g_slots)
                pthread_cond_wait(&g_gate_free, &g_gate);
            g_waiting--;
        }
    }
    if (ok)
        g_running++;
    pthread_mutex_unlock(&g_gate);
    return ok;
}

void password_gate_leave(void)
{
    pthread_mutex_lock(&g_gate);
    g_running--;
    pthread_cond_signal(&g_gate_free);
    pthread_mutex_unlock(&g_gate);
}

const char *password_policy(const char *pw)
{
    size_t n = strlen(pw);
    if (n < PASSWORD_MIN)
        return "password must be at least 12 characters";
    if (n > PASSWORD_MAX)
        return "password must be at most 1024 characters";
    return NULL;
}

void password_generate(char out[25])
{
    static const char alphabet[] = "abcdefghijkmnpqrstuvwxyz"
                                   "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    unsigned char r[24];
    random_bytes(r, sizeof r);
    for (int i = 0; i < 24; i++)
        out[i] = alphabet[r[i] % (sizeof alphabet - 1)]; /* 56 symbols */
    out[24] = 0;
}

#include "http/read_deadline.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

struct tracked {
    struct tracked *prev, *next;
    struct deadlines *owner;
    int fd;
    _Atomic long long due_ms; /* 0: not reading */
};

struct deadlines {
    pthread_mutex_t mu;
    pthread_cond_t wake;
    pthread_t thread;
    struct tracked head; /* circular list of open connections */
    long long timeout_ms;
    int stopping;
};

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Every 250 ms: shut down the sockets whose request is overdue. The entry
 * leaves the list (under the lock) before libmicrohttpd closes the socket,
 * so a shut-down descriptor is never one reused by another connection. */
static void *reaper(void *arg)
{
    struct deadlines *d = arg;
    pthread_mutex_lock(&d->mu);
    while (!d->stopping) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 250 * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&d->wake, &d->mu, &ts);
        long long now = now_ms();
        for (struct tracked *t = d->head.next; t != &d->head; t = t->next) {
            long long due = atomic_load(&t->due_ms);
            if (due && due <= now) {
                atomic_store(&t->due_ms, 0);
                shutdown(t->fd, SHUT_RDWR);
            }
        }
    }
    pthread_mutex_unlock(&d->mu);
    return NULL;
}

struct deadlines *deadlines_start(unsigned seconds)
{
    struct deadlines *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    pthread_mutex_init(&d->mu, NULL);
    pthread_cond_init(&d->wake, NULL);
    d->head.next = d->head.prev = &d->head;
    d->timeout_ms = seconds * 1000LL;
    if (pthread_create(&d->thread, NULL, reaper, d)) {
        pthread_cond_destroy(&d->wake);
        pthread_mutex_destroy(&d->mu);
        free(d);
        return NULL;
    }
    return d;
}

void deadlines_stop(struct deadlines *d)
{
    if (!d)
        return;
    pthread_mutex_lock(&d->mu);
    d->stopping = 1;
    pthread_cond_signal(&d->wake);
    pthread_mutex_unlock(&d->mu);
    pthread_join(d->thread, NULL);
    /* the listener has stopped: every connection was closed and removed */
    pthread_cond_destroy(&d->wake);
    pthread_mutex_destroy(&d->mu);
    free(d);
}

void deadlines_notify(void *cls, struct MHD_Connection *c, void **socket_context,
                      enum MHD_ConnectionNotificationCode code)
{
    struct deadlines *d = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        struct tracked *t = ci ? calloc(1, sizeof *t) : NULL;
        if (!t)
            return; /* untracked: only the idle timeout applies */
        t->owner = d;
        t->fd = ci->connect_fd;
        atomic_store(&t->due_ms, now_ms() + d->timeout_ms);
        pthread_mutex_lock(&d->mu);
        t->next = d->head.next;
        t->prev = &d->head;
        d->head.next->prev = t;
        d->head.next = t;
        pthread_mutex_unlock(&d->mu);
        *socket_context = t;
    } else if (code == MHD_CONNECTION_NOTIFY_CLOSED && *socket_context) {
        struct tracked *t = *socket_context;
        pthread_mutex_lock(&d->mu);
        t->prev->next = t->next;
        t->next->prev = t->prev;
        pthread_mutex_unlock(&d->mu);
        free(t);
        *socket_context = NULL;
    }
}

static struct tracked *tracked_of(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

void deadlines_disarm(struct MHD_Connection *c)
{
    struct tracked *t = tracked_of(c);
    if (t)
        atomic_store(&t->due_ms, 0);
}

void deadlines_rearm(struct MHD_Connection *c)
{
    struct tracked *t = tracked_of(c);
    if (t)
        atomic_store(&t->due_ms, now_ms() + t->owner->timeout_ms);
}

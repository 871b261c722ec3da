#include "http/offload.h"

#include <microhttpd.h>
#include <pthread.h>
#include <stdlib.h>

#include "http/http.h"
#include "http/read_deadline.h"
#include "util/log.h"

struct offload_job {
    struct offload *o;
    struct req *r;
    void (*work)(void *);
    void (*cont)(struct req *, void *);
    void *arg;
    pthread_t thread;
    bool used, done;
};

struct offload {
    pthread_mutex_t mu;
    bool stopping;
    unsigned slots;
    struct offload_job jobs[];
};

static struct offload *g_offload; /* the admin listener's (one per process) */

struct offload *offload_start(unsigned slots)
{
    struct offload *o = calloc(1, sizeof *o + slots * sizeof o->jobs[0]);
    if (!o)
        return NULL;
    pthread_mutex_init(&o->mu, NULL);
    o->slots = slots;
    g_offload = o;
    return o;
}

void offload_stop(struct offload *o)
{
    if (!o)
        return;
    pthread_mutex_lock(&o->mu);
    o->stopping = true;
    pthread_mutex_unlock(&o->mu);
    for (unsigned i = 0; i < o->slots; i++)
        if (o->jobs[i].thread)
            pthread_join(o->jobs[i].thread, NULL);
    if (g_offload == o)
        g_offload = NULL;
    pthread_mutex_destroy(&o->mu);
    free(o);
}

static void *run(void *arg)
{
    struct offload_job *j = arg;
    j->work(j->arg);
    pthread_mutex_lock(&j->o->mu);
    j->done = true;
    pthread_mutex_unlock(&j->o->mu);
    MHD_resume_connection(j->r->conn);
    return NULL;
}

bool req_offload(struct req *r, void (*work)(void *arg),
                 void (*cont)(struct req *r, void *arg), void *arg)
{
    struct offload *o = g_offload;
    if (!o)
        return false;
    pthread_mutex_lock(&o->mu);
    struct offload_job *j = NULL;
    for (unsigned i = 0; !o->stopping && i < o->slots && !j; i++)
        if (!o->jobs[i].used)
            j = &o->jobs[i];
    if (j) {
        if (j->thread) /* a finished job's thread: reap it */
            pthread_join(j->thread, NULL);
        *j = (struct offload_job){.o = o, .r = r, .work = work, .cont = cont,
                                   .arg = arg, .used = true};
        r->job = j;
        deadlines_disarm(r->conn);
        MHD_suspend_connection(r->conn);
        if (pthread_create(&j->thread, NULL, run, j)) {
            log_msg("cannot start a worker thread");
            MHD_resume_connection(r->conn);
            j->used = false;
            j->thread = 0;
            r->job = NULL;
            j = NULL;
        }
    }
    pthread_mutex_unlock(&o->mu);
    return j != NULL;
}

bool offload_continue(struct req *r)
{
    struct offload_job *j = r->job;
    pthread_mutex_lock(&j->o->mu);
    bool done = j->done;
    pthread_mutex_unlock(&j->o->mu);
    if (!done)
        return false;
    r->job = NULL;
    j->cont(r, j->arg);
    pthread_mutex_lock(&j->o->mu);
    j->used = false; /* the thread has ended or is ending; joined on reuse */
    pthread_mutex_unlock(&j->o->mu);
    return true;
}

void offload_abandon(struct req *r)
{
    struct offload_job *j = r->job;
    if (!j)
        return;
    r->job = NULL;
    j->cont(NULL, j->arg);
    pthread_mutex_lock(&j->o->mu);
    j->used = false;
    pthread_mutex_unlock(&j->o->mu);
}

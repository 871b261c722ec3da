/* CPU-heavy work (key generation) off the listener's threads: the request's
 * connection is suspended while a worker thread runs the job, so the other
 * connections served by the same pool thread keep being answered. At most
 * `slots` jobs run at once; beyond that a handler answers 503. */
#ifndef TROTH_OFFLOAD_H
#define TROTH_OFFLOAD_H
#include <stdbool.h>

struct req;
struct offload;

struct offload *offload_start(unsigned slots);

/* Refuses new jobs and waits for the running ones (their connections are
 * resumed); call before the listener stops. */
void offload_stop(struct offload *o);

/* From a handler: runs work(arg) on a worker thread, then, back on the
 * listener's thread, cont(r, arg), which makes the reply (or cont(NULL,
 * arg), to release arg, when the connection closed first). Returns false
 * (nothing started, nothing suspended) when every slot is busy. */
bool req_offload(struct req *r, void (*work)(void *arg),
                 void (*cont)(struct req *r, void *arg), void *arg);

/* For the server, on a request with a job: if the job is done, runs the
 * continuation (which makes the reply) and returns true; false while the
 * job still runs. */
bool offload_continue(struct req *r);

/* For the server, when a request ends: a job's result nobody will read is
 * released. */
void offload_abandon(struct req *r);

#endif

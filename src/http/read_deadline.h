/* Read deadlines against slow clients (slowloris): a request's header and
 * body must arrive within a fixed time from the connection's start (or the
 * end of the previous answer on a kept-alive connection). Unlike
 * libmicrohttpd's connection timeout, a trickle of bytes does not extend it.
 * One deadline keeper per listener; each runs its own reaper thread. */
#ifndef TROTH_READ_DEADLINE_H
#define TROTH_READ_DEADLINE_H
#include <microhttpd.h>

struct deadlines;

/* Starts a keeper whose connections must deliver a request within
 * `seconds`; NULL on failure. */
struct deadlines *deadlines_start(unsigned seconds);

/* Stops the reaper thread; call after the listener has stopped. */
void deadlines_stop(struct deadlines *d);

/* MHD_OPTION_NOTIFY_CONNECTION callback; cls is the keeper. */
void deadlines_notify(void *cls, struct MHD_Connection *c, void **socket_context,
                      enum MHD_ConnectionNotificationCode code);

/* The request on `c` has been read (a reply is queued): no deadline until
 * deadlines_rearm. */
void deadlines_disarm(struct MHD_Connection *c);

/* The answer on `c` is done: the next request has the full time again. */
void deadlines_rearm(struct MHD_Connection *c);

#endif

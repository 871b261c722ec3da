/* The outbox sender of `troth serve`: one node at a time (a session
 * advisory lock) delivers pending notices in order per endpoint and key,
 * retries with exponential back-off, records every attempt, and gives a
 * notice up (dead) after [notify] max_attempts. The same thread queues
 * expiry notices and operator alerts every [notify] scan_seconds. */
#ifndef TROTH_NOTIFY_OUTBOX_H
#define TROTH_NOTIFY_OUTBOX_H

struct config;

int outbox_start(const struct config *cfg);
void outbox_stop(void);

/* The back-off before attempt `failures` + 1, in milliseconds. */
long long outbox_backoff_ms(const struct config *cfg, int failures);

#endif

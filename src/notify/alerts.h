/* What the outbox e-mails: expiry notices to members' contacts and alerts
 * to the operator; queued here, rendered at delivery. */
#ifndef TROTH_NOTIFY_ALERTS_H
#define TROTH_NOTIFY_ALERTS_H
#include <jansson.h>

struct config;
struct db;

/* Queues expiry notices (one per certificate and [notify] expiry_days
 * threshold, unless renewed) and operator alerts for a CRL or CA near its
 * limit and a broken audit chain. For the sending node, every scan_seconds. */
void alerts_scan(const struct config *cfg, struct db *db);

/* Every node, each sender round: a signer down for more than a minute is
 * queued as an alert; the database down for more than a minute is mailed
 * at once (the outbox is in the database). */
void alerts_watch_database(const struct config *cfg, struct db *db);

struct alert_text {
    char *subject, *text, *html;
};
/* Renders an e-mail notice from its outbox payload; 0 or -1. */
int alerts_render(const struct config *cfg, const char *event, json_t *data,
                  struct alert_text *out);
void alert_text_free(struct alert_text *t);

#endif

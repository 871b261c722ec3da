/* Webhook deliveries: a signed JSON POST through libcurl. */
#ifndef TROTH_NOTIFY_WEBHOOK_H
#define TROTH_NOTIFY_WEBHOOK_H
#include <stddef.h>

/* 0 when `url` may receive webhooks: https, or http to a loopback host
 * (for tests); else -1 with why. */
int webhook_url_check(const char *url, char *why, size_t whylen);

/* "t=<unix>,v1=<hex HMAC-SHA256 of "<unix>.<body>" keyed by secret>" */
void webhook_signature(const char *secret, long long t, const char *body,
                       size_t len, char *out, size_t outlen);

/* POSTs body; no redirects, 5 s timeout. Returns 0 on a 2xx answer, else
 * -1 with the error in err; *http_status is the status (0: no answer). */
int webhook_post(const char *url, const char *secret, const char *notice_id,
                 const char *event, const char *body, long *http_status,
                 char *err, size_t errlen);

#endif

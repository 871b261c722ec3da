/* E-mail through libcurl's SMTP (STARTTLS / smtps, AUTH): plain text with a
 * short HTML alternative. */
#ifndef TROTH_NOTIFY_MAIL_H
#define TROTH_NOTIFY_MAIL_H
#include <stddef.h>

struct config;

struct mail {
    const char *const *to; /* addresses */
    size_t nto;
    const char *subject;   /* ASCII */
    const char *text;      /* text/plain body */
    const char *html;      /* text/html alternative */
};

/* True when [notify] smtp_url and from are set. */
int mail_configured(const struct config *cfg);

/* Sends one message; 0, or -1 with the reason in err. */
int mail_send(const struct config *cfg, const struct mail *m, char *err, size_t errlen);

/* Escapes text for HTML (&, <, >, "); malloc'd. */
char *mail_html_escape(const char *s);

#endif

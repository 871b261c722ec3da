#include "notify/mail.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "config.h"
#include "http/server.h"
#include "util/file.h"

int mail_configured(const struct config *cfg)
{
    return cfg->smtp_url && *cfg->smtp_url && cfg->mail_from && *cfg->mail_from;
}

char *mail_html_escape(const char *s)
{
    size_t n = 0;
    for (const char *p = s; *p; p++)
        n += *p == '&' ? 5 : *p == '<' || *p == '>' ? 4 : *p == '"' ? 6 : 1;
    char *out = malloc(n + 1), *o = out;
    if (!out)
        return NULL;
    for (const char *p = s; *p; p++) {
        const char *rep = *p == '&' ? "&amp;" : *p == '<' ? "&lt;" : *p == '>' ? "&gt;"
                          : *p == '"' ? "&quot;" : NULL;
        if (rep) {
            memcpy(o, rep, strlen(rep));
            o += strlen(rep);
        } else {
            *o++ = *p;
        }
    }
    *o = 0;
    return out;
}

/* Addresses go into the envelope and headers: refuse anything that could
 * break a header line. */
static int address_ok(const char *a)
{
    return a && *a && strlen(a) < 320 && strchr(a, '@') && !strpbrk(a, "\r\n<>,;\" ");
}

static int smtp_host_is_loopback(const char *url)
{
    CURLU *u = curl_url();
    char *host = NULL;
    int lo = 0;
    if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK)
        lo = server_is_loopback(host);
    curl_free(host);
    curl_url_cleanup(u);
    return lo;
}

int mail_send(const struct config *cfg, const struct mail *m, char *err, size_t errlen)
{
    if (!mail_configured(cfg)) {
        snprintf(err, errlen, "no SMTP configured");
        return -1;
    }
    if (!address_ok(cfg->mail_from)) {
        snprintf(err, errlen, "[notify] from is not a plain address");
        return -1;
    }
    CURL *c = curl_easy_init();
    curl_mime *mime = c ? curl_mime_init(c) : NULL;
    curl_mime *alt = c ? curl_mime_init(c) : NULL;
    struct curl_slist *rcpt = NULL, *hs = NULL, *ph = NULL;
    char *password = NULL, *to_hdr = NULL;
    int out = -1;
    if (!c || !mime || !alt) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    size_t to_len = 8;
    for (size_t i = 0; i < m->nto; i++) {
        if (!address_ok(m->to[i])) {
            snprintf(err, errlen, "recipient %zu is not a plain address", i);
            goto done;
        }
        char env[340];
        snprintf(env, sizeof env, "<%s>", m->to[i]);
        rcpt = curl_slist_append(rcpt, env);
        to_len += strlen(m->to[i]) + 2;
    }
    if (!m->nto) {
        snprintf(err, errlen, "no recipient");
        goto done;
    }
    to_hdr = malloc(to_len);
    if (!to_hdr) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    strcpy(to_hdr, "To: ");
    for (size_t i = 0; i < m->nto; i++) {
        if (i)
            strcat(to_hdr, ", ");
        strcat(to_hdr, m->to[i]);
    }
    char from_hdr[400], subj[512], date[80], mid[128], env_from[340];
    snprintf(from_hdr, sizeof from_hdr, "From: %s", cfg->mail_from);
    snprintf(subj, sizeof subj, "Subject: %.480s", m->subject);
    for (char *p = subj; *p; p++)
        if (*p == '\r' || *p == '\n')
            *p = ' ';
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(date, sizeof date, "Date: %a, %d %b %Y %H:%M:%S +0000", &tm);
    const char *domain = strchr(cfg->mail_from, '@') + 1;
    unsigned long long rnd = ((unsigned long long)now << 20) ^ (unsigned long long)(size_t)m ^
                             (unsigned long long)clock();
    snprintf(mid, sizeof mid, "Message-ID: <%llx.troth@%.80s>", rnd, domain);
    snprintf(env_from, sizeof env_from, "<%s>", cfg->mail_from);
    hs = curl_slist_append(hs, from_hdr);
    hs = curl_slist_append(hs, to_hdr);
    hs = curl_slist_append(hs, subj);
    hs = curl_slist_append(hs, date);
    hs = curl_slist_append(hs, mid);
    hs = curl_slist_append(hs, "Auto-Submitted: auto-generated");

    curl_mimepart *part = curl_mime_addpart(alt);
    curl_mime_data(part, m->text, CURL_ZERO_TERMINATED);
    curl_mime_type(part, "text/plain; charset=utf-8");
    curl_mime_encoder(part, "quoted-printable");
    part = curl_mime_addpart(alt);
    curl_mime_data(part, m->html, CURL_ZERO_TERMINATED);
    curl_mime_type(part, "text/html; charset=utf-8");
    curl_mime_encoder(part, "quoted-printable");
    part = curl_mime_addpart(mime);
    curl_mime_subparts(part, alt);
    alt = NULL; /* owned by mime now */
    curl_mime_type(part, "multipart/alternative");
    ph = curl_slist_append(NULL, "Content-Disposition: inline");
    curl_mime_headers(part, ph, 1);
    ph = NULL;

    curl_easy_setopt(c, CURLOPT_URL, cfg->smtp_url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    curl_easy_setopt(c, CURLOPT_MAIL_FROM, env_from);
    curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hs);
    curl_easy_setopt(c, CURLOPT_MIMEPOST, mime);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    if (cfg->smtp_user && *cfg->smtp_user) {
        if (cfg->smtp_password_file && *cfg->smtp_password_file) {
            password = file_read(cfg->smtp_password_file, 4096, NULL);
            if (!password) {
                snprintf(err, errlen, "cannot read [notify] smtp_password_file");
                goto done;
            }
            password[strcspn(password, "\r\n")] = 0;
        }
        curl_easy_setopt(c, CURLOPT_USERNAME, cfg->smtp_user);
        curl_easy_setopt(c, CURLOPT_PASSWORD, password ? password : "");
        /* credentials never cross the network in clear: STARTTLS is
         * required, except to a relay on this host */
        if (strncasecmp(cfg->smtp_url, "smtps:", 6) && !smtp_host_is_loopback(cfg->smtp_url))
            curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
    } else {
        curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_TRY);
    }
    CURLcode rc = curl_easy_perform(c);
    if (rc != CURLE_OK)
        snprintf(err, errlen, "SMTP: %s", curl_easy_strerror(rc));
    else
        out = 0;
done:
    if (password) {
        memset(password, 0, strlen(password));
        free(password);
    }
    free(to_hdr);
    curl_slist_free_all(rcpt);
    curl_slist_free_all(hs);
    curl_mime_free(alt);
    curl_mime_free(mime);
    curl_easy_cleanup(c);
    return out;
}

#include "notify/webhook.h"

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "http/server.h"
#include "util/hex.h"

int webhook_url_check(const char *url, char *why, size_t whylen)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL;
    int rc = -1;
    if (!u)
        snprintf(why, whylen, "out of memory");
    else if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
             curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
             curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
        snprintf(why, whylen, "not an absolute http(s) URL");
    else if (strcasecmp(scheme, "https") && strcasecmp(scheme, "http"))
        snprintf(why, whylen, "the scheme must be https");
    else if (!strcasecmp(scheme, "http")) {
        size_t hl = strlen(host);
        char bare[256];
        /* curl gives IPv6 hosts in brackets */
        if (hl > 2 && host[0] == '[' && hl - 2 < sizeof bare)
            snprintf(bare, sizeof bare, "%.*s", (int)(hl - 2), host + 1);
        else
            snprintf(bare, sizeof bare, "%s", host);
        if (server_is_loopback(bare))
            rc = 0;
        else
            snprintf(why, whylen, "the scheme must be https (http only to loopback)");
    } else
        rc = 0;
    if (rc == 0 && strchr(url, '#')) {
        rc = -1;
        snprintf(why, whylen, "a fragment is not allowed");
    }
    curl_free(scheme);
    curl_free(host);
    curl_url_cleanup(u);
    return rc;
}

void webhook_signature(const char *secret, long long t, const char *body,
                       size_t len, char *out, size_t outlen)
{
    char ts[24];
    int tl = snprintf(ts, sizeof ts, "%lld.", t);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned maclen = 0;
    EVP_MAC *m = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *ctx = m ? EVP_MAC_CTX_new(m) : NULL;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string("digest", (char *)"SHA256", 0),
        OSSL_PARAM_construct_end()};
    size_t ml = 0;
    if (ctx && EVP_MAC_init(ctx, (const unsigned char *)secret, strlen(secret), params) &&
        EVP_MAC_update(ctx, (const unsigned char *)ts, (size_t)tl) &&
        EVP_MAC_update(ctx, (const unsigned char *)body, len) &&
        EVP_MAC_final(ctx, mac, &ml, sizeof mac))
        maclen = (unsigned)ml;
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(m);
    char hex[2 * EVP_MAX_MD_SIZE + 1];
    hex_encode(mac, maclen, hex);
    snprintf(out, outlen, "t=%lld,v1=%s", t, hex);
}

static size_t discard(char *p, size_t s, size_t n, void *u)
{
    (void)p;
    (void)u;
    return s * n;
}

int webhook_post(const char *url, const char *secret, const char *notice_id,
                 const char *event, const char *body, long *http_status,
                 char *err, size_t errlen)
{
    *http_status = 0;
    if (webhook_url_check(url, err, errlen))
        return -1;
    CURL *c = curl_easy_init();
    if (!c) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    size_t len = strlen(body);
    char sig[128], h_sig[160], h_id[96], h_ev[96];
    webhook_signature(secret, (long long)time(NULL), body, len, sig, sizeof sig);
    snprintf(h_sig, sizeof h_sig, "Troth-Signature: %s", sig);
    snprintf(h_id, sizeof h_id, "Troth-Delivery: %s", notice_id);
    snprintf(h_ev, sizeof h_ev, "Troth-Event: %s", event);
    struct curl_slist *hs = NULL;
    hs = curl_slist_append(hs, "Content-Type: application/json");
    hs = curl_slist_append(hs, "Expect:");
    hs = curl_slist_append(hs, h_sig);
    hs = curl_slist_append(hs, h_id);
    hs = curl_slist_append(hs, h_ev);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 5L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hs);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)len);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "troth-webhook/1");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    CURLcode rc = curl_easy_perform(c);
    int out = -1;
    if (rc != CURLE_OK) {
        snprintf(err, errlen, "%s", curl_easy_strerror(rc));
    } else {
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, http_status);
        if (*http_status >= 200 && *http_status < 300)
            out = 0;
        else
            snprintf(err, errlen, "HTTP %ld%s", *http_status,
                     *http_status >= 300 && *http_status < 400 ? " (redirects are not followed)"
                                                              : "");
    }
    curl_slist_free_all(hs);
    curl_easy_cleanup(c);
    return out;
}

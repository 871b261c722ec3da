#include "util/validate.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

const char *const uri_default_schemes[] = {"https", "http", "urn", "did", NULL};

static int fail(char *why, size_t whylen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(char *why, size_t whylen, const char *fmt, ...)
{
    if (why && whylen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, whylen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

bool npi_valid(const char *s)
{
    if (!s || strlen(s) != 10)
        return false;
    for (int i = 0; i < 10; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    /* Luhn over "80840" + 9 digits: double every second digit from the
     * right of the 9, starting with the rightmost; the prefix adds 24. */
    int sum = 24;
    for (int i = 8, dbl = 1; i >= 0; i--, dbl ^= 1) {
        int d = s[i] - '0';
        if (dbl) {
            d *= 2;
            if (d > 9)
                d -= 9;
        }
        sum += d;
    }
    int check = (10 - sum % 10) % 10;
    return check == s[9] - '0';
}

/* ---- URIs ---- */

static bool is_unreserved(unsigned char c)
{
    return isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

static bool is_sub_delim(unsigned char c)
{
    return c && strchr("!$&'()*+,;=", c) != NULL;
}

static bool is_uri_char(unsigned char c)
{
    return c < 0x80 && (is_unreserved(c) || is_sub_delim(c) ||
                        (c && strchr(":/?#[]@%", c) != NULL));
}

static bool scheme_allowed(const char *s, size_t n, const char *const *schemes)
{
    for (size_t i = 0; schemes[i]; i++)
        if (strlen(schemes[i]) == n && strncasecmp(s, schemes[i], n) == 0)
            return true;
    return false;
}

/* Checks "//authority" starting at p (just after the "//"); end is where the
 * authority stops. */
static int check_authority(const char *p, const char *end, bool web,
                           char *why, size_t whylen)
{
    const char *at = memchr(p, '@', (size_t)(end - p));
    if (at) {
        if (web)
            return fail(why, whylen,
                        "user information (\"…@\") is not allowed in an "
                        "http(s) URI");
        p = at + 1;
    }
    const char *host = p, *host_end;
    if (*p == '[') {
        const char *close = memchr(p, ']', (size_t)(end - p));
        if (!close || close == p + 1)
            return fail(why, whylen, "unterminated or empty IP literal");
        for (const char *q = p + 1; q < close; q++)
            if (!(isxdigit((unsigned char)*q) || *q == ':' || *q == '.'))
                return fail(why, whylen, "invalid character in IP literal");
        host_end = close + 1;
        if (host_end < end && *host_end != ':')
            return fail(why, whylen, "unexpected text after IP literal");
    } else {
        const char *colon = memchr(p, ':', (size_t)(end - p));
        host_end = colon ? colon : end;
        for (const char *q = host; q < host_end; q++) {
            unsigned char c = (unsigned char)*q;
            if (c == '%')
                return fail(why, whylen,
                            "the host holds a percent-escape; Go's crypto/x509 "
                            "then refuses the whole certificate: write the "
                            "host in plain ASCII (IDNA A-labels for others)");
            if (!(is_unreserved(c) || is_sub_delim(c)))
                return fail(why, whylen, "invalid character '%c' in host", c);
        }
        /* Go's crypto/x509 refuses a certificate whose SAN URI host has an
         * empty label: a trailing dot (absolute name), a leading dot, ".." */
        if (host_end > host &&
            (host[0] == '.' || host_end[-1] == '.' ||
             memmem(host, (size_t)(host_end - host), "..", 2)))
            return fail(why, whylen,
                        "the host has an empty label (a leading or trailing "
                        "dot, or \"..\"); Go's crypto/x509 then refuses the "
                        "whole certificate");
    }
    if (web && host_end == host)
        return fail(why, whylen, "the URI has no host");
    if (host_end < end) { /* ":port" */
        const char *port = host_end + 1;
        if (port == end)
            return fail(why, whylen, "empty port");
        long v = 0;
        for (const char *q = port; q < end; q++) {
            if (!isdigit((unsigned char)*q))
                return fail(why, whylen, "the port must be digits");
            v = v * 10 + (*q - '0');
            if (v > 65535)
                break;
        }
        if (v < 1 || v > 65535)
            return fail(why, whylen, "the port must be from 1 to 65535");
    }
    return 0;
}

/* fragment = *( pchar / "/" / "?" ) (RFC 3986 §3.5), percent-escapes
 * already checked; not empty. */
static int check_fragment(const char *f, char *why, size_t whylen)
{
    if (!*f)
        return fail(why, whylen, "the fragment after '#' is empty");
    for (const char *q = f; *q; q++) {
        unsigned char c = (unsigned char)*q;
        if (!(is_unreserved(c) || is_sub_delim(c) || c == '%' || c == ':' ||
              c == '@' || c == '/' || c == '?'))
            return fail(why, whylen,
                        "'%c' is not allowed in a fragment (RFC 3986 section "
                        "3.5); percent-encode it",
                        c);
    }
    return 0;
}

int uri_check(const char *s, const char *const *schemes, char *why,
              size_t whylen)
{
    return uri_check_opts(s, schemes, 0, why, whylen);
}

int uri_check_opts(const char *s, const char *const *schemes, unsigned flags,
                   char *why, size_t whylen)
{
    if (!schemes)
        schemes = uri_default_schemes;
    if (!s || !*s)
        return fail(why, whylen, "the URI is empty");
    size_t len = strlen(s);
    if (len > URI_MAX)
        return fail(why, whylen, "the URI is longer than %d bytes", URI_MAX);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= 0x20 || c == 0x7f)
            return fail(why, whylen,
                        "the URI contains whitespace or a control character "
                        "at byte %zu",
                        i);
        if (c == '#' && !(flags & URI_FRAGMENT_OK))
            return fail(why, whylen, "%s",
                        flags & URI_FETCHED
                            ? "a server or idp URI is a base URL that clients "
                              "fetch, and a fragment (\"#…\") is never sent "
                              "to a server (RFC 3986 section 3.5): leave it out"
                            : "the URI has a fragment (\"#…\"), which is not "
                              "allowed here");
        if (!is_uri_char(c))
            return fail(why, whylen,
                        "the URI contains a character not allowed by RFC "
                        "3986 at byte %zu; percent-encode it",
                        i);
        if (c == '%' && !(isxdigit((unsigned char)s[i + 1]) &&
                          isxdigit((unsigned char)s[i + 2])))
            return fail(why, whylen, "malformed percent-escape at byte %zu", i);
    }
    const char *hash = strchr(s, '#');
    if (hash && check_fragment(hash + 1, why, whylen))
        return -1;
    char body[URI_MAX + 1]; /* the URI before its fragment */
    size_t blen = hash ? (size_t)(hash - s) : len;
    memcpy(body, s, blen);
    body[blen] = 0;
    s = body;
    /* scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":" */
    size_t n = 0;
    if (!isalpha((unsigned char)s[0]))
        return fail(why, whylen, "the URI is not absolute (no scheme)");
    while (isalnum((unsigned char)s[n]) || s[n] == '+' || s[n] == '-' ||
           s[n] == '.')
        n++;
    if (s[n] != ':')
        return fail(why, whylen, "the URI is not absolute (no scheme)");
    if (!scheme_allowed(s, n, schemes)) {
        char list[256] = "";
        for (size_t i = 0; schemes[i]; i++) {
            size_t l = strlen(list);
            snprintf(list + l, sizeof list - l, "%s%s", i ? ", " : "",
                     schemes[i]);
        }
        return fail(why, whylen, "the scheme \"%.*s\" is not allowed (allowed: %s)",
                    (int)(n > 32 ? 32 : n), s, list);
    }
    const char *rest = s + n + 1;
    if (!*rest)
        return fail(why, whylen, "the URI is empty after its scheme");
    bool web = (n == 5 && !strncasecmp(s, "https", 5)) ||
               (n == 4 && !strncasecmp(s, "http", 4));
    if (n == 3 && !strncasecmp(s, "urn", 3)) {
        /* urn:NID:NSS, NID = alphanum 1..32 with inner hyphens (RFC 8141) */
        const char *colon = strchr(rest, ':');
        size_t nid = colon ? (size_t)(colon - rest) : 0;
        if (!colon || nid < 1 || nid > 32 || rest[0] == '-' ||
            rest[nid - 1] == '-')
            return fail(why, whylen, "a URN must look like urn:NID:NSS");
        for (size_t i = 0; i < nid; i++)
            if (!isalnum((unsigned char)rest[i]) && rest[i] != '-')
                return fail(why, whylen, "a URN must look like urn:NID:NSS");
        if (!colon[1] || strchr("/?", colon[1]))
            return fail(why, whylen, "the URN has an empty NSS");
        return 0;
    }
    if (n == 3 && !strncasecmp(s, "did", 3)) {
        const char *colon = strchr(rest, ':');
        if (!colon || colon == rest || !colon[1])
            return fail(why, whylen, "a DID must look like did:method:id");
        for (const char *q = rest; q < colon; q++)
            if (!(islower((unsigned char)*q) || isdigit((unsigned char)*q)))
                return fail(why, whylen,
                            "a DID method is lowercase letters and digits");
        return 0;
    }
    if (rest[0] == '/' && rest[1] == '/') {
        const char *a = rest + 2;
        const char *end = a + strcspn(a, "/?");
        if (check_authority(a, end, web, why, whylen))
            return -1;
        rest = end;
    } else if (web) {
        return fail(why, whylen, "an http(s) URI needs \"//host\" after the "
                                 "scheme");
    }
    if (strpbrk(rest, "[]"))
        return fail(why, whylen, "'[' and ']' are only allowed around an IP "
                                 "literal host");
    return 0;
}

size_t utf8_length(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xc0) != 0x80;
    return n;
}

/* ---- e-mail ---- */

int email_check(const char *s, char *why, size_t whylen)
{
    if (!s || !*s)
        return fail(why, whylen, "the e-mail address is empty");
    size_t len = strlen(s);
    if (len > EMAIL_MAX)
        return fail(why, whylen, "the e-mail address is longer than %d bytes",
                    EMAIL_MAX);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= 0x20 || c == 0x7f)
            return fail(why, whylen, "the e-mail address contains whitespace "
                                     "or a control character");
    }
    const char *at = strchr(s, '@');
    if (!at || strchr(at + 1, '@'))
        return fail(why, whylen, "an e-mail address has exactly one '@'");
    size_t local = (size_t)(at - s);
    if (local == 0 || local > 64)
        return fail(why, whylen, "the part before '@' must be 1 to 64 bytes");
    for (size_t i = 0; i < local; i++)
        if (strchr("()<>[]:;,\\\"", s[i]))
            return fail(why, whylen, "'%c' is not allowed in an e-mail address",
                        s[i]);
    if (s[0] == '.' || s[local - 1] == '.' || strstr(s, ".."))
        return fail(why, whylen, "misplaced '.' in the e-mail address");
    const char *d = at + 1;
    if (!strchr(d, '.'))
        return fail(why, whylen, "the e-mail domain needs a dot");
    size_t label = 0;
    for (const char *q = d;; q++) {
        if (*q == '.' || !*q) {
            if (label == 0 || q[-1] == '-' || label > 63)
                return fail(why, whylen, "the e-mail domain has an empty, "
                                         "over-long or badly hyphenated label");
            if (!*q)
                break;
            label = 0;
            continue;
        }
        if (!isalnum((unsigned char)*q) && *q != '-')
            return fail(why, whylen, "'%c' is not allowed in an e-mail domain",
                        *q);
        if (label == 0 && *q == '-')
            return fail(why, whylen, "the e-mail domain has an empty, "
                                     "over-long or badly hyphenated label");
        label++;
    }
    return 0;
}

/* ---- look-alikes ---- */

unsigned uri_kind_flags(const char *kind)
{
    return kind && !strcmp(kind, "client") ? URI_FRAGMENT_OK : URI_FETCHED;
}

static void base_key(char *out);

int uri_lookalike_key(const char *uri, char *out, size_t outlen)
{
    size_t len = strlen(uri);
    if (outlen < len + 1)
        return -1;
    memcpy(out, uri, len + 1);
    /* the URI before its fragment, then "#" and the fragment in lowercase:
     * a fragment differing only in case is a look-alike */
    char *hash = strchr(out, '#');
    char frag[URI_MAX + 1] = "";
    if (hash) {
        snprintf(frag, sizeof frag, "%s", hash);
        *hash = 0;
        for (char *p = frag; *p; p++)
            *p = (char)tolower((unsigned char)*p);
    }
    base_key(out);
    size_t bl = strlen(out);
    memcpy(out + bl, frag, strlen(frag) + 1); /* never longer than the URI */
    return 0;
}

/* The key of a URI without fragment, in place. */
static void base_key(char *out)
{
    size_t len = strlen(out);
    /* uppercase hex digits of percent-escapes everywhere */
    for (size_t i = 0; i + 2 < len + 1; i++)
        if (out[i] == '%' && isxdigit((unsigned char)out[i + 1]) &&
            isxdigit((unsigned char)out[i + 2])) {
            out[i + 1] = (char)toupper((unsigned char)out[i + 1]);
            out[i + 2] = (char)toupper((unsigned char)out[i + 2]);
            i += 2;
        }
    char *colon = strchr(out, ':');
    if (!colon)
        return;
    for (char *p = out; p < colon; p++)
        *p = (char)tolower((unsigned char)*p);
    size_t slen = (size_t)(colon - out);
    char *path = colon + 1;
    if (path[0] == '/' && path[1] == '/') {
        char *a = path + 2;
        char *end = a + strcspn(a, "/?#");
        char *host = a;
        char *at = memchr(a, '@', (size_t)(end - a));
        if (at)
            host = at + 1;
        char *host_end = end;
        if (*host == '[') {
            char *close = memchr(host, ']', (size_t)(end - host));
            if (close)
                host_end = close + 1;
        } else {
            char *c = memchr(host, ':', (size_t)(end - host));
            if (c)
                host_end = c;
        }
        for (char *p = host; p < host_end; p++)
            *p = (char)tolower((unsigned char)*p);
        /* the default port of the scheme, spelled out */
        const char *dflt = NULL;
        if (slen == 5 && !strncmp(out, "https", 5))
            dflt = ":443";
        else if (slen == 4 && !strncmp(out, "http", 4))
            dflt = ":80";
        if (dflt && (size_t)(end - host_end) == strlen(dflt) &&
            !strncmp(host_end, dflt, strlen(dflt))) {
            memmove(host_end, end, strlen(end) + 1);
            end = host_end;
        }
        path = end;
    }
    /* trailing slashes of the path (before any query) */
    char *qe = path + strcspn(path, "?#");
    char *p = qe;
    while (p > path && p[-1] == '/')
        p--;
    if (p < qe)
        memmove(p, qe, strlen(qe) + 1);
}

bool uri_lookalikes(const char *a, const char *b)
{
    if (!strcmp(a, b))
        return false;
    char ka[URI_MAX + 1], kb[URI_MAX + 1];
    if (uri_lookalike_key(a, ka, sizeof ka) || uri_lookalike_key(b, kb, sizeof kb))
        return false;
    if (!strcmp(ka, kb))
        return true;
    /* the same URI with and without a fragment */
    size_t la = strcspn(ka, "#"), lb = strcspn(kb, "#");
    return la == lb && !strncmp(ka, kb, la) && (!ka[la] || !kb[lb]);
}

bool digits_valid(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n == 0 || n > max)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

bool id_valid(const char *s) { return digits_valid(s, 18); }

bool utf8_valid(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned c = *p++, n, min, cp;
        if (c < 0x80)
            continue;
        if (c >= 0xc2 && c <= 0xdf)
            n = 1, min = 0x80, cp = c & 0x1f;
        else if (c >= 0xe0 && c <= 0xef)
            n = 2, min = 0x800, cp = c & 0x0f;
        else if (c >= 0xf0 && c <= 0xf4)
            n = 3, min = 0x10000, cp = c & 0x07;
        else
            return false;
        for (unsigned i = 0; i < n; i++, p++) {
            if ((*p & 0xc0) != 0x80)
                return false;
            cp = cp << 6 | (*p & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
    }
    return true;
}

#include "util/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static size_t stamp(char *buf, size_t len)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
    int m = snprintf(buf + n, len - n, ".%03ldZ ", ts.tv_nsec / 1000000);
    return n + (m > 0 ? (size_t)m : 0);
}

static void emit(char *buf, size_t n, size_t cap)
{
    if (n >= cap - 1)
        n = cap - 2;
    buf[n++] = '\n';
    ssize_t w = write(STDERR_FILENO, buf, n);
    (void)w;
}

/* Copies s into out with control bytes and DEL (in a quoted field also
 * quote and backslash) written as \xNN: whatever a client or the database
 * put in a text stays on its event's line and cannot pose as another. */
static size_t escape(const char *s, char *out, size_t cap, bool quoted)
{
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p && o + 5 < cap; p++) {
        if (*p < 0x20 || *p == 0x7f || (quoted && (*p == '"' || *p == '\\')))
            o += (size_t)snprintf(out + o, cap - o, "\\x%02x", *p);
        else
            out[o++] = (char)*p;
    }
    out[o] = 0;
    return o;
}

void log_msg(const char *fmt, ...)
{
    char raw[1024], buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(raw, sizeof raw, fmt, ap);
    va_end(ap);
    size_t n = stamp(buf, sizeof buf);
    n += escape(raw, buf + n, sizeof buf - n, false);
    emit(buf, n, sizeof buf);
}

void log_access(const char *id, const char *method, const char *path,
                unsigned status, size_t bytes, long long us, bool complete)
{
    char buf[768];
    size_t n = stamp(buf, sizeof buf);
    /* the method and path are client input */
    char safe[300], meth[64];
    escape(path, safe, sizeof safe, true);
    escape(method, meth, sizeof meth, false);
    int m = snprintf(buf + n, sizeof buf - n, "%s %s \"%s\" %u %zu %lldus%s", id,
                     meth, safe, status, bytes, us,
                     complete ? "" : " aborted");
    n += m > 0 ? (size_t)m : 0;
    emit(buf, n, sizeof buf);
}

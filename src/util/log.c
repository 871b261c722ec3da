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

void log_msg(const char *fmt, ...)
{
    char buf[1024];
    size_t n = stamp(buf, sizeof buf);
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(buf + n, sizeof buf - n, fmt, ap);
    va_end(ap);
    n += m > 0 ? (size_t)m : 0;
    emit(buf, n, sizeof buf);
}

void log_access(const char *id, const char *method, const char *path,
                unsigned status, size_t bytes, long long us, bool complete)
{
    char buf[768];
    size_t n = stamp(buf, sizeof buf);
    /* the path is client input: print it with control bytes escaped */
    char safe[300];
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)path;
         *p && o + 5 < sizeof safe; p++) {
        if (*p < 0x20 || *p == 0x7f || *p == '"' || *p == '\\')
            o += (size_t)snprintf(safe + o, sizeof safe - o, "\\x%02x", *p);
        else
            safe[o++] = (char)*p;
    }
    safe[o] = 0;
    int m = snprintf(buf + n, sizeof buf - n, "%s %s \"%s\" %u %zu %lldus%s", id,
                     method, safe, status, bytes, us,
                     complete ? "" : " aborted");
    n += m > 0 ? (size_t)m : 0;
    emit(buf, n, sizeof buf);
}

/* Log lines to stderr, one write(2) each so threads never interleave. */
#ifndef TROTH_LOG_H
#define TROTH_LOG_H
#include <stdbool.h>
#include <stddef.h>

/* "2026-11-28T22:50:01.123Z message" */
void log_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* One access-log line: time, request id, method, path, status, bytes, µs. */
void log_access(const char *id, const char *method, const char *path,
                unsigned status, size_t bytes, long long us, bool complete);

#endif

/* Files compiled into the binary by scripts/embed: SQL migrations and UI assets. */
#ifndef TROTH_EMBEDDED_H
#define TROTH_EMBEDDED_H
#include <stddef.h>

struct embedded_file {
    const char *name; /* file name (migrations) or path below assets/ */
    const char *data; /* NUL-terminated */
    size_t len;       /* without the terminating NUL */
};

extern const struct embedded_file embedded_migrations[];
extern const unsigned embedded_migrations_count;
extern const struct embedded_file embedded_assets[];
extern const unsigned embedded_assets_count;

#endif

#include "util/file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *file_read(const char *path, size_t max, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = malloc(max + 2);
    size_t n = buf ? fread(buf, 1, max + 1, f) : 0;
    int failed = !buf ? ENOMEM : ferror(f) ? EIO : n > max ? EFBIG : 0;
    fclose(f);
    if (failed) {
        free(buf);
        errno = failed;
        return NULL;
    }
    buf[n] = 0;
    if (len)
        *len = n;
    return buf;
}

/* The first line of path, min to max bytes; what names the file in errors. */
static char *first_line_read(const char *path, size_t min, size_t max, const char *what,
                             const char *unset, char *why, size_t whylen)
{
    /* the whole file, so that a long first line is seen, not cut */
    size_t n = 0;
    char *buf = path ? file_read(path, max + 2 + 64 * 1024, &n) : NULL;
    if (!buf) {
        if (path)
            snprintf(why, whylen, "cannot read the %s file %s: %s", what, path,
                     strerror(errno));
        else
            snprintf(why, whylen, "no %s file is set (%s)", what, unset);
        return NULL;
    }
    size_t line = strcspn(buf, "\r\n");
    char *pass = NULL;
    if (line < min || line > max)
        snprintf(why, whylen,
                 "the first line of the %s file %s must be %zu to %zu bytes "
                 "(it is %zu)", what, path, min, max, line);
    else if (!(pass = strndup(buf, line)))
        snprintf(why, whylen, "out of memory");
    explicit_bzero(buf, n);
    free(buf);
    return pass;
}

char *passphrase_read(const char *path, char *why, size_t whylen)
{
    return first_line_read(path, PASSPHRASE_MIN, PASSPHRASE_MAX, "passphrase",
                           "[ca] key_passphrase_file", why, whylen);
}

char *pin_read(const char *path, char *why, size_t whylen)
{
    return first_line_read(path, PIN_MIN, PIN_MAX, "PIN", "[pkcs11] pin_file", why, whylen);
}

void passphrase_free(char *pass)
{
    if (pass) {
        explicit_bzero(pass, strlen(pass));
        free(pass);
    }
}

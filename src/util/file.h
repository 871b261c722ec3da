/* Reading a whole small file (configuration, PEM, CSR). */
#ifndef TROTH_FILE_H
#define TROTH_FILE_H
#include <stddef.h>

/* Reads the file into a NUL-terminated buffer (free it); *len (if not NULL)
 * gets its size. Returns NULL with errno set when it cannot be read, or
 * with errno EFBIG when it is larger than max bytes: never a truncated
 * copy. */
char *file_read(const char *path, size_t max, size_t *len);

#endif

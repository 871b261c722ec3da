/* Reading a whole small file (configuration, PEM, CSR), and the one reader
 * of passphrase files. */
#ifndef TROTH_FILE_H
#define TROTH_FILE_H
#include <stddef.h>

/* Reads the file into a NUL-terminated buffer (free it); *len (if not NULL)
 * gets its size. Returns NULL with errno set when it cannot be read, or
 * with errno EFBIG when it is larger than max bytes: never a truncated
 * copy. */
char *file_read(const char *path, size_t max, size_t *len);

#define PASSPHRASE_MIN 16
#define PASSPHRASE_MAX 4096

/* A passphrase file's first line, without its line end: the one rule for
 * every reader (`troth init`, `ca import`, the signer). It must be
 * PASSPHRASE_MIN to PASSPHRASE_MAX bytes; a longer line is refused, never
 * cut. Returns a malloc'd string (free with passphrase_free) or NULL with
 * the reason in why. */
char *passphrase_read(const char *path, char *why, size_t whylen);

/* Wipes and frees a passphrase (NULL is fine). */
void passphrase_free(char *pass);

/* A PKCS#11 token user's PIN: the first line of path, PIN_MIN to PIN_MAX
 * bytes ([pkcs11] pin_file). Free with passphrase_free. */
#define PIN_MIN 4
#define PIN_MAX 255
char *pin_read(const char *path, char *why, size_t whylen);

#endif

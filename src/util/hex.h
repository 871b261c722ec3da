/* Lowercase hexadecimal encoding and decoding. */
#ifndef TROTH_HEX_H
#define TROTH_HEX_H
#include <stddef.h>

/* Writes 2*len hex digits and a NUL into out. */
void hex_encode(const unsigned char *in, size_t len, char *out);

/* Decodes an even-length hex string (either case) into out (max outlen
 * bytes). Returns the byte count, or -1 if malformed or too long. */
long hex_decode(const char *in, unsigned char *out, size_t outlen);

#endif

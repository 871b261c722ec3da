/* Bearer secrets (API tokens, sessions, invitations): random, shown once,
 * stored only as SHA-256. */
#ifndef TROTH_TOKEN_H
#define TROTH_TOKEN_H
#include <stddef.h>

#define TOKEN_MAX 64
#define TOKEN_HASH_PARAM 67 /* "\\x" + 64 hex digits + NUL */

/* prefix + 43 base64url characters of 32 random bytes. */
void token_new(const char *prefix, char *out, size_t outlen);

/* The SHA-256 of a token as a bytea text parameter ("\x<hex>"). */
void token_hash_param(const char *token, char out[TOKEN_HASH_PARAM]);

#endif

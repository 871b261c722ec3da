/* Passwords: argon2id hashes (libargon2), policy, generation. */
#ifndef TROTH_PASSWORD_H
#define TROTH_PASSWORD_H
#include <stdbool.h>
#include <stddef.h>

#define PASSWORD_MIN 12
#define PASSWORD_MAX 1024
#define PASSWORD_HASH_MAX 256

/* Sets the argon2id cost: iterations, memory in KiB, lanes. */
void password_configure(unsigned t_cost, unsigned m_cost_kib, unsigned lanes);

/* Hashes pw into an encoded argon2id string. Returns 0, or -1. */
int password_hash(const char *pw, char *out, size_t outlen);

/* True if pw matches the encoded hash (constant-time compare inside
 * libargon2). A NULL hash runs a dummy verification and returns false, so
 * unknown users cost the same time as wrong passwords. */
bool password_verify(const char *encoded, const char *pw);

/* The global bound on argon2 work for callers who are not yet known
 * (sign-in, password change): at most `concurrency` hashes at once, and at
 * most `queue` more waiting; beyond that password_gate_enter refuses at
 * once (the caller answers 429 without hashing). Call before threads. */
void password_gate_configure(unsigned concurrency, unsigned queue);

/* Takes a hashing slot, waiting in the queue if need be. false: busy,
 * nothing taken. */
bool password_gate_enter(void);
void password_gate_leave(void);

/* NULL if pw is acceptable, else why not (a sentence). */
const char *password_policy(const char *pw);

/* A random password of 24 characters from an unambiguous alphabet. */
void password_generate(char out[25]);

#endif

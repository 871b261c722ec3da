/* Forward-only schema migrations, embedded in the binary (sql/migrations). */
#ifndef TROTH_MIGRATE_H
#define TROTH_MIGRATE_H
#include <stddef.h>
#include <stdio.h>

struct db;

/* Applies pending migrations in order, each in its own transaction, under an
 * advisory lock; refuses if an applied migration's checksum changed or the
 * database has one this binary does not know. Progress goes to `out`.
 * Returns 0, or -1 with err filled. */
int migrate_apply(struct db *db, FILE *out, char *err, size_t errlen);

/* Checks the schema is exactly current. Returns 0; 1 with err naming the
 * pending/unknown/changed migration; -1 with err when the database is down. */
int migrate_check(struct db *db, char *err, size_t errlen);

#endif

/* The one error carrier: a problem kind from the catalogue
 * (util/problem_kinds.h), the request field it is about and a human
 * sentence. The HTTP layer answers it as RFC 9457 problem+json with the
 * kind's status and title; lower layers fill one and hand it up. */
#ifndef TROTH_UTIL_PROBLEM_H
#define TROTH_UTIL_PROBLEM_H

#include <stdbool.h>

enum problem_kind {
    PK_NONE = 0, /* no problem (a cleared struct problem) */
#define X(ident, status, kind, title) ident,
#include "util/problem_kinds.h"
#undef X
    PK_COUNT
};

struct problem {
    unsigned status;        /* the kind's status (0 when none) */
    enum problem_kind kind; /* PK_NONE when none */
    const char *field;      /* the request field it is about, or NULL (static) */
    char detail[512];       /* human sentence */
};

/* The kind's HTTP status, "kind" name and title (500, "internal",
 * "Internal" for PK_NONE or out of range). */
unsigned problem_kind_status(enum problem_kind k);
const char *problem_kind_name(enum problem_kind k);
const char *problem_kind_title(enum problem_kind k);

/* Fills p (may be NULL) with kind k, its status, field (static or NULL) and
 * a printf-style detail; returns -1 so a failure path can return it. */
int problem_set(struct problem *p, enum problem_kind k, const char *field,
                const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Resets p (may be NULL) to "no problem". */
void problem_clear(struct problem *p);

/* Whether p holds a problem. */
bool problem_is_set(const struct problem *p);

#endif

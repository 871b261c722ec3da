/* The problem catalogue as a table, and the carrier's helpers. */
#include "util/problem.h"

#include <stdarg.h>
#include <stdio.h>

static const struct {
    unsigned status;
    const char *kind, *title;
} table[PK_COUNT] = {
    [PK_NONE] = {500, "internal", "Internal error"},
#define X(ident, st, k, t) [ident] = {st, k, t},
#include "util/problem_kinds.h"
#undef X
};

static enum problem_kind valid(enum problem_kind k)
{
    return (unsigned)k < PK_COUNT ? k : PK_NONE;
}

unsigned problem_kind_status(enum problem_kind k)
{
    return table[valid(k)].status;
}

const char *problem_kind_name(enum problem_kind k)
{
    return table[valid(k)].kind;
}

const char *problem_kind_title(enum problem_kind k)
{
    return table[valid(k)].title;
}

int problem_set(struct problem *p, enum problem_kind k, const char *field,
                const char *fmt, ...)
{
    if (p == NULL)
        return -1;
    p->kind = valid(k);
    p->status = problem_kind_status(p->kind);
    p->field = field;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->detail, sizeof p->detail, fmt, ap);
    va_end(ap);
    return -1;
}

void problem_clear(struct problem *p)
{
    if (p == NULL)
        return;
    p->status = 0;
    p->kind = PK_NONE;
    p->field = NULL;
    p->detail[0] = '\0';
}

bool problem_is_set(const struct problem *p)
{
    return p != NULL && p->kind != PK_NONE;
}

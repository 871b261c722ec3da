/* Keyset pagination: `limit` and an opaque `cursor` in, `items` and
 * `next_cursor` out. Queries select one row more than the limit, ordered by
 * an id in column 0, and take `after` as the id to continue from. */
#ifndef TROTH_PAGING_H
#define TROTH_PAGING_H
#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>

#include "util/validate.h" /* id_valid() */

struct req;

struct page {
    long limit;
    char limit_plus_one[24]; /* the query's LIMIT parameter */
    char after[24];          /* the query's keyset parameter */
};

/* Reads limit (1..200, default 50) and cursor; `desc` lists newest first.
 * Replies 400 naming the field and returns -1 on bad input. */
int page_parse(struct req *r, struct page *pg, bool desc);

/* {items: [row(res, i)...], next_cursor: string or null}. */
json_t *page_result(const struct page *pg, PGresult *res,
                    json_t *(*row)(PGresult *res, int i));

#endif

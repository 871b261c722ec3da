#include "api/paging.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"
#include "util/validate.h"

int page_parse(struct req *r, struct page *pg, bool desc)
{
    const char *l = req_query(r, "limit"), *c = req_query(r, "cursor");
    pg->limit = 50;
    if (l) {
        if (!digits_valid(l, 3) || atol(l) < 1 || atol(l) > 200) {
            reply_problem(r, PK_INVALID_FIELD, "limit",
                          "limit must be a whole number from 1 to 200");
            return -1;
        }
        pg->limit = atol(l);
    }
    snprintf(pg->limit_plus_one, sizeof pg->limit_plus_one, "%ld", pg->limit + 1);
    if (c) {
        if (!digits_valid(c, 18)) {
            reply_problem(r, PK_INVALID_FIELD, "cursor",
                          "cursor is not one this server gave out");
            return -1;
        }
        snprintf(pg->after, sizeof pg->after, "%s", c);
    } else {
        snprintf(pg->after, sizeof pg->after, "%s",
                 desc ? "9223372036854775807" : "0");
    }
    return 0;
}

json_t *page_result(const struct page *pg, PGresult *res,
                    json_t *(*row)(PGresult *res, int i))
{
    json_t *items = json_array();
    int n = PQntuples(res);
    int shown = n > pg->limit ? (int)pg->limit : n;
    for (int i = 0; i < shown; i++)
        json_array_append_new(items, row(res, i));
    json_t *next = n > pg->limit ? json_string(PQgetvalue(res, shown - 1, 0))
                                 : json_null();
    return json_pack("{s:o, s:o}", "items", items, "next_cursor", next);
}

#include "db/row.h"

#include <stdlib.h>

static json_t *value_of(enum row_type type, PGresult *res, int row, int col)
{
    if (PQgetisnull(res, row, col))
        return json_null();
    const char *v = PQgetvalue(res, row, col);
    switch (type) {
    case ROW_INT:
        return json_integer(strtoll(v, NULL, 10));
    case ROW_BOOL:
        return json_boolean(v[0] == 't');
    case ROW_JSON: {
        json_t *j = json_loads(v, JSON_DECODE_ANY, NULL);
        return j ? j : json_null();
    }
    case ROW_TEXT:
    case ROW_OPT:
    case ROW_TIME:
    case ROW_HIDDEN:
        break;
    }
    json_t *s = json_string(v); /* NULL if not UTF-8 */
    return s ? s : json_null();
}

void row_json_into(json_t *obj, const struct row_col *cols, size_t n,
                   PGresult *res, int row, int first)
{
    for (size_t i = 0; i < n; i++) {
        int col = first + (int)i;
        if (cols[i].type == ROW_HIDDEN ||
            (cols[i].type == ROW_OPT && PQgetisnull(res, row, col)))
            continue;
        json_object_set_new(obj, cols[i].json, value_of(cols[i].type, res, row, col));
    }
}

json_t *row_json(const struct row_col *cols, size_t n, PGresult *res, int row)
{
    json_t *o = json_object();
    row_json_into(o, cols, n, res, row, 0);
    return o;
}

/* Rows from one column list. A resource names its columns once, as an
 * X-macro of entries X(id, sql, json, type) separated by S:
 *
 *   #define THING_ROW(X, S)                              \
 *       X(THING_COL_ID, "t.id::text", "id", TEXT) S       \
 *       X(THING_COL_AT, "t.created_at", "created_at", TIME)
 *
 * and from that one list come the SELECT list (THING_ROW(ROW_SQL, ", ")),
 * the column enum callers read by name (enum { THING_ROW(ROW_ENUM, ) }) and
 * the table row_json builds the JSON from (THING_ROW(ROW_COL, )). The type
 * says both how the column is selected and how it is shown:
 *   TEXT    a string; SQL NULL is JSON null
 *   OPT     a string; SQL NULL leaves the member out
 *   TIME    a timestamptz, selected as SQL_TIME (RFC 3339, UTC); NULL: null
 *   INT     an integer
 *   BOOL    true when the text result is "t"
 *   JSON    JSON text (jsonb::text, array_to_json), parsed; NULL: null
 *   HIDDEN  selected for the callers, not shown */
#ifndef TROTH_DB_ROW_H
#define TROTH_DB_ROW_H
#include <jansson.h>
#include <libpq-fe.h>
#include <stddef.h>

#include "db/db.h"

enum row_type { ROW_TEXT, ROW_OPT, ROW_TIME, ROW_INT, ROW_BOOL, ROW_JSON, ROW_HIDDEN };

struct row_col {
    const char *json; /* the JSON member's name */
    enum row_type type;
};

#define ROW_SQL(id, sql, json, type) ROW_SQL_##type(sql)
#define ROW_SQL_TEXT(s) s
#define ROW_SQL_OPT(s) s
#define ROW_SQL_TIME(s) SQL_TIME(s)
#define ROW_SQL_INT(s) s
#define ROW_SQL_BOOL(s) s
#define ROW_SQL_JSON(s) s
#define ROW_SQL_HIDDEN(s) s
#define ROW_ENUM(id, sql, json, type) id,
#define ROW_COL(id, sql, json, type) {json, ROW_##type},

/* The JSON object of one row: the shown columns of cols[0..n) in order,
 * read from columns 0..n) of res. */
json_t *row_json(const struct row_col *cols, size_t n, PGresult *res, int row);

/* Adds the shown columns of cols[0..n) of one row to obj, read from
 * columns first..first+n) of res (a second list selected after a first). */
void row_json_into(json_t *obj, const struct row_col *cols, size_t n,
                   PGresult *res, int row, int first);

#endif

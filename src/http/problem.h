/* RFC 9457 problem details: one stable type per error kind. */
#ifndef TROTH_PROBLEM_H
#define TROTH_PROBLEM_H
#include <jansson.h>

#include "util/problem.h"

/* Builds {type, title, status, detail, field?} from the catalogue entry of
 * `kind` (util/problem_kinds.h): the type is "urn:troth:problem:<kind>",
 * title and status are the kind's. */
json_t *problem_json(enum problem_kind kind, const char *detail, const char *field);

/* The reason phrase of an HTTP status, or "Error". */
const char *http_status_title(unsigned status);

#endif

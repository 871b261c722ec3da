/* RFC 9457 problem details: one stable type per error kind. */
#ifndef TROTH_PROBLEM_H
#define TROTH_PROBLEM_H
#include <jansson.h>

/* Builds {type, title, status, detail, field?}. `kind` is a short stable name
 * such as "not-found"; the type becomes "urn:troth:problem:<kind>". */
json_t *problem_json(unsigned status, const char *kind, const char *detail,
                     const char *field);

/* The reason phrase of an HTTP status, or "Error". */
const char *http_status_title(unsigned status);

#endif

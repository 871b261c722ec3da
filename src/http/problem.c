#include "http/problem.h"

#include <stdio.h>

const char *http_status_title(unsigned status)
{
    switch (status) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 413: return "Content Too Large";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Error";
    }
}

json_t *problem_json(enum problem_kind kind, const char *detail, const char *field)
{
    char type[128];
    unsigned status = problem_kind_status(kind);
    snprintf(type, sizeof type, "urn:troth:problem:%s", problem_kind_name(kind));
    json_t *o = json_object();
    json_object_set_new(o, "type", json_string(type));
    json_object_set_new(o, "title", json_string(problem_kind_title(kind)));
    json_object_set_new(o, "status", json_integer(status));
    /* detail may carry user input; jansson refuses invalid UTF-8, so fall back */
    json_t *d = json_string(detail ? detail : http_status_title(status));
    if (!d)
        d = json_string("(detail not valid UTF-8)");
    json_object_set_new(o, "detail", d);
    if (field) {
        json_t *f = json_string(field);
        if (f)
            json_object_set_new(o, "field", f);
    }
    return o;
}

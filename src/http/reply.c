#include "http/http.h"

#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db/db.h"
#include "http/json_body.h"
#include "http/problem.h"
#include "util/log.h"

const char *req_param(const struct req *r, const char *name)
{
    const char *v = route_param(&r->params, name);
    return v ? v : "";
}

const char *req_query(const struct req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *req_header(const struct req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

static void set_response(struct req *r, unsigned status,
                         struct MHD_Response *resp, size_t len,
                         const char *content_type)
{
    if (r->resp)
        MHD_destroy_response(r->resp);
    r->resp = resp;
    r->status = status;
    r->resp_bytes = len;
    if (resp && content_type)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                                content_type);
}

void reply_bytes(struct req *r, unsigned status, const char *content_type,
                 const void *data, size_t len)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        len, (void *)data, MHD_RESPMEM_MUST_COPY);
    set_response(r, status, resp, len, content_type);
}

void reply_static(struct req *r, unsigned status, const char *content_type,
                  const void *data, size_t len)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        len, (void *)data, MHD_RESPMEM_PERSISTENT);
    set_response(r, status, resp, len, content_type);
}

void reply_shared(struct req *r, unsigned status, const char *content_type,
                  const void *data, size_t len, void (*release)(void *),
                  void *cls)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer_with_free_callback_cls(
        len, (void *)data, release, cls);
    set_response(r, status, resp, len, content_type);
}

void reply_fd(struct req *r, unsigned status, const char *content_type, int fd, size_t len)
{
    struct MHD_Response *resp = MHD_create_response_from_fd64(len, fd);
    if (!resp)
        close(fd);
    set_response(r, status, resp, len, content_type);
}

void reply_json(struct req *r, unsigned status, json_t *body)
{
    char *s = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    if (!s) {
        reply_bytes(r, 500, "application/problem+json", "{}", 2);
        return;
    }
    size_t len = strlen(s);
    struct MHD_Response *resp =
        MHD_create_response_from_buffer_with_free_callback(len, s, free);
    set_response(r, status, resp, len, "application/json");
}

static void reply_kind(struct req *r, enum problem_kind kind, const char *field,
                       const char *detail, json_t *extra)
{
    unsigned status = problem_kind_status(kind);
    json_t *p = problem_json(kind, detail, field);
    if (extra) {
        json_object_update_missing(p, extra);
        json_decref(extra);
    }
    char *s = json_dumps(p, JSON_COMPACT);
    json_decref(p);
    size_t len = s ? strlen(s) : 0;
    struct MHD_Response *resp =
        s ? MHD_create_response_from_buffer_with_free_callback(len, s, free)
          : NULL;
    set_response(r, status, resp, len, "application/problem+json");
}

void reply_problem(struct req *r, enum problem_kind kind, const char *field,
                   const char *fmt, ...)
{
    char detail[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    reply_kind(r, kind, field, detail, NULL);
}

void reply_problem_of(struct req *r, const struct problem *p)
{
    if (!problem_is_set(p)) {
        reply_kind(r, PK_INTERNAL, NULL, "internal error", NULL);
        return;
    }
    reply_kind(r, p->kind, p->field, p->detail[0] ? p->detail : "internal error", NULL);
    if (problem_kind_status(p->kind) == 503)
        reply_header(r, MHD_HTTP_HEADER_RETRY_AFTER, "5");
}

void reply_problem_with(struct req *r, enum problem_kind kind, const char *field,
                        json_t *extra, const char *fmt, ...)
{
    char detail[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    reply_kind(r, kind, field, detail, extra);
}

void reply_empty(struct req *r, unsigned status)
{
    reply_bytes(r, status, NULL, "", 0);
}

void reply_header(struct req *r, const char *name, const char *value)
{
    if (r->resp)
        MHD_add_response_header(r->resp, name, value);
}

void reply_db_unavailable(struct req *r)
{
    reply_problem(r, PK_DATABASE_UNAVAILABLE, NULL,
                  "the database is unavailable; try again shortly");
    reply_header(r, MHD_HTTP_HEADER_RETRY_AFTER, "5");
}

struct db *req_db(struct req *r)
{
    (void)r;
    return db_thread();
}

void reply_db_failure(struct req *r, int rc)
{
    if (rc == DB_UNAVAILABLE) {
        reply_db_unavailable(r);
        return;
    }
    log_msg("request %s: database error: %s", r->id, db_last_error(db_thread()));
    reply_problem(r, PK_INTERNAL, NULL,
                  "internal error; the request id is %s", r->id);
}

int req_check_body(struct req *r, const struct jfield *fields, size_t n)
{
    if (!r->json)
        r->json = json_object();
    struct json_err e;
    if (json_check(r->json, fields, n, &e) == 0)
        return 0;
    reply_problem(r, PK_INVALID_FIELD, e.field[0] ? e.field : NULL, "%s",
                  e.detail);
    return -1;
}

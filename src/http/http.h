/* What a handler sees of a request, and how it answers. */
#ifndef TROTH_HTTP_H
#define TROTH_HTTP_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "audit/audit.h"
#include "http/route.h"
#include "util/problem.h"

struct MHD_Connection;
struct MHD_Response;
struct db;
struct offload_job;

/* Who is calling: resolved from a bearer token or session cookie. */
struct principal {
    unsigned role;       /* one ROLE_* bit; ROLE_ANON when anonymous */
    char user_id[24];    /* "" when anonymous */
    char username[128];
    char member_id[24];  /* for ROLE_MEMBER: the member it belongs to */
    char token_id[24];   /* set when authenticated by an API token */
    char session_id[24]; /* set when authenticated by a session cookie */
    char csrf[72];       /* that session's CSRF token (GET /api/v1/me tells it) */
    bool must_change_password; /* only /me, the password change, sign-out */
};

struct req {
    struct MHD_Connection *conn;
    unsigned listener;
    bool tls;             /* arrived over native TLS */
    const struct route *route;
    struct route_params params;
    char id[20];          /* request id, echoed as X-Request-Id */
    char method[12];
    char *path;           /* without the query string */
    char client_ip[64];   /* the peer, or the proxy's client if trusted */
    struct timespec start;
    /* body */
    char *body;
    size_t body_len, body_cap;
    bool body_started, rejected;
    json_t *json;         /* parsed body of a JSON route, or NULL */
    /* caller */
    struct principal who;
    /* answer */
    struct MHD_Response *resp;
    unsigned status;
    size_t resp_bytes;
    bool head_done;
    struct offload_job *job; /* work running off the listener's threads */
};

/* The audit actor of a request's caller and client address (pointers into
 * `who`: valid while it is). */
struct audit_actor audit_actor_of(const struct principal *who, const char *ip);

/* The value of path parameter `name` ("" if absent). */
const char *req_param(const struct req *r, const char *name);

/* A query-string argument, or NULL. */
const char *req_query(const struct req *r, const char *name);

/* A request header, or NULL. */
const char *req_header(const struct req *r, const char *name);

/* Replies with a JSON document (takes the reference). */
void reply_json(struct req *r, unsigned status, json_t *body);

/* Replies with an RFC 9457 problem of a kind from the catalogue
 * (util/problem_kinds.h), with its status and title; `field` may be NULL. */
void reply_problem(struct req *r, enum problem_kind kind, const char *field,
                   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Replies with a problem a lower layer filled (PK_NONE answers 500
 * "internal"); a 503 also says Retry-After: 5. */
void reply_problem_of(struct req *r, const struct problem *p);

/* reply_problem with the members of `extra` added to the problem (takes
 * the reference; the standard members win). */
void reply_problem_with(struct req *r, enum problem_kind kind, const char *field,
                        json_t *extra, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Replies with bytes copied into the response. */
void reply_bytes(struct req *r, unsigned status, const char *content_type,
                 const void *data, size_t len);

/* Replies with bytes that live as long as the process (embedded files). */
void reply_static(struct req *r, unsigned status, const char *content_type,
                  const void *data, size_t len);

/* A body of len bytes read from fd, which the response takes (closes);
 * libmicrohttpd sends it with sendfile() where it can (not under TLS). */
void reply_fd(struct req *r, unsigned status, const char *content_type, int fd, size_t len);

/* Replies with bytes that stay valid until `release(cls)` is called. */
void reply_shared(struct req *r, unsigned status, const char *content_type,
                  const void *data, size_t len, void (*release)(void *),
                  void *cls);

/* Replies 204 / any status with an empty body. */
void reply_empty(struct req *r, unsigned status);

/* Adds a header to the reply already made (call after reply_*). */
void reply_header(struct req *r, const char *name, const char *value);

/* The 503 every handler gives when the database is down. */
void reply_db_unavailable(struct req *r);

/* Answers for a failed database call: 503 when unavailable, 500 (logged)
 * otherwise. Callers handle DB_NOTFOUND and DB_CONFLICT themselves. */
void reply_db_failure(struct req *r, int rc);

/* The body's fields checked against a spec; replies 400 and returns -1 on
 * failure. A missing body counts as {} (so required fields are named). */
struct jfield;
int req_check_body(struct req *r, const struct jfield *fields, size_t n);

/* This thread's database connection. */
struct db *req_db(struct req *r);

#endif

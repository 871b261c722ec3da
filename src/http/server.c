#include "http/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <unistd.h>

#include "config.h"
#include "http/auth.h"
#include "http/http.h"
#include "http/json_body.h"
#include "http/offload.h"
#include "http/read_deadline.h"
#include "counters/counters.h"
#include "util/file.h"
#include "util/log.h"

struct listener_ctx {
    struct server *srv;
    unsigned kind;
    struct deadlines *deadlines; /* this listener's own; nothing is shared */
};

struct server {
    const struct config *cfg;
    const struct route *routes;
    size_t nroutes;
    struct MHD_Daemon *pub, *admin;
    struct listener_ctx pub_ctx, admin_ctx;
    struct offload *offload; /* key generation, off the admin threads */
    char *tls_cert, *tls_key;
    unsigned connection_limit; /* per listener, within the file limit */
};

/* Descriptors kept back from the listeners: database connections, signer
 * sockets, files, the listening sockets themselves. */
#define FD_RESERVE 256u

/* Raises the soft file limit to the hard one, then keeps both listeners'
 * connection caps together well below it, so that a flood of connections
 * on one listener can neither starve the other nor the process. */
static unsigned fit_connection_limit(const struct config *cfg)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl))
        return cfg->connection_limit;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    rlim_t room = rl.rlim_cur > 2 * FD_RESERVE ? (rl.rlim_cur - FD_RESERVE) / 2 : 1;
    if (rl.rlim_cur == RLIM_INFINITY || cfg->connection_limit <= room)
        return cfg->connection_limit;
    log_msg("connection_limit %u per listener does not fit the file limit "
            "%llu; using %llu",
            cfg->connection_limit, (unsigned long long)rl.rlim_cur,
            (unsigned long long)room);
    return (unsigned)room;
}

static atomic_uint_fast64_t req_counter;
static uint32_t boot_id;

int server_is_loopback(const char *host)
{
    if (!strcmp(host, "localhost") || !strcmp(host, "::1"))
        return 1;
    struct in_addr a;
    return inet_pton(AF_INET, host, &a) == 1 && (ntohl(a.s_addr) >> 24) == 127;
}

/* ---- per-request state ---- */

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
    struct listener_ctx *lc = cls;
    struct req *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    clock_gettime(CLOCK_MONOTONIC, &r->start);
    r->conn = c;
    r->listener = lc->kind;
    r->tls = lc->kind == LISTENER_ADMIN && lc->srv->tls_cert != NULL;
    snprintf(r->id, sizeof r->id, "%08x%08llx", boot_id,
             (unsigned long long)atomic_fetch_add(&req_counter, 1));
    size_t plen = strcspn(uri, "?");
    r->path = strndup(uri, plen);
    r->who.role = ROLE_ANON;
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (ci && ci->client_addr) {
        const struct sockaddr *sa = ci->client_addr;
        if (sa->sa_family == AF_INET)
            inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr,
                      r->client_ip, sizeof r->client_ip);
        else if (sa->sa_family == AF_INET6)
            inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr,
                      r->client_ip, sizeof r->client_ip);
    }
    const char *proxy = lc->srv->cfg->trusted_proxy;
    if (proxy && !strcmp(proxy, r->client_ip)) {
        const char *xff = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                      "X-Forwarded-For");
        if (xff) {
            const char *last = strrchr(xff, ',');
            last = last ? last + 1 : xff;
            while (*last == ' ')
                last++;
            if (*last && strlen(last) < sizeof r->client_ip)
                snprintf(r->client_ip, sizeof r->client_ip, "%s", last);
        }
    }
    return r;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct listener_ctx *lc = cls;
    struct req *r = *req_cls;
    if (!r)
        return;
    deadlines_rearm(c);
    offload_abandon(r);
    if (r->method[0]) {
        struct timespec end;
        clock_gettime(CLOCK_MONOTONIC, &end);
        long long us = (end.tv_sec - r->start.tv_sec) * 1000000LL +
                       (end.tv_nsec - r->start.tv_nsec) / 1000;
        metrics_http_done(r->listener == LISTENER_ADMIN,
                          r->route ? (long)(r->route - lc->srv->routes) : -1, r->status, us);
        if (lc->srv->cfg->access_log)
            log_access(r->id, r->method, r->path ? r->path : "", r->status,
                       r->resp_bytes, us, toe == MHD_REQUEST_TERMINATED_COMPLETED_OK);
    }
    if (r->resp)
        MHD_destroy_response(r->resp);
    json_decref(r->json);
    free(r->body);
    free(r->path);
    free(r);
    *req_cls = NULL;
}

/* ---- answering ---- */

static enum MHD_Result send_reply(struct req *r)
{
    deadlines_disarm(r->conn); /* the request is read: no read deadline */
    if (!r->resp) {
        reply_problem(r, PK_INTERNAL, NULL, "internal error (request %s)",
                      r->id);
        if (!r->resp)
            return MHD_NO;
    }
    reply_header(r, "X-Request-Id", r->id);
    if (r->listener == LISTENER_ADMIN) {
        reply_header(r, "X-Content-Type-Options", "nosniff");
        reply_header(r, "X-Frame-Options", "DENY");
        reply_header(r, "Referrer-Policy", "no-referrer");
        reply_header(r, "Content-Security-Policy",
                     "default-src 'self'; img-src 'self' data:; "
                     "object-src 'none'; base-uri 'none'; frame-ancestors 'none'");
        if (!MHD_get_response_header(r->resp, "Cache-Control"))
            reply_header(r, "Cache-Control", "no-store");
        if (r->tls) /* a year; browsers then refuse plain HTTP to this host */
            reply_header(r, "Strict-Transport-Security", "max-age=31536000");
    }
    return MHD_queue_response(r->conn, r->status, r->resp);
}

static bool is_json_type(const char *ct)
{
    if (!ct)
        return false;
    size_t n = strlen("application/json");
    return strncasecmp(ct, "application/json", n) == 0 &&
           (ct[n] == 0 || ct[n] == ';' || ct[n] == ' ');
}

/* What a user whose generated password is not yet changed may call: the
 * UI's files and the API document, who they are, the password change and
 * sign-out. */
static bool allowed_before_password_change(const struct route *rt)
{
    static const char *const ok[][2] = {
        {"GET", "/api/v1/me"}, {"GET", "/api/v1/community"},
        {"POST", "/api/v1/me/password"}, {"DELETE", "/api/v1/session"},
        {"GET", "/api/v1/openapi.json"}};
    if (strncmp(rt->pattern, "/api/", 5) != 0)
        return true;
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        if (!strcmp(rt->method, ok[i][0]) && !strcmp(rt->pattern, ok[i][1]))
            return true;
    return false;
}

/* The first call for a request: route, limits, credentials. Returns true
 * if a reply was made (the request is answered without reading the body). */
static bool begin(struct server *s, struct req *r, const char *method)
{
    snprintf(r->method, sizeof r->method, "%s", method);
    char allow[128];
    enum route_result rr =
        route_match(s->routes, s->nroutes, r->listener, method, r->path,
                    &r->route, &r->params, allow, sizeof allow);
    if (rr == ROUTE_NOT_FOUND) {
        reply_problem(r, PK_NOT_FOUND, NULL, "no such resource: %.200s",
                      r->path);
        return true;
    }
    if (rr == ROUTE_BAD_METHOD) {
        reply_problem(r, PK_METHOD_NOT_ALLOWED, NULL,
                      "%s is not allowed here; allowed: %s", method, allow);
        reply_header(r, MHD_HTTP_HEADER_ALLOW, allow);
        return true;
    }
    const char *cl = req_header(r, MHD_HTTP_HEADER_CONTENT_LENGTH);
    const char *te = req_header(r, MHD_HTTP_HEADER_TRANSFER_ENCODING);
    unsigned long long len = cl ? strtoull(cl, NULL, 10) : 0;
    bool has_body = len > 0 || te != NULL;
    if (has_body && len > r->route->body_limit) {
        reply_problem(r, PK_BODY_TOO_LARGE, NULL,
                      "the body is %llu bytes; this route takes at most %zu",
                      len, r->route->body_limit);
        return true;
    }
    if (has_body && r->route->body_limit == 0) {
        reply_problem(r, PK_BODY_TOO_LARGE, NULL, "this route takes no body");
        return true;
    }
    if (has_body && !is_json_type(req_header(r, MHD_HTTP_HEADER_CONTENT_TYPE))) {
        reply_problem(r, PK_UNSUPPORTED_MEDIA_TYPE, NULL,
                      "the body must be application/json");
        return true;
    }
    /* credentials before the body is read: anonymous bodies are not kept */
    if (auth_resolve(r) != 0)
        return true; /* auth_resolve replied (e.g. 401 bad token, 503) */
    if (!(r->route->roles & r->who.role)) {
        if (r->who.role == ROLE_ANON)
            reply_problem(r, PK_UNAUTHENTICATED, NULL,
                          "sign in or send an API token");
        else
            reply_problem(r, PK_FORBIDDEN, NULL,
                          "your role may not do this");
        if (r->who.role == ROLE_ANON)
            reply_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
        return true;
    }
    if (r->who.must_change_password && !allowed_before_password_change(r->route)) {
        reply_problem(r, PK_PASSWORD_CHANGE_REQUIRED, NULL,
                      "change the generated password first (POST /api/v1/me/password)");
        return true;
    }
    return false;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
                                  const char *url, const char *method,
                                  const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **req_cls)
{
    struct listener_ctx *lc = cls;
    struct req *r = *req_cls;
    if (!r || !r->path)
        return MHD_NO;
    if (r->job) /* suspended for a job: reply once it is done */
        return offload_continue(r) ? send_reply(r) : MHD_YES;
    if (!r->body_started) {
        r->body_started = true;
        if (begin(lc->srv, r, method))
            return send_reply(r);
        return MHD_YES;
    }
    if (*upload_data_size) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (r->rejected)
            return MHD_YES; /* discard the rest, keep no memory */
        if (r->body_len + n > r->route->body_limit) {
            r->rejected = true;
            free(r->body);
            r->body = NULL;
            r->body_len = r->body_cap = 0;
            return MHD_YES;
        }
        if (r->body_len + n + 1 > r->body_cap) {
            size_t cap = r->body_cap ? r->body_cap * 2 : 4096;
            while (cap < r->body_len + n + 1)
                cap *= 2;
            char *nb = realloc(r->body, cap);
            if (!nb)
                return MHD_NO;
            r->body = nb;
            r->body_cap = cap;
        }
        memcpy(r->body + r->body_len, upload_data, n);
        r->body_len += n;
        r->body[r->body_len] = 0;
        return MHD_YES;
    }
    if (r->rejected) {
        reply_problem(r, PK_BODY_TOO_LARGE, NULL,
                      "the body is larger than this route takes (%zu bytes)",
                      r->route->body_limit);
        return send_reply(r);
    }
    if (r->route->body_limit > 0 && r->body_len > 0) {
        struct json_err je;
        r->json = json_parse_body(r->body, r->body_len, &je);
        if (!r->json) {
            reply_problem(r, PK_MALFORMED_JSON, NULL, "%s", je.detail);
            return send_reply(r);
        }
    }
    if (r->route->body_fields &&
        req_check_body(r, r->route->body, r->route->body_fields))
        return send_reply(r);
    /* the request is read: the read deadline ends here, not when the
     * handler is done (a handler may work longer than request_read_timeout) */
    deadlines_disarm(r->conn);
    r->route->handler(r);
    if (r->job)
        return MHD_YES; /* answered when the job is done */
    return send_reply(r);
}

/* ---- start / stop ---- */

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char buf[512];
    vsnprintf(buf, sizeof buf, fmt, ap);
    size_t n = strlen(buf);
    while (n && buf[n - 1] == '\n')
        buf[--n] = 0;
    log_msg("http: %s", buf);
}

static int resolve(const char *listen, struct sockaddr_storage *ss,
                   char *host, size_t hostlen)
{
    unsigned short port;
    if (config_split_listen(listen, host, hostlen, &port))
        return -1;
    struct addrinfo hints = {.ai_flags = AI_NUMERICSERV,
                             .ai_socktype = SOCK_STREAM};
    struct addrinfo *ai;
    char ps[8];
    snprintf(ps, sizeof ps, "%u", port);
    if (getaddrinfo(host, ps, &hints, &ai))
        return -1;
    memcpy(ss, ai->ai_addr, ai->ai_addrlen);
    freeaddrinfo(ai);
    return 0;
}

static struct MHD_Daemon *start_one(struct server *s, struct listener_ctx *lc,
                                    const char *listen, bool tls)
{
    const struct config *cfg = s->cfg;
    struct sockaddr_storage ss;
    char host[256];
    if (resolve(listen, &ss, host, sizeof host)) {
        log_msg("cannot resolve listen address %s", listen);
        return NULL;
    }
    /* the public listener serves from memory: one thread per core; admin
     * handlers wait on PostgreSQL and the signer: more threads keep more
     * transactions in flight (and commits grouped) */
    unsigned cores = (unsigned)sysconf(_SC_NPROCESSORS_ONLN);
    if (cores < 1)
        cores = 1;
    unsigned threads = cfg->threads              ? cfg->threads
                       : lc->kind == LISTENER_ADMIN ? (4 * cores < 8 ? 8 : 4 * cores)
                                                    : cores;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
                     MHD_USE_ERROR_LOG;
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    if (tls)
        flags |= MHD_USE_TLS;
    if (lc->kind == LISTENER_ADMIN)
        flags |= MHD_ALLOW_SUSPEND_RESUME;
    lc->deadlines = deadlines_start(cfg->request_read_timeout);
    struct MHD_OptionItem opts[16];
    size_t n = 0;
#define OPT(o, v, p) opts[n++] = (struct MHD_OptionItem){o, (intptr_t)(v), p}
    OPT(MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL);
    OPT(MHD_OPTION_SOCK_ADDR, 0, &ss);
    OPT(MHD_OPTION_THREAD_POOL_SIZE, threads, NULL);
    OPT(MHD_OPTION_CONNECTION_TIMEOUT, cfg->connection_timeout, NULL);
    OPT(MHD_OPTION_CONNECTION_MEMORY_LIMIT, cfg->connection_memory_limit, NULL);
    OPT(MHD_OPTION_CONNECTION_LIMIT, s->connection_limit, NULL);
    OPT(MHD_OPTION_PER_IP_CONNECTION_LIMIT, cfg->per_ip_connection_limit, NULL);
    OPT(MHD_OPTION_NOTIFY_CONNECTION, deadlines_notify, lc->deadlines);
    OPT(MHD_OPTION_URI_LOG_CALLBACK, on_uri, lc);
    OPT(MHD_OPTION_NOTIFY_COMPLETED, on_completed, lc);
    OPT(MHD_OPTION_LISTENING_ADDRESS_REUSE, 1, NULL);
    if (tls) {
        OPT(MHD_OPTION_HTTPS_MEM_KEY, 0, s->tls_key);
        OPT(MHD_OPTION_HTTPS_MEM_CERT, 0, s->tls_cert);
        OPT(MHD_OPTION_HTTPS_PRIORITIES, 0, cfg->tls_priorities);
    }
    OPT(MHD_OPTION_END, 0, NULL);
#undef OPT
    struct MHD_Daemon *d = NULL;
    if (lc->deadlines)
        d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, lc,
                                            MHD_OPTION_ARRAY, opts,
                                            MHD_OPTION_END);
    if (!d)
        log_msg("cannot listen on %s: %s", listen,
                errno ? strerror(errno) : "libmicrohttpd refused");
    return d;
}

/* TLS files read before the process drops its privileges (server_preload_tls). */
static char *g_tls_cert, *g_tls_key;

int server_preload_tls(const struct config *cfg)
{
    if (cfg->tls_cert == NULL || cfg->tls_key == NULL)
        return 0;
    g_tls_cert = file_read(cfg->tls_cert, 1u << 20, NULL);
    g_tls_key = file_read(cfg->tls_key, 1u << 20, NULL);
    if (g_tls_cert && g_tls_key)
        return 0;
    log_msg("cannot read %s: %s", !g_tls_cert ? cfg->tls_cert : cfg->tls_key, strerror(errno));
    free(g_tls_cert);
    free(g_tls_key);
    g_tls_cert = g_tls_key = NULL;
    return -1;
}

struct server *server_start(const struct config *cfg, const struct route *routes,
                            size_t nroutes)
{
    if (getrandom(&boot_id, sizeof boot_id, 0) != sizeof boot_id)
        boot_id = (uint32_t)getpid();
    struct server *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->cfg = cfg;
    s->routes = routes;
    s->nroutes = nroutes;
    s->pub_ctx = (struct listener_ctx){s, LISTENER_PUBLIC, NULL};
    s->admin_ctx = (struct listener_ctx){s, LISTENER_ADMIN, NULL};
    s->connection_limit = fit_connection_limit(cfg);
    bool tls = cfg->tls_cert != NULL;
    char host[256];
    unsigned short port;
    if (config_split_listen(cfg->admin_listen, host, sizeof host, &port) == 0 &&
        !tls && !cfg->trusted_proxy && !server_is_loopback(host)) {
        log_msg("refusing to serve the admin listener on %s without TLS: set "
                "[server] tls_cert/tls_key, or trusted_proxy when a proxy "
                "terminates TLS",
                cfg->admin_listen);
        free(s);
        return NULL;
    }
    if (tls) {
        if (!MHD_is_feature_supported(MHD_FEATURE_TLS)) {
            log_msg("this libmicrohttpd has no TLS support");
            free(s);
            return NULL;
        }
        s->tls_cert = g_tls_cert ? g_tls_cert : file_read(cfg->tls_cert, 1u << 20, NULL);
        s->tls_key = g_tls_key ? g_tls_key : file_read(cfg->tls_key, 1u << 20, NULL);
        g_tls_cert = g_tls_key = NULL;
        if (!s->tls_cert || !s->tls_key) {
            log_msg("cannot read %s: %s", !s->tls_cert ? cfg->tls_cert : cfg->tls_key,
                    strerror(errno));
            server_stop(s);
            return NULL;
        }
    }
    s->pub = start_one(s, &s->pub_ctx, cfg->public_listen, false);
    s->offload = offload_start(cfg->keygen_concurrency);
    if (s->pub && s->offload)
        s->admin = start_one(s, &s->admin_ctx, cfg->admin_listen, tls);
    if (!s->pub || !s->admin) {
        server_stop(s);
        return NULL;
    }
    return s;
}

void server_stop(struct server *s)
{
    if (!s)
        return;
    offload_stop(s->offload); /* resumes what waits for a job */
    if (s->pub)
        MHD_stop_daemon(s->pub);
    if (s->admin)
        MHD_stop_daemon(s->admin);
    deadlines_stop(s->pub_ctx.deadlines);
    deadlines_stop(s->admin_ctx.deadlines);
    if (s->tls_key) {
        memset(s->tls_key, 0, strlen(s->tls_key));
        free(s->tls_key);
    }
    free(s->tls_cert);
    free(s);
}

/* A small strict INI parser for troth.conf. It is written here rather than
 * taken from libinih because Debian's libinih reports no line numbers and
 * silently truncates lines longer than 200 bytes; a CA's configuration must
 * fail loudly with "file:line: what is wrong". */
#include "config.h"
#include "config_internal.h"

#include "util/file.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum kind { K_STR, K_UINT, K_SIZE, K_BOOL, K_LISTEN, K_URL };

struct key {
    const char *section, *name;
    enum kind kind;
    size_t offset;
    unsigned long long min, max; /* for K_UINT / K_SIZE */
};

#define OFF(f) offsetof(struct config, f)
static const struct key keys[] = {
    {"server", "public_listen", K_LISTEN, OFF(public_listen), 0, 0},
    {"server", "admin_listen", K_LISTEN, OFF(admin_listen), 0, 0},
    {"server", "public_url", K_URL, OFF(public_url), 0, 0},
    {"server", "tls_cert", K_STR, OFF(tls_cert), 0, 0},
    {"server", "tls_key", K_STR, OFF(tls_key), 0, 0},
    {"server", "tls_priorities", K_STR, OFF(tls_priorities), 0, 0},
    {"server", "trusted_proxy", K_STR, OFF(trusted_proxy), 0, 0},
    {"server", "threads", K_UINT, OFF(threads), 0, 256},
    {"server", "connection_timeout", K_UINT, OFF(connection_timeout), 1, 3600},
    {"server", "request_read_timeout", K_UINT, OFF(request_read_timeout), 1, 3600},
    {"server", "connection_memory_limit", K_SIZE, OFF(connection_memory_limit),
     8192, 64u << 20},
    {"server", "per_ip_connection_limit", K_UINT, OFF(per_ip_connection_limit), 0,
     100000},
    {"server", "connection_limit", K_UINT, OFF(connection_limit), 1, 1000000},
    {"server", "access_log", K_BOOL, OFF(access_log), 0, 0},
    {"server", "user", K_STR, OFF(server_user), 0, 0},
    {"server", "metrics_open_on_loopback", K_BOOL, OFF(metrics_open_on_loopback), 0, 0},
    {"database", "url", K_STR, OFF(database_url), 0, 0},
    {"ca", "key_passphrase_file", K_STR, OFF(key_passphrase_file), 0, 0},
    {"ca", "crl_validity_hours", K_UINT, OFF(crl_validity_hours), 1, 24 * 366},
    {"ca", "crl_refresh_hours", K_UINT, OFF(crl_refresh_hours), 1, 24 * 366},
    {"ca", "crl_backdate_seconds", K_UINT, OFF(crl_backdate_seconds), 0, 600},
    {"ca", "signer_workers", K_UINT, OFF(signer_workers), 0, 64},
    {"ca", "keygen_concurrency", K_UINT, OFF(keygen_concurrency), 1, 64},
    {"ca", "key_kdf_iterations", K_UINT, OFF(key_kdf_iterations), 1000, 100000000},
    {"ca", "root_crl_warn_days", K_UINT, OFF(root_crl_warn_days), 0, 3650},
    {"pkcs11", "module", K_STR, OFF(pkcs11_module), 0, 0},
    {"pkcs11", "pin_file", K_STR, OFF(pkcs11_pin_file), 0, 0},
    {"pkcs11", "keep_env", K_STR, OFF(pkcs11_keep_env), 0, 0},
    {"profiles", "udap_client_days", K_UINT, OFF(client_days), 1, 3650},
    {"profiles", "udap_server_days", K_UINT, OFF(server_days), 1, 3650},
    {"profiles", "udap_client_eku_client_auth", K_BOOL, OFF(client_eku_client_auth), 0, 0},
    {"profiles", "udap_server_eku_server_auth", K_BOOL, OFF(server_eku_server_auth), 0, 0},
    {"profiles", "udap_server_eku_client_auth", K_BOOL, OFF(server_eku_client_auth), 0, 0},
    {"auth", "argon2_t_cost", K_UINT, OFF(argon2_t_cost), 1, 100},
    {"auth", "argon2_m_cost", K_UINT, OFF(argon2_m_cost_kib), 8, 4u << 20},
    {"auth", "argon2_lanes", K_UINT, OFF(argon2_lanes), 1, 64},
    {"auth", "session_idle_minutes", K_UINT, OFF(session_idle_minutes), 1, 7 * 24 * 60},
    {"auth", "session_max_hours", K_UINT, OFF(session_max_hours), 1, 24 * 30},
    {"auth", "login_failures_per_user", K_UINT, OFF(login_failures_per_user), 1, 1000},
    {"auth", "login_failures_per_ip", K_UINT, OFF(login_failures_per_ip), 1, 100000},
    {"auth", "login_window_minutes", K_UINT, OFF(login_window_minutes), 1, 24 * 60},
    {"auth", "password_hash_concurrency", K_UINT, OFF(password_hash_concurrency), 1, 256},
    {"auth", "password_hash_queue", K_UINT, OFF(password_hash_queue), 0, 10000},
    {"auth", "token_max_days", K_UINT, OFF(token_max_days), 1, 3650},
    {"notify", "smtp_url", K_STR, OFF(smtp_url), 0, 0},
    {"notify", "smtp_user", K_STR, OFF(smtp_user), 0, 0},
    {"notify", "smtp_password_file", K_STR, OFF(smtp_password_file), 0, 0},
    {"notify", "from", K_STR, OFF(mail_from), 0, 0},
    {"notify", "operator_email", K_STR, OFF(operator_email), 0, 0},
    {"notify", "expiry_days", K_STR, OFF(expiry_days), 0, 0},
    {"notify", "ui_url", K_URL, OFF(ui_url), 0, 0},
    {"notify", "max_attempts", K_UINT, OFF(max_attempts), 1, 1000},
    {"notify", "retry_base_ms", K_UINT, OFF(retry_base_ms), 10, 24 * 3600 * 1000},
    {"notify", "retry_max_seconds", K_UINT, OFF(retry_max_seconds), 1, 7 * 24 * 3600},
    {"notify", "scan_seconds", K_UINT, OFF(scan_seconds), 1, 24 * 3600},
    {"community", "uri", K_STR, OFF(community_uri), 0, 0},
    {"community", "name", K_STR, OFF(community_name), 0, 0},
};

#define fail config_fail
void config_fail(char *err, size_t errlen, const char *name, int line, const char *fmt, ...)
{
    int n = line > 0 ? snprintf(err, errlen, "%s:%d: ", name, line)
                     : snprintf(err, errlen, "%s: ", name);
    if (n < 0 || (size_t)n >= errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
    va_end(ap);
}

static void set_str(char **slot, const char *v)
{
    free(*slot);
    *slot = v ? strdup(v) : NULL;
    if (v && !*slot)
        abort();
}

static void defaults(struct config *c)
{
    memset(c, 0, sizeof *c);
    set_str(&c->public_listen, "127.0.0.1:8080");
    set_str(&c->admin_listen, "127.0.0.1:8443");
    set_str(&c->public_url, "http://127.0.0.1:8080");
    set_str(&c->tls_priorities, TLS_PRIORITIES_DEFAULT);
    c->threads = 0;
    c->connection_timeout = 30;
    c->connection_memory_limit = 64 * 1024;
    c->request_read_timeout = 10;
    c->per_ip_connection_limit = 64;
    c->connection_limit = 2048;
    c->access_log = true;
    c->argon2_t_cost = 3;
    c->argon2_m_cost_kib = 65536;
    c->argon2_lanes = 1;
    c->session_idle_minutes = 30;
    c->session_max_hours = 12;
    c->login_failures_per_user = 5;
    c->login_failures_per_ip = 50;
    c->login_window_minutes = 15;
    c->password_hash_concurrency = 1;
    c->password_hash_queue = 4;
    c->token_max_days = 365;
    c->crl_validity_hours = 48; /* Federal PKI Common Policy: nextUpdate <= 48 h */
    c->crl_refresh_hours = 12;
    c->crl_backdate_seconds = 90;
    c->key_kdf_iterations = 600000;
    c->keygen_concurrency = 2;
    c->root_crl_warn_days = 7;
    c->client_days = 365;
    c->server_days = 365;
    config_profiles_defaults(c);
    set_str(&c->expiry_days, "60,30,14,7,1");
    c->max_attempts = 12;
    c->retry_base_ms = 30000;
    c->retry_max_seconds = 3600;
    c->scan_seconds = 600;
}

static const struct config *g_current;
void config_set_current(const struct config *c) { g_current = c; }
const struct config *config_current(void) { return g_current; }

int config_split_listen(const char *listen, char *host, size_t hostlen,
                        unsigned short *port)
{
    const char *colon = strrchr(listen, ':');
    if (!colon || colon == listen)
        return -1;
    const char *h = listen;
    size_t hl = (size_t)(colon - listen);
    if (h[0] == '[') {
        if (hl < 3 || h[hl - 1] != ']')
            return -1;
        h++;
        hl -= 2;
    }
    if (hl == 0 || hl >= hostlen)
        return -1;
    const char *p = colon + 1;
    if (!*p || strlen(p) > 5)
        return -1;
    unsigned long v = 0;
    for (; *p; p++) {
        if (!isdigit((unsigned char)*p))
            return -1;
        v = v * 10 + (unsigned long)(*p - '0');
    }
    if (v > 65535)
        return -1;
    memcpy(host, h, hl);
    host[hl] = 0;
    *port = (unsigned short)v;
    return 0;
}

static int parse_uint(const char *v, unsigned long long *out)
{
    if (!*v || !isdigit((unsigned char)*v))
        return -1;
    errno = 0;
    char *end;
    unsigned long long n = strtoull(v, &end, 10);
    unsigned long long mult = 1;
    if (*end == 'k' || *end == 'K')
        mult = 1024, end++;
    else if (*end == 'm' || *end == 'M')
        mult = 1024 * 1024, end++;
    if (errno || *end || n > ULLONG_MAX / mult)
        return -1;
    *out = n * mult;
    return 0;
}

static int set_value(struct config *c, const struct key *k, const char *v,
                     const char *name, int line, char *err, size_t errlen)
{
    void *slot = (char *)c + k->offset;
    unsigned long long n;
    char host[256];
    unsigned short port;
    switch (k->kind) {
    case K_STR:
        set_str((char **)slot, *v ? v : NULL);
        return 0;
    case K_LISTEN:
        if (config_split_listen(v, host, sizeof host, &port) != 0) {
            fail(err, errlen, name, line,
                 "[%s] %s: expected host:port (e.g. 127.0.0.1:8080), got \"%s\"",
                 k->section, k->name, v);
            return -1;
        }
        set_str((char **)slot, v);
        return 0;
    case K_URL:
        if (strncmp(v, "http://", 7) && strncmp(v, "https://", 8)) {
            fail(err, errlen, name, line,
                 "[%s] %s: expected an http:// or https:// URL, got \"%s\"",
                 k->section, k->name, v);
            return -1;
        }
        if (v[strlen(v) - 1] == '/') {
            fail(err, errlen, name, line,
                 "[%s] %s: must not end with '/', got \"%s\"", k->section,
                 k->name, v);
            return -1;
        }
        set_str((char **)slot, v);
        return 0;
    case K_BOOL:
        if (!strcmp(v, "on") || !strcmp(v, "true") || !strcmp(v, "yes"))
            *(bool *)slot = true;
        else if (!strcmp(v, "off") || !strcmp(v, "false") || !strcmp(v, "no"))
            *(bool *)slot = false;
        else {
            fail(err, errlen, name, line,
                 "[%s] %s: expected on or off, got \"%s\"", k->section, k->name,
                 v);
            return -1;
        }
        return 0;
    case K_UINT:
    case K_SIZE:
        if (parse_uint(v, &n) != 0 || n < k->min || n > k->max) {
            fail(err, errlen, name, line,
                 "[%s] %s: expected a whole number from %llu to %llu, got \"%s\"",
                 k->section, k->name, k->min, k->max, v);
            return -1;
        }
        if (k->kind == K_UINT)
            *(unsigned *)slot = (unsigned)n;
        else
            *(size_t *)slot = (size_t)n;
        return 0;
    }
    return -1;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    char *e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
        *--e = 0;
    return s;
}

int config_parse(struct config *c, const char *name, const char *text,
                 char *err, size_t errlen)
{
    defaults(c);
    set_str(&c->path, name);
    char section[64] = "";
    int profile = -1; /* the [profile NAME] being read */
    bool seen[sizeof keys / sizeof keys[0]] = {0};
    int line = 0;
    const char *p = text;
    while (*p) {
        line++;
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        char *buf = strndup(p, len);
        if (!buf)
            abort();
        p += len + (nl ? 1 : 0);
        int rc = 0;
        char *s = trim(buf);
        if (*s == 0 || *s == '#' || *s == ';') {
            /* blank or comment */
        } else if (*s == '[') {
            char *e = strchr(s, ']');
            if (!e || e[1] != 0 || e - s - 1 <= 0 ||
                (size_t)(e - s - 1) >= sizeof section) {
                fail(err, errlen, name, line, "malformed section header \"%s\"",
                     s);
                rc = -1;
            } else {
                *e = 0;
                snprintf(section, sizeof section, "%s", s + 1);
                bool known = false;
                profile = -1;
                if (!strncmp(section, "profile ", 8) || !strcmp(section, "profile")) {
                    profile = config_profile_section(c, section, name, line, err, errlen);
                    known = true;
                    rc = profile < 0 ? -1 : 0;
                }
                for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
                    known |= !strcmp(keys[i].section, section);
                if (!known) {
                    fail(err, errlen, name, line, "unknown section [%s]",
                         section);
                    rc = -1;
                }
            }
        } else {
            char *eq = strchr(s, '=');
            if (!eq) {
                fail(err, errlen, name, line, "expected key = value, got \"%s\"",
                     s);
                rc = -1;
            } else {
                *eq = 0;
                char *k = trim(s), *v = trim(eq + 1);
                size_t i, n = sizeof keys / sizeof keys[0];
                for (i = 0; i < n; i++)
                    if (!strcmp(keys[i].section, section) &&
                        !strcmp(keys[i].name, k))
                        break;
                if (!*section) {
                    fail(err, errlen, name, line, "key \"%s\" outside a section",
                         k);
                    rc = -1;
                } else if (profile >= 0) {
                    rc = config_profile_key(c, (size_t)profile, k, v, name, line, err,
                                            errlen);
                } else if (i == n) {
                    fail(err, errlen, name, line, "unknown key \"%s\" in [%s]", k,
                         section);
                    rc = -1;
                } else if (seen[i]) {
                    fail(err, errlen, name, line, "[%s] %s given twice", section,
                         k);
                    rc = -1;
                } else {
                    seen[i] = true;
                    rc = set_value(c, &keys[i], v, name, line, err, errlen);
                    if (!strcmp(section, "profiles"))
                        c->legacy_set |= !strcmp(k, "udap_client_days")   ? LEGACY_CLIENT_DAYS
                                         : !strcmp(k, "udap_server_days") ? LEGACY_SERVER_DAYS
                                         : !strncmp(k, "udap_client", 11) ? LEGACY_CLIENT_EKU
                                                                          : LEGACY_SERVER_EKU;
                }
            }
        }
        free(buf);
        if (rc) {
            config_free(c);
            return -1;
        }
    }
    if (config_profiles_finish(c, name, err, errlen)) {
        config_free(c);
        return -1;
    }
    const char *env = getenv("TROTH_DATABASE_URL");
    if (env && *env)
        set_str(&c->database_url, env);
    if (!c->database_url) {
        fail(err, errlen, name, 0,
             "[database] url is required (or set TROTH_DATABASE_URL)");
        config_free(c);
        return -1;
    }
    if (c->crl_refresh_hours >= c->crl_validity_hours) {
        fail(err, errlen, name, 0,
             "[ca] crl_refresh_hours (%u) must be less than crl_validity_hours "
             "(%u): a CRL must be replaced before it expires",
             c->crl_refresh_hours, c->crl_validity_hours);
        config_free(c);
        return -1;
    }
    if (notify_days_parse(c->expiry_days, NULL, 0) < 0) {
        fail(err, errlen, name, 0,
             "[notify] expiry_days: expected days before notAfter such as "
             "\"60,30,14,7,1\" (1 to 3650, at most 16), got \"%s\"",
             c->expiry_days);
        config_free(c);
        return -1;
    }
    if (!c->tls_priorities)
        set_str(&c->tls_priorities, TLS_PRIORITIES_DEFAULT);
    if (!c->tls_cert != !c->tls_key) {
        fail(err, errlen, name, 0,
             "[server] tls_cert and tls_key must be given together");
        config_free(c);
        return -1;
    }
    return 0;
}

int config_load(struct config *c, const char *path, char *err, size_t errlen)
{
    size_t len = 0;
    char *text = file_read(path, 1u << 20, &len);
    memset(c, 0, sizeof *c);
    if (!text) {
        if (errno == EFBIG)
            snprintf(err, errlen, "%s: larger than 1 MiB", path);
        else
            snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    int rc;
    if (strlen(text) != len) {
        snprintf(err, errlen, "%s: contains a NUL byte", path);
        rc = -1;
    } else {
        rc = config_parse(c, path, text, err, errlen);
    }
    free(text);
    return rc;
}

void config_free(struct config *c)
{
    if (g_current == c)
        g_current = NULL; /* config_current() never points at freed memory */
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        if (keys[i].kind == K_STR || keys[i].kind == K_LISTEN ||
            keys[i].kind == K_URL) {
            char **slot = (char **)((char *)c + keys[i].offset);
            free(*slot);
            *slot = NULL;
        }
    }
    config_profiles_free(c);
    free(c->path);
    c->path = NULL;
}

int notify_days_parse(const char *text, unsigned *out, size_t max)
{
    unsigned days[16];
    size_t n = 0;
    const char *p = text ? text : "";
    while (*p) {
        while (*p == ' ')
            p++;
        if (!isdigit((unsigned char)*p) || n == 16)
            return -1;
        char *end;
        unsigned long v = strtoul(p, &end, 10);
        if (v < 1 || v > 3650)
            return -1;
        days[n++] = (unsigned)v;
        p = end;
        while (*p == ' ')
            p++;
        if (*p == ',')
            p++;
        else if (*p)
            return -1;
    }
    for (size_t i = 1; i < n; i++) /* insertion sort, descending */
        for (size_t j = i; j > 0 && days[j] > days[j - 1]; j--) {
            unsigned t = days[j];
            days[j] = days[j - 1];
            days[j - 1] = t;
        }
    for (size_t i = 0; out && i < n && i < max; i++)
        out[i] = days[i];
    return (int)n;
}

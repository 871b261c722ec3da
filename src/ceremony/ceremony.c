#include "ceremony/ceremony.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit/audit.h"
#include "pki/keys.h"
#include "util/file.h"
#include "util/hex.h"

int ceremony_spki_sha256(const EVP_PKEY *key, char out[65])
{
    unsigned char *der = NULL, md[32];
    int n = i2d_PUBKEY(key, &der);
    out[0] = 0;
    if (n <= 0)
        return -1;
    unsigned int mdlen = 0;
    int ok = EVP_Digest(der, (size_t)n, md, &mdlen, EVP_sha256(), NULL);
    OPENSSL_free(der);
    if (!ok || mdlen != 32)
        return -1;
    hex_encode(md, 32, out);
    return 0;
}

static void operator_name(char *out, size_t len)
{
    struct passwd *pw = getpwuid(getuid());
    const char *sudo = getenv("SUDO_USER");
    if (sudo && *sudo && getuid() == 0)
        snprintf(out, len, "%s (via sudo as root)", sudo);
    else
        snprintf(out, len, "%s", pw ? pw->pw_name : "unknown");
}

json_t *ceremony_record(const char *event, const char *ca_id, const EVP_PKEY *key,
                        const char *location)
{
    char who[160], host[256] = "", at[32], desc[48] = "", spki[65] = "";
    operator_name(who, sizeof who);
    if (gethostname(host, sizeof host - 1) != 0)
        snprintf(host, sizeof host, "unknown");
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(at, sizeof at, "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (key) {
        pki_key_describe(key, desc, sizeof desc);
        ceremony_spki_sha256(key, spki);
    }
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "event", event, "ca",
                     ca_id, "key", desc, "spki_sha256", spki, "key_location", location,
                     "operator", who, "host", host, "at", at);
}

enum db_rc ceremony_audit(struct db *db, const struct audit_actor *actor, json_t *record)
{
    char action[96];
    snprintf(action, sizeof action, "ceremony.%s",
             json_string_value(json_object_get(record, "event")));
    const char *ca = json_string_value(json_object_get(record, "ca"));
    char id[64];
    snprintf(id, sizeof id, "%s", ca ? ca : "");
    return audit_write(db, actor, action, "ca", id, record);
}

int ceremony_log_append(const char *path, json_t *record)
{
    char *line = json_dumps(record, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(record);
    if (!line)
        return -1;
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    size_t n = strlen(line);
    line[n] = '\n'; /* replaces the NUL: written with its length */
    int rc = fd >= 0 && write(fd, line, n + 1) == (ssize_t)(n + 1) && fsync(fd) == 0 ? 0 : -1;
    if (fd >= 0)
        close(fd);
    free(line);
    return rc;
}

DB_STMT(q_seen, 2,
        "INSERT INTO ceremony_imports (line_sha256, ca_id) VALUES ($1, $2) "
        "ON CONFLICT DO NOTHING");

enum db_rc ceremony_log_import(struct db *db, const struct audit_actor *actor,
                               const char *path, long *imported, char *err, size_t errlen)
{
    *imported = 0;
    size_t len = 0;
    char *text = file_read(path, 16u << 20, &len);
    if (!text) {
        snprintf(err, errlen, "cannot read the ceremony log %s", path);
        return DB_ERROR;
    }
    enum db_rc rc = DB_OK;
    long lineno = 0;
    for (char *line = text, *next; rc == DB_OK && line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = 0;
        lineno++;
        if (!*line)
            continue;
        json_error_t je;
        json_t *rec = json_loads(line, 0, &je);
        const char *ev = json_string_value(json_object_get(rec, "event"));
        const char *ca = json_string_value(json_object_get(rec, "ca"));
        if (!json_is_object(rec) || !ev || !ca) {
            json_decref(rec);
            snprintf(err, errlen, "%s:%ld: not a ceremony record", path, lineno);
            rc = DB_ERROR;
            break;
        }
        unsigned char md[32];
        char hex[65];
        EVP_Digest(line, strlen(line), md, NULL, EVP_sha256(), NULL);
        hex_encode(md, 32, hex);
        PGresult *res = NULL;
        rc = db_exec(db, &q_seen, &res, (const char *[]){hex, ca});
        bool fresh = rc == DB_OK && atoi(PQcmdTuples(res)) == 1;
        if (res)
            PQclear(res);
        if (rc == DB_OK && fresh) {
            json_object_set_new(rec, "imported_from", json_string(path));
            json_object_set_new(rec, "log_line_sha256", json_string(hex));
            rc = ceremony_audit(db, actor, rec);
            rec = NULL;
            (*imported)++;
        }
        json_decref(rec);
    }
    free(text);
    return rc;
}

json_t *ceremony_log_find(const char *path, const char *event, const char *key,
                          const char *value)
{
    char *text = file_read(path, 16u << 20, NULL);
    json_t *found = NULL;
    for (char *line = text, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = 0;
        json_t *rec = json_loads(line, 0, NULL);
        const char *ev = json_string_value(json_object_get(rec, "event"));
        const char *v = json_string_value(json_object_get(rec, key));
        if (ev && v && !strcmp(ev, event) && !strcmp(v, value)) {
            json_decref(found);
            found = rec;
        } else {
            json_decref(rec);
        }
    }
    free(text);
    return found;
}

/* troth sandbox init|refresh: one transaction that builds a generation
 * (keys of the earlier one kept), replaces what /sandbox/ serves, writes
 * the audit event and announces it (NOTIFY troth_sandbox). */
#include "sandbox/sandbox.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "pki/encode.h"
#include "sandbox/fixtures.h"

DB_STMT(q_state, 0, "SELECT generation::text FROM sandbox_state FOR UPDATE");
DB_STMT(q_insert_state, 1,
        "INSERT INTO sandbox_state (generation, base_url) VALUES (1, $1)");
DB_STMT(q_update_state, 1,
        "UPDATE sandbox_state SET generation = generation + 1, base_url = $1, "
        "refreshed_at = now() RETURNING generation::text");
DB_STMT(q_keys, 0, "SELECT name, key_pem, cert_der FROM sandbox_keys ORDER BY name");
DB_STMT(q_put_key, 3,
        "INSERT INTO sandbox_keys (name, key_pem, cert_der) VALUES ($1, $2, $3) "
        "ON CONFLICT (name) DO NOTHING");
DB_STMT(q_clear, 0, "DELETE FROM sandbox_objects");
DB_STMT(q_put, 3, "INSERT INTO sandbox_objects (path, content_type, body) VALUES ($1, $2, $3)");
DB_STMT(q_notify, 1, "SELECT pg_notify('troth_sandbox', $1)");

struct gen_arg {
    const char *base;
    bool refresh;
    const struct audit_actor *actor;
    json_t *summary;
    char *err;
    size_t errlen;
};

static enum db_rc load_keys(struct db *db, json_t *keys, json_t *certs)
{
    PGresult *res;
    enum db_rc rc = db_exec_bin(db, &q_keys, &res, NULL, NULL, NULL, 1);
    if (rc != DB_OK)
        return rc;
    for (int i = 0; i < PQntuples(res); i++) {
        const char *name = PQgetvalue(res, i, 0);
        json_object_set_new(keys, name,
                            json_stringn(PQgetvalue(res, i, 1), (size_t)PQgetlength(res, i, 1)));
        if (!PQgetisnull(res, i, 2)) {
            char *b64 = pki_base64((const unsigned char *)PQgetvalue(res, i, 2),
                                   (size_t)PQgetlength(res, i, 2));
            if (b64)
                json_object_set_new(certs, name, json_string(b64));
            free(b64);
        }
    }
    PQclear(res);
    return DB_OK;
}

static enum db_rc save_keys(struct db *db, json_t *keys, json_t *certs)
{
    const char *name;
    json_t *pem;
    json_object_foreach(keys, name, pem) {
        const char *b64 = json_string_value(json_object_get(certs, name));
        unsigned char *der = NULL;
        int n = 0;
        if (b64) {
            size_t blen = strlen(b64);
            if (!(der = malloc(blen)))
                return DB_ERROR;
            n = EVP_DecodeBlock(der, (const unsigned char *)b64, (int)blen);
            while (n > 0 && blen && b64[--blen] == '=')
                n--;
        }
        const char *p[] = {name, json_string_value(pem), der ? (const char *)der : NULL};
        int lens[] = {0, 0, n}, fmts[] = {0, 0, 1};
        enum db_rc rc = db_exec_bin(db, &q_put_key, NULL, p, lens, fmts, 0);
        free(der);
        if (rc != DB_OK)
            return rc;
    }
    return DB_OK;
}

static enum db_rc gen_tx(struct db *db, void *arg)
{
    struct gen_arg *a = arg;
    PGresult *res;
    enum db_rc rc = db_exec(db, &q_state, &res, NULL);
    if (rc != DB_OK)
        return rc;
    bool exists = PQntuples(res) == 1;
    PQclear(res);
    if (exists != a->refresh)
        return exists ? DB_CONFLICT : DB_NOTFOUND;
    long gen = 1;
    const char *p1[] = {a->base};
    if (a->refresh) {
        if ((rc = db_exec(db, &q_update_state, &res, p1)) != DB_OK)
            return rc;
        gen = strtol(PQgetvalue(res, 0, 0), NULL, 10);
        PQclear(res);
    } else if ((rc = db_exec(db, &q_insert_state, NULL, p1)) != DB_OK)
        return rc;
    json_t *keys = json_object(), *certs = json_object();
    struct sandbox_files files = {0};
    rc = keys && certs ? load_keys(db, keys, certs) : DB_ERROR;
    if (rc == DB_OK && sandbox_build(a->base, gen, time(NULL), keys, certs, &files, a->err,
                                     a->errlen))
        rc = DB_ERROR;
    if (rc == DB_OK)
        rc = save_keys(db, keys, certs);
    json_decref(keys);
    json_decref(certs);
    if (rc == DB_OK)
        rc = db_exec(db, &q_clear, NULL, NULL);
    for (size_t i = 0; rc == DB_OK && i < files.n; i++) {
        const char *p[] = {files.v[i].path, files.v[i].ctype, (const char *)files.v[i].data};
        int lens[] = {0, 0, (int)files.v[i].len}, fmts[] = {0, 0, 1};
        rc = db_exec_bin(db, &q_put, NULL, p, lens, fmts, 0);
    }
    size_t nfiles = files.n;
    sandbox_files_free(&files);
    if (rc != DB_OK)
        return rc;
    char gtext[24];
    snprintf(gtext, sizeof gtext, "%ld", gen);
    rc = audit_write(db, a->actor, a->refresh ? "sandbox.refresh" : "sandbox.init", "sandbox",
                     gtext,
                     json_pack("{s:I, s:s, s:I, s:I}", "generation", (json_int_t)gen,
                               "base_url", a->base, "fixtures", (json_int_t)SB_NFIXTURES,
                               "objects", (json_int_t)nfiles));
    if (rc != DB_OK)
        return rc;
    const char *pn[] = {gtext};
    if ((rc = db_exec(db, &q_notify, NULL, pn)) != DB_OK)
        return rc;
    char idx[600];
    snprintf(idx, sizeof idx, "%s/sandbox/index.json", a->base);
    json_decref(a->summary);
    a->summary = json_pack("{s:I, s:s, s:I, s:s, s:s}", "generation", (json_int_t)gen,
                           "base_url", a->base, "fixtures", (json_int_t)SB_NFIXTURES,
                           "index_url", idx, "anchors_url", "");
    if (a->summary) {
        char anchors[600];
        snprintf(anchors, sizeof anchors, "%s/sandbox/anchors.pem", a->base);
        json_object_set_new(a->summary, "anchors_url", json_string(anchors));
    }
    return DB_OK;
}

enum db_rc sandbox_generate(struct db *db, const char *base_url, bool refresh,
                            const struct audit_actor *actor, json_t **summary,
                            char *err, size_t errlen)
{
    char base[400];
    snprintf(base, sizeof base, "%s", base_url);
    size_t n = strlen(base);
    while (n && base[n - 1] == '/')
        base[--n] = 0;
    err[0] = 0;
    struct gen_arg a = {base, refresh, actor, NULL, err, errlen};
    enum db_rc rc = db_tx(db, DB_READ_COMMITTED, gen_tx, &a);
    if (rc == DB_OK)
        *summary = a.summary;
    else
        json_decref(a.summary);
    return rc;
}

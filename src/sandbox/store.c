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

DB_STMT(q_state, 0, "SELECT generation::text FROM sandbox_state");
DB_STMT(q_state_lock, 0, "SELECT generation::text FROM sandbox_state FOR UPDATE");
DB_STMT(q_insert_state, 2,
        "INSERT INTO sandbox_state (generation, base_url) VALUES ($1::bigint, $2)");
DB_STMT(q_update_state, 2,
        "UPDATE sandbox_state SET generation = $1::bigint, base_url = $2, refreshed_at = now()");
DB_STMT(q_keys, 0, "SELECT name, key_pem, cert_der FROM sandbox_keys ORDER BY name");
DB_STMT(q_put_key, 3,
        "INSERT INTO sandbox_keys (name, key_pem, cert_der) VALUES ($1, $2, $3) "
        "ON CONFLICT (name) DO NOTHING");
DB_STMT(q_clear, 0, "DELETE FROM sandbox_objects");
DB_STMT(q_put, 3, "INSERT INTO sandbox_objects (path, content_type, body) VALUES ($1, $2, $3)");
DB_STMT(q_notify, 1, "SELECT pg_notify('troth_sandbox', $1)");

struct commit_arg {
    struct sandbox_job *j;
    const struct audit_actor *actor;
    json_t *summary;
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

/* The generation there is now: 0 when none. */
static enum db_rc current_gen(struct db *db, struct db_stmt *st, long *gen)
{
    PGresult *res;
    enum db_rc rc = db_exec(db, st, &res, NULL);
    if (rc != DB_OK)
        return rc;
    *gen = PQntuples(res) == 1 ? strtol(PQgetvalue(res, 0, 0), NULL, 10) : 0;
    PQclear(res);
    return DB_OK;
}

enum db_rc sandbox_prepare(struct db *db, const char *base_url, bool refresh,
                           struct sandbox_job *j)
{
    memset(j, 0, sizeof *j);
    snprintf(j->base, sizeof j->base, "%s", base_url);
    size_t n = strlen(j->base);
    while (n && j->base[n - 1] == '/')
        j->base[--n] = 0;
    j->refresh = refresh;
    long gen;
    enum db_rc rc = current_gen(db, &q_state, &gen);
    if (rc != DB_OK)
        return rc;
    if ((gen > 0) != refresh)
        return gen > 0 ? DB_CONFLICT : DB_NOTFOUND;
    j->gen = gen + 1;
    j->keys = json_object();
    j->certs = json_object();
    if (!j->keys || !j->certs)
        return DB_ERROR;
    return load_keys(db, j->keys, j->certs);
}

int sandbox_job_build(struct sandbox_job *j)
{
    j->now = time(NULL);
    return sandbox_build(j->base, j->gen, j->now, j->keys, j->certs, &j->files, j->err,
                         sizeof j->err);
}

void sandbox_job_free(struct sandbox_job *j)
{
    json_decref(j->keys);
    json_decref(j->certs);
    j->keys = j->certs = NULL;
    sandbox_files_free(&j->files);
}

static enum db_rc commit_tx(struct db *db, void *arg)
{
    struct commit_arg *a = arg;
    struct sandbox_job *j = a->j;
    long gen;
    enum db_rc rc = current_gen(db, &q_state_lock, &gen);
    if (rc != DB_OK)
        return rc;
    if (gen != j->gen - 1) /* another init or refresh came first */
        return j->refresh && gen == 0 ? DB_NOTFOUND : DB_CONFLICT;
    char gtext[24];
    snprintf(gtext, sizeof gtext, "%ld", j->gen);
    const char *p2[] = {gtext, j->base};
    if ((rc = db_exec(db, j->refresh ? &q_update_state : &q_insert_state, NULL, p2)) != DB_OK)
        return rc;
    if ((rc = save_keys(db, j->keys, j->certs)) != DB_OK)
        return rc;
    if ((rc = db_exec(db, &q_clear, NULL, NULL)) != DB_OK)
        return rc;
    for (size_t i = 0; rc == DB_OK && i < j->files.n; i++) {
        const char *p[] = {j->files.v[i].path, j->files.v[i].ctype,
                           (const char *)j->files.v[i].data};
        int lens[] = {0, 0, (int)j->files.v[i].len}, fmts[] = {0, 0, 1};
        rc = db_exec_bin(db, &q_put, NULL, p, lens, fmts, 0);
    }
    if (rc != DB_OK)
        return rc;
    rc = audit_write(db, a->actor, j->refresh ? "sandbox.refresh" : "sandbox.init", "sandbox",
                     gtext,
                     json_pack("{s:I, s:s, s:I, s:I}", "generation", (json_int_t)j->gen,
                               "base_url", j->base, "fixtures", (json_int_t)SB_NFIXTURES,
                               "objects", (json_int_t)j->files.n));
    if (rc != DB_OK)
        return rc;
    const char *pn[] = {gtext};
    if ((rc = db_exec(db, &q_notify, NULL, pn)) != DB_OK)
        return rc;
    char idx[600], anchors[600];
    snprintf(idx, sizeof idx, "%s/sandbox/index.json", j->base);
    snprintf(anchors, sizeof anchors, "%s/sandbox/anchors.pem", j->base);
    json_decref(a->summary);
    a->summary = json_pack("{s:I, s:s, s:I, s:s, s:s}", "generation", (json_int_t)j->gen,
                           "base_url", j->base, "fixtures", (json_int_t)SB_NFIXTURES,
                           "index_url", idx, "anchors_url", anchors);
    return DB_OK;
}

enum db_rc sandbox_commit(struct db *db, struct sandbox_job *j,
                          const struct audit_actor *actor, json_t **summary)
{
    struct commit_arg a = {j, actor, NULL};
    enum db_rc rc = db_tx(db, DB_READ_COMMITTED, commit_tx, &a);
    if (rc == DB_OK)
        *summary = a.summary;
    else
        json_decref(a.summary);
    return rc;
}

enum db_rc sandbox_generate(struct db *db, const char *base_url, bool refresh,
                            const struct audit_actor *actor, json_t **summary,
                            char *err, size_t errlen)
{
    struct sandbox_job j;
    err[0] = 0;
    enum db_rc rc = sandbox_prepare(db, base_url, refresh, &j);
    if (rc == DB_OK && sandbox_job_build(&j)) {
        snprintf(err, errlen, "%s", j.err);
        rc = DB_ERROR;
    }
    if (rc == DB_OK)
        rc = sandbox_commit(db, &j, actor, summary);
    sandbox_job_free(&j);
    return rc;
}

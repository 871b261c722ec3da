/* The community's trust context: its root CAs as anchors, its other CA
 * certificates as published intermediates, the CRLs the public listener
 * serves right now (from the publication cache, parsed once per CRL
 * version), and member URIs from the database. */
#include "udap/community.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "ca/publish.h"
#include "ca/registry.h"
#include "db/db.h"
#include "util/validate.h"

#define CACHE_MAX 16

/* Parsed CRLs, one per CA, replaced when the published ETag changes. */
static struct {
    char ca[CA_ID_MAX];
    char etag[24];
    X509_CRL *crl;
} cache[CACHE_MAX];
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;

static X509_CRL *crl_of(const char *ca_id)
{
    struct pub_blob *b = publish_get_crl(ca_id);
    if (!b)
        return NULL;
    X509_CRL *out = NULL;
    pthread_mutex_lock(&cache_lock);
    int slot = -1, free_slot = -1;
    for (int i = 0; i < CACHE_MAX; i++) {
        if (!strcmp(cache[i].ca, ca_id))
            slot = i;
        else if (!cache[i].ca[0] && free_slot < 0)
            free_slot = i;
    }
    if (slot >= 0 && !strcmp(cache[slot].etag, b->etag))
        out = cache[slot].crl;
    else {
        const unsigned char *p = b->data;
        out = d2i_X509_CRL(NULL, &p, (long)b->len);
        if (slot < 0)
            slot = free_slot;
        if (out && slot >= 0) {
            X509_CRL_free(cache[slot].crl);
            snprintf(cache[slot].ca, sizeof cache[slot].ca, "%s", ca_id);
            snprintf(cache[slot].etag, sizeof cache[slot].etag, "%s", b->etag);
            cache[slot].crl = out;
        } else if (out) { /* no room: use it once */
            pthread_mutex_unlock(&cache_lock);
            pub_blob_release(b);
            return out;
        }
    }
    if (out)
        X509_CRL_up_ref(out);
    pthread_mutex_unlock(&cache_lock);
    pub_blob_release(b);
    return out;
}

DB_STMT(q_owner, 1,
        "SELECT m.id::text, m.name, m.status, u.status FROM member_uris u "
        "JOIN members m ON m.id = u.member_id WHERE u.uri = $1 "
        "AND u.status <> 'declined' "
        /* the approved owner; else the first of the pending proposals */
        "ORDER BY u.status = 'approved' DESC, u.id LIMIT 1");
DB_STMT(q_looks, 2,
        "SELECT uri FROM member_uris WHERE lookalike_key = $1 AND uri <> $2 "
        "ORDER BY id LIMIT 5");

static int lookup(void *cls, const char *uri, struct udap_owner *o, json_t *looks)
{
    struct db *db = cls;
    memset(o, 0, sizeof *o);
    if (strlen(uri) > URI_MAX)
        return 0; /* never registered: URIs are at most URI_MAX bytes */
    PGresult *res;
    const char *p[] = {uri};
    if (db_exec(db, &q_owner, &res, p) != DB_OK)
        return -1;
    if (PQntuples(res) == 1) {
        o->found = true;
        snprintf(o->member_id, sizeof o->member_id, "%s", PQgetvalue(res, 0, 0));
        snprintf(o->member_name, sizeof o->member_name, "%s", PQgetvalue(res, 0, 1));
        snprintf(o->member_status, sizeof o->member_status, "%s", PQgetvalue(res, 0, 2));
        snprintf(o->uri_status, sizeof o->uri_status, "%s", PQgetvalue(res, 0, 3));
        o->active = !strcmp(o->member_status, "active") && !strcmp(o->uri_status, "approved");
    }
    PQclear(res);
    char key[URI_MAX + 1];
    if (o->found || uri_lookalike_key(uri, key, sizeof key))
        return 0;
    const char *p2[] = {key, uri};
    if (db_exec(db, &q_looks, &res, p2) != DB_OK)
        return -1;
    for (int i = 0; i < PQntuples(res); i++)
        json_array_append_new(looks, json_string(PQgetvalue(res, i, 0)));
    PQclear(res);
    return 0;
}

int udap_trust_community(struct udap_trust *t, const struct ca_set *set, struct db *db)
{
    memset(t, 0, sizeof *t);
    t->label = "community";
    t->anchors = sk_X509_new_null();
    t->intermediates = sk_X509_new_null();
    t->lookup = lookup;
    t->lookup_cls = db;
    if (!t->anchors || !t->intermediates)
        return -1;
    for (size_t i = 0; set && i < set->n; i++) {
        const struct ca_info *c = &set->cas[i];
        X509_up_ref(c->cert);
        sk_X509_push(strcmp(c->kind, "root") ? t->intermediates : t->anchors, c->cert);
        X509_CRL *crl = crl_of(c->id);
        if (crl && udap_trust_add_crl(t, c->crl_url, crl))
            return -1;
    }
    return 0;
}

void udap_community_shutdown(void)
{
    pthread_mutex_lock(&cache_lock);
    for (int i = 0; i < CACHE_MAX; i++) {
        X509_CRL_free(cache[i].crl);
        memset(&cache[i], 0, sizeof cache[i]);
    }
    pthread_mutex_unlock(&cache_lock);
}

struct audit_arg {
    const struct audit_actor *actor;
    const char *trust;
    json_t *result;
};

static enum db_rc audit_tx(struct db *db, void *arg)
{
    struct audit_arg *a = arg;
    const char *iss = json_string_value(json_object_get(a->result, "iss"));
    char short_iss[URI_MAX + 1] = "";
    if (iss)
        snprintf(short_iss, sizeof short_iss, "%s", iss);
    json_t *d = json_pack("{s:b, s:O, s:O, s:o, s:s}", "valid",
                          json_is_true(json_object_get(a->result, "valid")), "kind",
                          json_object_get(a->result, "kind"), "error",
                          json_object_get(a->result, "error"), "iss",
                          iss ? json_string(short_iss) : json_null(), "trust",
                          a->trust);
    return audit_write(db, a->actor, "udap.validate", "udap_jwt", "", d);
}

enum db_rc udap_validate_community(struct db *db, const struct udap_input *in,
                                   const struct audit_actor *actor, json_t **out)
{
    struct udap_trust t;
    *out = NULL;
    if (udap_trust_community(&t, ca_current(), db)) {
        udap_trust_free(&t);
        return DB_ERROR;
    }
    enum db_rc rc = udap_validate_audited(db, &t, in, actor, out);
    udap_trust_free(&t);
    return rc;
}

enum db_rc udap_validate_audited(struct db *db, const struct udap_trust *t,
                                 const struct udap_input *in,
                                 const struct audit_actor *actor, json_t **out)
{
    *out = NULL;
    bool lookup_failed = false;
    json_t *res = udap_validate(t, in, &lookup_failed);
    if (!res)
        return DB_ERROR;
    if (lookup_failed) {
        json_decref(res);
        return db_is_up(db) ? DB_ERROR : DB_UNAVAILABLE;
    }
    struct audit_arg a = {actor, t->label ? t->label : "community", res};
    enum db_rc rc = db_tx(db, DB_READ_COMMITTED, audit_tx, &a);
    if (rc != DB_OK) {
        json_decref(res);
        return rc;
    }
    *out = res;
    return DB_OK;
}

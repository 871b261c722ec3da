/* What /sandbox/ serves, from memory, apart from the production
 * publication (ca/publish.c never sees a sandbox object): one immutable
 * generation, swapped whole when NOTIFY troth_sandbox says a new one was
 * stored; and the same generation parsed as the validator's sandbox trust
 * context. */
#include "sandbox/sandbox.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ca/publish.h"

struct sb_obj {
    char path[96];
    char ctype[48];
    struct pub_blob *blob;
};

struct sb_pub {
    atomic_int refs;
    struct sb_obj *objs;
    size_t n;
    STACK_OF(X509) *anchors, *cas;
    struct udap_crl *crls;
    size_t ncrls;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct sb_pub *current;

static void pub_release(struct sb_pub *p)
{
    if (!p || atomic_fetch_sub(&p->refs, 1) != 1)
        return;
    for (size_t i = 0; i < p->n; i++)
        pub_blob_release(p->objs[i].blob);
    free(p->objs);
    sk_X509_pop_free(p->anchors, X509_free);
    sk_X509_pop_free(p->cas, X509_free);
    for (size_t i = 0; i < p->ncrls; i++)
        X509_CRL_free(p->crls[i].crl);
    free(p->crls);
    free(p);
}

static struct sb_pub *pub_get(void)
{
    pthread_mutex_lock(&lock);
    struct sb_pub *p = current;
    if (p)
        atomic_fetch_add(&p->refs, 1);
    pthread_mutex_unlock(&lock);
    return p;
}

static void pub_swap(struct sb_pub *p)
{
    pthread_mutex_lock(&lock);
    struct sb_pub *old = current;
    current = p;
    pthread_mutex_unlock(&lock);
    pub_release(old);
}

/* Parses what the validator needs of one object. */
static int parse_obj(struct sb_pub *p, const char *base, const char *path,
                     const unsigned char *data, size_t len, time_t *expires)
{
    size_t pl = strlen(path);
    if (!strcmp(path, "anchors.pem")) {
        BIO *bio = BIO_new_mem_buf(data, (int)len);
        X509 *x;
        while (bio && (x = PEM_read_bio_X509(bio, NULL, NULL, NULL)))
            sk_X509_push(p->anchors, x);
        ERR_clear_error();
        BIO_free(bio);
    } else if (!strncmp(path, "ca/", 3) && pl > 4 && !strcmp(path + pl - 4, ".crt")) {
        const unsigned char *q = data;
        X509 *x = d2i_X509(NULL, &q, (long)len);
        if (x)
            sk_X509_push(p->cas, x);
    } else if (!strncmp(path, "crl/", 4) && pl > 4 && !strcmp(path + pl - 4, ".crl")) {
        const unsigned char *q = data;
        X509_CRL *crl = d2i_X509_CRL(NULL, &q, (long)len);
        struct udap_crl *n = crl ? realloc(p->crls, (p->ncrls + 1) * sizeof *n) : NULL;
        if (!n) {
            X509_CRL_free(crl);
            return crl ? -1 : 0;
        }
        p->crls = n;
        snprintf(n[p->ncrls].url, sizeof n[p->ncrls].url, "%s/sandbox/%s", base, path);
        n[p->ncrls++].crl = crl;
        const ASN1_TIME *nu = X509_CRL_get0_nextUpdate(crl);
        struct tm tm;
        if (nu && ASN1_TIME_to_tm(nu, &tm))
            *expires = timegm(&tm);
    }
    return 0;
}

DB_STMT(q_load, 0,
        "SELECT o.path, o.content_type, o.body, s.base_url, "
        "extract(epoch FROM s.refreshed_at)::bigint::text "
        "FROM sandbox_objects o CROSS JOIN sandbox_state s ORDER BY o.path");

int sandbox_publish_load(struct db *db)
{
    PGresult *res;
    /* text results: bytea comes hex-escaped, unescaped below */
    if (db_exec(db, &q_load, &res, NULL) != DB_OK)
        return -1;
    int n = PQntuples(res);
    if (n == 0) {
        PQclear(res);
        pub_swap(NULL);
        return 1;
    }
    struct sb_pub *p = calloc(1, sizeof *p);
    int rc = p ? 0 : -1;
    if (p) {
        atomic_init(&p->refs, 1);
        p->objs = calloc((size_t)n, sizeof *p->objs);
        p->anchors = sk_X509_new_null();
        p->cas = sk_X509_new_null();
        if (!p->objs || !p->anchors || !p->cas)
            rc = -1;
    }
    for (int i = 0; !rc && i < n; i++) {
        size_t len = 0;
        unsigned char *data = PQunescapeBytea((const unsigned char *)PQgetvalue(res, i, 2), &len);
        time_t modified = (time_t)strtoll(PQgetvalue(res, i, 4), NULL, 10), expires = 0;
        struct sb_obj *o = &p->objs[p->n];
        snprintf(o->path, sizeof o->path, "%s", PQgetvalue(res, i, 0));
        snprintf(o->ctype, sizeof o->ctype, "%s", PQgetvalue(res, i, 1));
        if (!data || parse_obj(p, PQgetvalue(res, i, 3), o->path, data, len, &expires) ||
            !(o->blob = pub_blob_copy(data, len, modified)))
            rc = -1;
        else {
            o->blob->expires = expires;
            p->n++;
        }
        PQfreemem(data);
    }
    PQclear(res);
    if (rc) {
        pub_release(p);
        return -1;
    }
    pub_swap(p);
    return 0;
}

struct pub_blob *sandbox_get_typed(const char *path, char *ctype, size_t len)
{
    struct sb_pub *p = pub_get();
    struct pub_blob *b = NULL;
    for (size_t i = 0; p && i < p->n; i++)
        if (!strcmp(p->objs[i].path, path)) {
            b = p->objs[i].blob;
            atomic_fetch_add(&b->refs, 1);
            snprintf(ctype, len, "%s", p->objs[i].ctype);
            break;
        }
    pub_release(p);
    return b;
}

struct pub_blob *sandbox_get(const char *path)
{
    char ctype[48];
    return sandbox_get_typed(path, ctype, sizeof ctype);
}

int sandbox_trust(struct udap_trust *t)
{
    memset(t, 0, sizeof *t);
    t->label = "sandbox";
    struct sb_pub *p = pub_get();
    if (!p)
        return -1;
    t->anchors = sk_X509_new_null();
    t->intermediates = sk_X509_new_null();
    int rc = t->anchors && t->intermediates ? 0 : -1;
    for (int i = 0; !rc && i < sk_X509_num(p->anchors); i++) {
        X509_up_ref(sk_X509_value(p->anchors, i));
        sk_X509_push(t->anchors, sk_X509_value(p->anchors, i));
    }
    for (int i = 0; !rc && i < sk_X509_num(p->cas); i++) {
        X509_up_ref(sk_X509_value(p->cas, i));
        sk_X509_push(t->intermediates, sk_X509_value(p->cas, i));
    }
    for (size_t i = 0; !rc && i < p->ncrls; i++) {
        X509_CRL_up_ref(p->crls[i].crl);
        rc = udap_trust_add_crl(t, p->crls[i].url, p->crls[i].crl);
    }
    pub_release(p);
    return rc;
}

void sandbox_publish_shutdown(void)
{
    pub_swap(NULL);
}

/* ---- the watcher thread of troth serve ---- */

static struct {
    pthread_t thread;
    atomic_bool stop;
    bool running;
} W;

static void *watch(void *arg)
{
    (void)arg;
    struct db *db = db_thread();
    PGconn *listening = NULL;
    while (!atomic_load(&W.stop)) {
        PGconn *conn = db_conn(db);
        if (conn && conn != listening) {
            PGresult *r = PQexec(conn, "LISTEN troth_sandbox");
            if (PQresultStatus(r) == PGRES_COMMAND_OK) {
                listening = conn;
                sandbox_publish_load(db); /* (re)connected: what is there now */
            }
            PQclear(r);
        }
        if (!listening || PQstatus(listening) != CONNECTION_OK) {
            listening = NULL;
            poll(NULL, 0, 500);
            continue;
        }
        struct pollfd pfd = {PQsocket(listening), POLLIN, 0};
        if (poll(&pfd, 1, 300) > 0 && !PQconsumeInput(listening)) {
            listening = NULL;
            continue;
        }
        bool changed = false;
        PGnotify *n;
        while ((n = PQnotifies(listening))) {
            changed = true;
            PQfreemem(n);
        }
        if (changed)
            sandbox_publish_load(db);
    }
    db_close(db);
    return NULL;
}

int sandbox_watch_start(void)
{
    atomic_store(&W.stop, false);
    if (pthread_create(&W.thread, NULL, watch, NULL) != 0)
        return -1;
    W.running = true;
    return 0;
}

void sandbox_watch_stop(void)
{
    if (!W.running)
        return;
    atomic_store(&W.stop, true);
    pthread_join(W.thread, NULL);
    W.running = false;
    sandbox_publish_shutdown();
}

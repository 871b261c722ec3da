#include "ca/publish.h"

#include <jansson.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ca/ca_view.h"
#include "ca/registry.h"
#include "pki/encode.h"
#include "util/hex.h"

struct pub_ca {
    const struct ca_info *ca;
    struct pub_blob *cert, *crl;
    uint64_t crl_number;
    time_t this_update, next_update;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct pub_ca *cas;
static size_t n_cas;
static struct pub_blob *anchors_pem, *anchors_json;
static char *g_uri, *g_name;

/* A blob over data, which it takes (freed with the blob, or here on failure). */
static struct pub_blob *blob_take(void *data, size_t len, time_t modified)
{
    struct pub_blob *b = data ? calloc(1, sizeof *b) : NULL;
    if (!b) {
        free(data);
        return NULL;
    }
    b->data = data;
    b->len = len;
    b->fd = -1;
    atomic_init(&b->refs, 1);
    unsigned char md[32];
    EVP_Digest(data, len, md, NULL, EVP_sha256(), NULL);
    char hex[17];
    hex_encode(md, 8, hex);
    snprintf(b->etag, sizeof b->etag, "\"%s\"", hex);
    struct tm tm;
    gmtime_r(&modified, &tm);
    strftime(b->last_modified, sizeof b->last_modified,
             "%a, %d %b %Y %H:%M:%S GMT", &tm);
    return b;
}

static struct pub_blob *blob_new(const void *data, size_t len, time_t modified)
{
    void *copy = malloc(len ? len : 1);
    if (copy)
        memcpy(copy, data, len);
    return blob_take(copy, len, modified);
}

struct pub_blob *pub_blob_copy(const void *data, size_t len, time_t modified)
{
    return blob_new(data, len, modified);
}

/* A CRL past SENDFILE_MIN moves into a sealed memfd, mapped read-only
 * where data was: the public listener sends it from there with sendfile()
 * (no copy through user space, as nginx serves a file), and the process
 * keeps one copy, not two. Where memfds fail, the heap copy stays. */
#define SENDFILE_MIN (16 * 1024)

static void blob_to_memfd(struct pub_blob *b)
{
    if (b->len < SENDFILE_MIN)
        return;
    int fd = memfd_create("troth-crl", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0)
        return;
    size_t done = 0;
    while (done < b->len) {
        ssize_t n = write(fd, b->data + done, b->len - done);
        if (n <= 0)
            break;
        done += (size_t)n;
    }
    void *map = MAP_FAILED;
    if (done == b->len &&
        fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) == 0)
        map = mmap(NULL, b->len, PROT_READ, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED) {
        close(fd);
        return;
    }
    free(b->data);
    b->data = map;
    b->fd = fd;
}

void pub_blob_release(void *blob)
{
    struct pub_blob *b = blob;
    if (b && atomic_fetch_sub(&b->refs, 1) == 1) {
        if (b->fd >= 0) {
            munmap(b->data, b->len);
            close(b->fd);
        } else
            free(b->data);
        free(b);
    }
}

static struct pub_blob *ref(struct pub_blob *b)
{
    if (b)
        atomic_fetch_add(&b->refs, 1);
    return b;
}

/* Rebuilds anchors.pem (roots) and anchors.json (every CA); lock held. */
static void rebuild_anchors(void)
{
    size_t cap = 0;
    for (size_t i = 0; i < n_cas; i++)
        cap += cas[i].ca->der_len * 2 + 128;
    char *pem = malloc(cap + 1);
    size_t used = 0;
    json_t *list = json_array();
    time_t newest = 0;
    for (size_t i = 0; i < n_cas && pem; i++) {
        const struct ca_info *c = cas[i].ca;
        if (!strcmp(c->kind, "root")) {
            char *one = pki_der_to_pem(c->der, c->der_len, "CERTIFICATE");
            size_t l = one ? strlen(one) : 0;
            if (one && used + l <= cap) {
                memcpy(pem + used, one, l);
                used += l;
            }
            free(one);
        }
        json_t *o = ca_json(c);
        if (cas[i].crl) {
            ca_json_add_crl(o, cas[i].crl_number, cas[i].this_update, cas[i].next_update);
            if (cas[i].this_update > newest)
                newest = cas[i].this_update;
        }
        json_array_append_new(list, o);
    }
    json_t *doc = json_pack("{s:{s:s, s:s}, s:o}", "community", "uri", g_uri ? g_uri : "",
                            "name", g_name ? g_name : "", "cas", list);
    char *js = json_dumps(doc, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
    json_decref(doc);
    if (pem) {
        pub_blob_release(anchors_pem);
        anchors_pem = blob_new(pem, used, n_cas ? cas[0].ca->not_before : 0);
    }
    if (js) {
        pub_blob_release(anchors_json);
        anchors_json = blob_new(js, strlen(js), newest ? newest : time(NULL));
    }
    free(pem);
    free(js);
}

int publish_init(const struct ca_set *set, const char *community_uri,
                 const char *community_name)
{
    pthread_mutex_lock(&lock);
    cas = calloc(set->n ? set->n : 1, sizeof *cas);
    n_cas = cas ? set->n : 0;
    g_uri = strdup(community_uri ? community_uri : "");
    g_name = strdup(community_name ? community_name : "");
    for (size_t i = 0; i < n_cas; i++) {
        cas[i].ca = &set->cas[i];
        cas[i].cert = blob_new(set->cas[i].der, set->cas[i].der_len,
                               set->cas[i].not_before);
    }
    rebuild_anchors();
    pthread_mutex_unlock(&lock);
    return cas ? 0 : -1;
}

static struct pub_ca *find(const char *id)
{
    for (size_t i = 0; i < n_cas; i++)
        if (!strcmp(cas[i].ca->id, id))
            return &cas[i];
    return NULL;
}

static void publish_crl_blob(const char *ca_id, struct pub_blob *b, uint64_t number,
                             time_t this_update, time_t next_update)
{
    if (!b)
        return;
    b->expires = next_update;
    blob_to_memfd(b);
    pthread_mutex_lock(&lock);
    struct pub_ca *p = find(ca_id);
    if (p && (!p->crl || number > p->crl_number)) {
        pub_blob_release(p->crl);
        p->crl = b;
        p->crl_number = number;
        p->this_update = this_update;
        p->next_update = next_update;
        b = NULL;
        rebuild_anchors();
    }
    pthread_mutex_unlock(&lock);
    pub_blob_release(b);
}

void publish_crl(const char *ca_id, const unsigned char *der, size_t len,
                 uint64_t number, time_t this_update, time_t next_update)
{
    publish_crl_blob(ca_id, blob_new(der, len, this_update), number, this_update,
                     next_update);
}

void publish_crl_take(const char *ca_id, unsigned char *der, size_t len,
                      uint64_t number, time_t this_update, time_t next_update)
{
    publish_crl_blob(ca_id, blob_take(der, len, this_update), number, this_update,
                     next_update);
}

static struct pub_blob *get(struct pub_blob *const *slot)
{
    pthread_mutex_lock(&lock);
    struct pub_blob *b = ref(*slot);
    pthread_mutex_unlock(&lock);
    return b;
}

struct pub_blob *publish_get_crl(const char *ca_id)
{
    pthread_mutex_lock(&lock);
    struct pub_ca *p = find(ca_id);
    struct pub_blob *b = p ? ref(p->crl) : NULL;
    pthread_mutex_unlock(&lock);
    return b;
}

struct pub_blob *publish_get_cert(const char *ca_id)
{
    pthread_mutex_lock(&lock);
    struct pub_ca *p = find(ca_id);
    struct pub_blob *b = p ? ref(p->cert) : NULL;
    pthread_mutex_unlock(&lock);
    return b;
}

struct pub_blob *publish_get_anchors_pem(void) { return get(&anchors_pem); }
struct pub_blob *publish_get_anchors_json(void) { return get(&anchors_json); }

int publish_crl_info(const char *ca_id, uint64_t *number, time_t *this_update,
                     time_t *next_update)
{
    pthread_mutex_lock(&lock);
    struct pub_ca *p = find(ca_id);
    int rc = -1;
    if (p && p->crl) {
        *number = p->crl_number;
        *this_update = p->this_update;
        *next_update = p->next_update;
        rc = 0;
    }
    pthread_mutex_unlock(&lock);
    return rc;
}

void publish_shutdown(void)
{
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < n_cas; i++) {
        pub_blob_release(cas[i].cert);
        pub_blob_release(cas[i].crl);
    }
    free(cas);
    cas = NULL;
    n_cas = 0;
    pub_blob_release(anchors_pem);
    pub_blob_release(anchors_json);
    anchors_pem = anchors_json = NULL;
    free(g_uri);
    free(g_name);
    g_uri = g_name = NULL;
    pthread_mutex_unlock(&lock);
}

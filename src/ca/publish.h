/* What the public listener serves, from memory: each CA's certificate and
 * newest CRL, and the trust-anchor bundle. Objects are immutable, reference
 * counted blobs; publishing swaps a pointer, so a response in flight keeps
 * the bytes it started with. */
#ifndef TROTH_CA_PUBLISH_H
#define TROTH_CA_PUBLISH_H
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct ca_set;

struct pub_blob {
    atomic_int refs;
    unsigned char *data;
    size_t len;
    char etag[24];          /* "\"<16 hex digits of SHA-256>\"" */
    char last_modified[40]; /* IMF-fixdate */
    time_t expires;         /* a CRL's nextUpdate; 0 for the others */
    int fd;                 /* a sealed memfd holding data (mapped), or -1 */
};

/* A new blob holding a copy of data (one reference), or NULL. */
struct pub_blob *pub_blob_copy(const void *data, size_t len, time_t modified);

/* Drops a reference (also the libmicrohttpd free callback). */
void pub_blob_release(void *blob);

/* Publishes every CA certificate of the set and the anchors. */
int publish_init(const struct ca_set *set, const char *community_uri,
                 const char *community_name);

/* Publishes a CA's new CRL; copies der. Older numbers are ignored. */
void publish_crl(const char *ca_id, const unsigned char *der, size_t len,
                 uint64_t number, time_t this_update, time_t next_update);
/* The same, taking der (malloc'd) instead of copying it: no second copy of
 * a large CRL while it is published. */
void publish_crl_take(const char *ca_id, unsigned char *der, size_t len,
                      uint64_t number, time_t this_update, time_t next_update);

/* A new reference to the current object, or NULL (release it). */
struct pub_blob *publish_get_crl(const char *ca_id);
struct pub_blob *publish_get_cert(const char *ca_id);
struct pub_blob *publish_get_anchors_pem(void);
struct pub_blob *publish_get_anchors_json(void);

/* The CA's published CRL: 0 and its facts, or -1 when none yet. */
int publish_crl_info(const char *ca_id, uint64_t *number, time_t *this_update,
                     time_t *next_update);

/* Frees everything (at shutdown). */
void publish_shutdown(void);

#endif

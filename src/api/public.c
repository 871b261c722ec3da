/* The public listener's PKI objects, from memory: GET /crl/{ca}.crl,
 * /ca/{ca}.crt, /anchors.pem, /anchors.json, with ETag, Last-Modified,
 * Cache-Control bounded by the CRL's nextUpdate, 304 and HEAD. */
#include "api/handlers.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ca/publish.h"
#include "http/http.h"

#define MAX_AGE 300

/* True if an If-None-Match header names this ETag (or is "*"). */
static bool etag_matches(const char *inm, const char *etag)
{
    size_t el = strlen(etag);
    for (const char *p = inm; *p;) {
        while (*p == ' ' || *p == ',')
            p++;
        if (!strncmp(p, "W/", 2))
            p += 2;
        if (*p == '*')
            return true;
        if (!strncmp(p, etag, el) && (p[el] == 0 || p[el] == ',' || p[el] == ' '))
            return true;
        const char *next = strchr(p, ',');
        if (!next)
            break;
        p = next;
    }
    return false;
}

void serve_blob(struct req *r, struct pub_blob *b, const char *ctype,
                       const char *what)
{
    if (!b) {
        reply_problem(r, PK_NOT_FOUND, NULL, "no such %s", what);
        return;
    }
    long age = MAX_AGE;
    if (b->expires) {
        long left = (long)(b->expires - time(NULL));
        if (left < age)
            age = left > 0 ? left : 0;
    }
    char cc[48];
    if (age > 0)
        snprintf(cc, sizeof cc, "public, max-age=%ld", age);
    else
        snprintf(cc, sizeof cc, "no-cache");
    const char *inm = req_header(r, "If-None-Match");
    const char *ims = req_header(r, "If-Modified-Since");
    bool fresh = inm ? etag_matches(inm, b->etag)
                     : (ims && !strcmp(ims, b->last_modified));
    /* a large CRL goes out of its memfd by sendfile (a descriptor of its
     * own: the response closes it); otherwise the response keeps the
     * reference until it is sent */
    int fd = fresh || b->fd < 0 ? -1 : fcntl(b->fd, F_DUPFD_CLOEXEC, 0);
    bool keep = false;
    if (fresh)
        reply_empty(r, 304);
    else if (fd >= 0)
        reply_fd(r, 200, ctype, fd, b->len);
    else {
        reply_shared(r, 200, ctype, b->data, b->len, pub_blob_release, b);
        keep = true;
    }
    reply_header(r, "ETag", b->etag);
    reply_header(r, "Last-Modified", b->last_modified);
    reply_header(r, "Cache-Control", cc);
    if (!keep)
        pub_blob_release(b);
}

void h_public_crl(struct req *r)
{
    serve_blob(r, publish_get_crl(req_param(r, "ca")), "application/pkix-crl", "CRL");
}

void h_public_ca_cert(struct req *r)
{
    serve_blob(r, publish_get_cert(req_param(r, "ca")), "application/pkix-cert",
               "CA certificate");
}

void h_public_anchors_pem(struct req *r)
{
    serve_blob(r, publish_get_anchors_pem(), "application/pem-certificate-chain",
               "trust anchor");
}

void h_public_anchors_json(struct req *r)
{
    serve_blob(r, publish_get_anchors_json(), "application/json", "trust anchor");
}

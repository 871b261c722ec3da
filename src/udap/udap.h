/* UDAP JWT validation: what a relying party checks of a member's signed
 * software statement (IG §3.1), signed server metadata (§2.3) or
 * authentication JWT (§5.2.2), against one trust context (the community's
 * anchors and CRLs, or the conformance sandbox's). Every finding is a check
 * {name, ok, detail, reference}; malformed input is a failed check, never
 * an error of the caller. */
#ifndef TROTH_UDAP_H
#define TROTH_UDAP_H
#include <jansson.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* Largest compact JWT looked at (a 4-certificate RSA-4096 x5c is ~12 KB). */
#define UDAP_JWT_MAX (48 * 1024)
/* Most certificates an x5c may hold. */
#define UDAP_X5C_MAX 8

enum udap_kind {
    UDAP_AUTO = 0,
    UDAP_SOFTWARE_STATEMENT,
    UDAP_SIGNED_METADATA,
    UDAP_CLIENT_ASSERTION,
};

/* "software_statement" ... "auto" -> kind; -1 when unknown. */
int udap_kind_parse(const char *s);
const char *udap_kind_name(enum udap_kind k);

/* Where a URI is registered. */
struct udap_owner {
    bool found;            /* some member registered it */
    bool active;           /* approved, and its member is active */
    char member_id[24];
    char member_name[260];
    char member_status[16];
    char uri_status[16];
};

/* Looks a URI up byte-exact; appends registered look-alikes (strings) to
 * `lookalikes`. Returns 0, or -1 when the registry cannot answer. */
typedef int (*udap_lookup_fn)(void *cls, const char *uri, struct udap_owner *out,
                              json_t *lookalikes);

/* A CRL as relying parties fetch it: the URL it is published at. */
struct udap_crl {
    char url[512];
    X509_CRL *crl;
};

struct udap_trust {
    const char *label;              /* "community" or "sandbox" */
    STACK_OF(X509) *anchors;        /* trusted roots */
    STACK_OF(X509) *intermediates;  /* CA certificates published besides x5c */
    struct udap_crl *crls;
    size_t ncrls;
    udap_lookup_fn lookup;
    void *lookup_cls;
};

struct udap_input {
    const char *jwt;
    size_t jwt_len;
    enum udap_kind kind;
    const char *audience;  /* NULL: aud is only required, not compared */
    const char *base_url;  /* metadata: the FHIR base URL it was fetched for */
    bool show_owner;       /* staff: name the member a URI belongs to */
    time_t now;
};

/* {valid, kind, error, iss, checks: [{name, ok, detail, reference}],
 * chain: [{subject, issuer, serial, not_before, not_after, source}]}.
 * Returns NULL only when out of memory, or with *lookup_failed set when the
 * registry could not answer (the caller answers 503). */
json_t *udap_validate(const struct udap_trust *t, const struct udap_input *in,
                      bool *lookup_failed);

/* Adds a CRL (takes it) to a trust context. */
int udap_trust_add_crl(struct udap_trust *t, const char *url, X509_CRL *crl);
/* Frees what a trust context holds (not the struct). */
void udap_trust_free(struct udap_trust *t);

#endif

/* Shared by the parts of the validator (jws.c, chain.c, claims.c,
 * validate.c); not for other code. */
#ifndef TROTH_UDAP_INTERNAL_H
#define TROTH_UDAP_INTERNAL_H
#include <jansson.h>
#include <openssl/x509.h>
#include <stdbool.h>

#include "udap/udap.h"

/* Which UDAP error a failed check leads to. */
enum fail_class { FAIL_CLAIMS, FAIL_TRUST };

struct vctx {
    const struct udap_trust *t;
    const struct udap_input *in;
    enum udap_kind kind;
    json_t *checks;          /* the list answered */
    bool failed;
    enum fail_class first;   /* class of the first failed check */
    bool lookup_failed;
    /* from the JWS */
    json_t *header, *claims; /* objects, or NULL */
    const char *alg;         /* in header */
    STACK_OF(X509) *x5c;     /* decoded, in order; leaf first */
    X509 *leaf;              /* x5c[0] */
    bool key_ok;             /* alg fits the leaf key */
    /* chain as built to an anchor (NULL when it could not be) */
    STACK_OF(X509) *chain;
};

/* Appends a check. `ref` cites the IG or RFC section. */
void check(struct vctx *v, const char *name, bool ok, enum fail_class cls,
           const char *ref, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* jws.c: format, header, signature. Returns false when nothing after the
 * format check can be looked at. */
bool jws_checks(struct vctx *v);
/* chain.c: chain, validity, CDP, revocation of every certificate. */
void chain_checks(struct vctx *v);
/* claims.c: kind detection, iss/SAN, sub, aud, exp/iat, jti, base_url,
 * registration. */
void claims_checks(struct vctx *v);

/* A certificate's subject as an RFC 2253 string. */
void udap_name(const X509_NAME *n, char *out, size_t len);

#endif

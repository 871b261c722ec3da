/* The sandbox's CAs and fixtures as data: what each is for and the verdict
 * a relying party must reach on its software statement and its signed
 * metadata (the validator and an independent check are tested against
 * these). Only build.c includes this. */
#ifndef TROTH_SANDBOX_FIXTURES_H
#define TROTH_SANDBOX_FIXTURES_H
#include <stdbool.h>

#define DAY (24L * 3600)

enum crl_mode { CRL_CURRENT, CRL_EXPIRED, CRL_FUTURE, CRL_WRONG_KEY };

struct sb_ca {
    const char *name, *cn;
    int parent;        /* index, -1 for a root */
    enum crl_mode crl;
    bool published;    /* served at /sandbox/ca/NAME.crt (the root: an anchor) */
    const char *about;
};

enum { CA_ROOT, CA_ISSUING, CA_CRL_EXPIRED, CA_CRL_FUTURE, CA_CRL_WRONG_KEY,
       CA_UNPUB_ROOT, CA_UNPUB_ISSUING, CA_COUNT };

static const struct sb_ca sb_cas[CA_COUNT] = {
    {"root", "Troth SANDBOX Root CA", -1, CRL_CURRENT, true,
     "the sandbox's only trust anchor (/sandbox/anchors.pem)"},
    {"issuing", "Troth SANDBOX Issuing CA", CA_ROOT, CRL_CURRENT, true,
     "issues the fixtures; its CRL is current"},
    {"issuing-crl-expired", "Troth SANDBOX Issuing CA (expired CRL)", CA_ROOT, CRL_EXPIRED,
     true, "its CRL's nextUpdate is 3 days in the past"},
    {"issuing-crl-future", "Troth SANDBOX Issuing CA (CRL from the future)", CA_ROOT,
     CRL_FUTURE, true, "its CRL's thisUpdate is 3 days in the future"},
    {"issuing-crl-wrong-key", "Troth SANDBOX Issuing CA (CRL signed by the wrong key)",
     CA_ROOT, CRL_WRONG_KEY, true,
     "its CRL names it as issuer but is signed by another key"},
    {"unpublished-root", "Troth SANDBOX Unpublished Root CA", -1, CRL_CURRENT, false,
     "a root that is not a sandbox anchor"},
    {"unpublished-issuing", "Troth SANDBOX Unpublished Issuing CA", CA_UNPUB_ROOT,
     CRL_CURRENT, false, "issuing CA below the unpublished root"},
};

/* The verdict expected of one JWT: valid, or the error, the first check
 * that fails and a phrase of its detail. */
struct sb_expect {
    bool valid;
    const char *error, *check, *says;
};

enum cdp_mode { CDP_OK, CDP_NONE, CDP_404, CDP_LDAP };
enum iss_mode { ISS_SAN, ISS_LOOKALIKE, ISS_BASE_URL };

struct sb_fixture {
    const char *name, *about;
    const char *key;  /* pki_key_generate spec */
    int ca;
    bool server;      /* SAN is a FHIR base URL (else an app's client URI) */
    long not_before, not_after; /* seconds from now */
    int reason;       /* -1: not revoked; an RFC 5280 CRLReason code */
    enum cdp_mode cdp;
    enum iss_mode iss;
    struct sb_expect ss, md;
};

#define OK_ {true, NULL, NULL, NULL}
#define SS_TRUST(c, s) {false, "unapproved_software_statement", c, s}
#define SS_CLAIMS(c, s) {false, "invalid_software_statement", c, s}
#define MD(c, s) {false, "invalid_signed_metadata", c, s}
#define LIFE -DAY, 397 * DAY

static const struct sb_fixture sb_fixtures[] = {
    {"valid-client", "a valid client certificate (RSA-2048, RS256)", "RSA-2048", CA_ISSUING,
     false, LIFE, -1, CDP_OK, ISS_SAN, OK_, OK_},
    {"valid-server", "a valid server certificate whose SAN is the FHIR base URL (RS256)",
     "RSA-2048", CA_ISSUING, true, LIFE, -1, CDP_OK, ISS_SAN, OK_, OK_},
    {"expired", "the leaf expired 30 days ago", "RSA-2048", CA_ISSUING, false, -400 * DAY,
     -30 * DAY, -1, CDP_OK, ISS_SAN, SS_TRUST("validity", "expired at"),
     MD("validity", "expired at")},
    {"not-yet-valid", "the leaf becomes valid in 30 days", "RSA-2048", CA_ISSUING, false,
     30 * DAY, 400 * DAY, -1, CDP_OK, ISS_SAN, SS_TRUST("validity", "is not valid before"),
     MD("validity", "is not valid before")},
    {"revoked-key-compromise", "the leaf is revoked (keyCompromise) on the current CRL",
     "RSA-2048", CA_ISSUING, false, LIFE, 1, CDP_OK, ISS_SAN,
     SS_TRUST("revocation", "keyCompromise"), MD("revocation", "keyCompromise")},
    {"on-hold", "the leaf is on hold (certificateHold) on the current CRL", "RSA-2048",
     CA_ISSUING, false, LIFE, 6, CDP_OK, ISS_SAN, SS_TRUST("revocation", "on hold"),
     MD("revocation", "on hold")},
    {"san-not-iss", "the JWTs' iss is the leaf's SAN URI with a trailing slash", "RSA-2048",
     CA_ISSUING, false, LIFE, -1, CDP_OK, ISS_LOOKALIKE,
     SS_CLAIMS("iss_san", "trailing slash"), MD("iss_san", "trailing slash")},
    {"server-san-not-base-url",
     "a server certificate whose SAN is not the base URL the metadata is served for",
     "RSA-2048", CA_ISSUING, true, LIFE, -1, CDP_OK, ISS_BASE_URL, OK_,
     MD("iss_san", "is not a SAN URI of the leaf")},
    {"unpublished-root", "the chain ends at a root that is not a sandbox anchor", "RSA-2048",
     CA_UNPUB_ISSUING, false, LIFE, -1, CDP_OK, ISS_SAN,
     SS_TRUST("chain", "not a trust anchor"), MD("chain", "not a trust anchor")},
    {"ec-p256", "an EC P-256 leaf: ES256 (signed metadata must be RS256)", "EC-P256",
     CA_ISSUING, false, LIFE, -1, CDP_OK, ISS_SAN, OK_, MD("metadata_alg", "RS256")},
    {"ec-p384", "an EC P-384 leaf: ES384 (signed metadata must be RS256)", "EC-P384",
     CA_ISSUING, false, LIFE, -1, CDP_OK, ISS_SAN, OK_, MD("metadata_alg", "RS256")},
    {"crl-expired", "issued by a CA whose CRL expired", "RSA-2048", CA_CRL_EXPIRED, false,
     LIFE, -1, CDP_OK, ISS_SAN, SS_TRUST("revocation", "expired"),
     MD("revocation", "expired")},
    {"crl-future", "issued by a CA whose CRL has thisUpdate in the future", "RSA-2048",
     CA_CRL_FUTURE, false, LIFE, -1, CDP_OK, ISS_SAN, SS_TRUST("revocation", "in the future"),
     MD("revocation", "in the future")},
    {"crl-wrong-key", "issued by a CA whose CRL is signed by the wrong key", "RSA-2048",
     CA_CRL_WRONG_KEY, false, LIFE, -1, CDP_OK, ISS_SAN,
     SS_TRUST("revocation", "not signed by its issuer's key"),
     MD("revocation", "not signed by its issuer's key")},
    {"no-cdp", "the leaf has no CRL distribution point", "RSA-2048", CA_ISSUING, false, LIFE,
     -1, CDP_NONE, ISS_SAN, SS_TRUST("crl_distribution_point", "no HTTP CRL distribution point"),
     MD("crl_distribution_point", "no HTTP CRL distribution point")},
    {"cdp-404", "the leaf's CRL distribution point answers 404", "RSA-2048", CA_ISSUING,
     false, LIFE, -1, CDP_404, ISS_SAN, SS_TRUST("crl_distribution_point", "fetching it fails"),
     MD("crl_distribution_point", "fetching it fails")},
    {"cdp-not-http", "the leaf's only CRL distribution point is an ldap: URI", "RSA-2048",
     CA_ISSUING, false, LIFE, -1, CDP_LDAP, ISS_SAN,
     SS_TRUST("crl_distribution_point", "no HTTP CRL distribution point"),
     MD("crl_distribution_point", "no HTTP CRL distribution point")},
};

#define SB_NFIXTURES (sizeof sb_fixtures / sizeof sb_fixtures[0])

#endif

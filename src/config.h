/* troth.conf: INI-style configuration, every key documented in troth.conf. */
#ifndef TROTH_CONFIG_H
#define TROTH_CONFIG_H
#include <stdbool.h>
#include <stddef.h>

#define CONFIG_ERR_MAX 512

/* TLS 1.2 and 1.3, forward-secret (ECDHE) AEAD suites only, in the
 * server's order of preference. */
#define TLS_PRIORITIES_DEFAULT                                               \
    "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-CIPHER-ALL:+AES-256-GCM:"    \
    "+AES-128-GCM:+CHACHA20-POLY1305:-MAC-ALL:+AEAD:-KX-ALL:+ECDHE-ECDSA:"    \
    "+ECDHE-RSA:%SERVER_PRECEDENCE"

/* [profile NAME]: one certificate policy of the community (troth.conf). */
#define PROFILES_MAX 16
#define PROFILE_NAME_MAX 32
#define PROFILE_POLICIES_MAX 8
#define PROFILE_FRAGMENTS_MAX 32
#define PROFILE_MAX_URIS 16 /* the most SAN URIs any profile may allow */
enum { /* uri_kinds bits: the same values as member/member.h URI_KIND_* */
    PROFILE_URI_CLIENT = 1u << 0, PROFILE_URI_SERVER = 1u << 1, PROFILE_URI_IDP = 1u << 2
};
enum { /* key_types bits */
    PROFILE_KEY_RSA2048 = 1u << 0, PROFILE_KEY_RSA3072 = 1u << 1, PROFILE_KEY_RSA4096 = 1u << 2,
    PROFILE_KEY_EC_P256 = 1u << 3, PROFILE_KEY_EC_P384 = 1u << 4, PROFILE_KEY_ALL = 31
};
enum san_fragment { SAN_FRAGMENT_FORBID, SAN_FRAGMENT_ALLOW, SAN_FRAGMENT_REQUIRE };

struct profile_conf {
    char name[PROFILE_NAME_MAX + 1];
    char *description;            /* NULL: none */
    unsigned uri_kinds;           /* PROFILE_URI_* bits */
    unsigned key_types;           /* PROFILE_KEY_* bits */
    unsigned validity_days;       /* clamped to the issuing CA's notAfter */
    unsigned max_uris;            /* SAN URIs in one certificate */
    char *policies[PROFILE_POLICIES_MAX]; /* dotted OIDs: certificatePolicies */
    size_t n_policies;
    bool eku_client_auth, eku_server_auth; /* none when both are false */
    enum san_fragment san_fragment;
    char *fragments[PROFILE_FRAGMENTS_MAX]; /* allowed fragment values; none: any */
    size_t n_fragments;
    bool subject_cn;              /* subject = O (the member's legal name) [+ CN] */
    /* for messages and checks at the end of parsing */
    int line, fragments_line;
    unsigned set;                 /* which keys the section gave (internal) */
};

struct config {
    /* [server] */
    char *public_listen;      /* host:port of the public (CRL/AIA) listener */
    char *admin_listen;       /* host:port of the admin (API/UI) listener */
    char *public_url;         /* base URL written into certificates */
    char *tls_cert, *tls_key; /* PEM files; both or neither */
    char *tls_priorities;     /* GnuTLS priority string */
    char *trusted_proxy;      /* address of a TLS-terminating proxy, or NULL */
    unsigned threads;         /* pool threads per listener; 0 = one per core */
    unsigned connection_timeout;   /* seconds */
    unsigned request_read_timeout; /* seconds to receive header + body */
    size_t connection_memory_limit;/* bytes per connection */
    unsigned per_ip_connection_limit;
    unsigned connection_limit;
    bool access_log;
    char *server_user;        /* the web process's user when started as root (NULL: "troth") */
    bool metrics_open_on_loopback; /* GET /metrics without a token from loopback */
    /* [database] */
    char *database_url;
    /* [ca] */
    char *key_passphrase_file;
    unsigned crl_validity_hours;  /* nextUpdate - thisUpdate */
    unsigned crl_refresh_hours;   /* regenerate after this long, revoked or not */
    unsigned crl_backdate_seconds;/* thisUpdate this far back: relying parties' clock skew */
    unsigned signer_workers;      /* 0 = one per core */
    unsigned keygen_concurrency;  /* key generations at once (keygen API) */
    unsigned key_kdf_iterations;  /* PBKDF2 rounds for CA keys at rest */
    unsigned root_crl_warn_days;  /* warn this long before a pre-signed CRL's nextUpdate */
    /* [pkcs11] */
    char *pkcs11_module;          /* the token's PKCS#11 module (.so) */
    char *pkcs11_pin_file;        /* first line: the token user's PIN */
    char *pkcs11_keep_env;        /* variables the module needs in the signers (NULL: "SOFTHSM2_CONF") */
    /* [profiles]: the older form of [profile udap-client] / [profile
     * udap-server] validity and EKU, still read (legacy_set: which given) */
    unsigned client_days, server_days;
    bool client_eku_client_auth, server_eku_server_auth, server_eku_client_auth;
    unsigned legacy_set;
    /* [profile NAME] sections, udap-client and udap-server first */
    struct profile_conf profiles[PROFILES_MAX];
    size_t n_profiles;
    /* [auth] */
    unsigned argon2_t_cost, argon2_m_cost_kib, argon2_lanes;
    unsigned session_idle_minutes, session_max_hours;
    unsigned login_failures_per_user, login_failures_per_ip;
    unsigned login_window_minutes;
    unsigned password_hash_concurrency; /* argon2 hashes at once (sign-in) */
    unsigned password_hash_queue;       /* waiting beyond those; then 429 */
    unsigned token_max_days;
    /* [notify] */
    char *smtp_url, *smtp_user, *smtp_password_file, *mail_from, *operator_email;
    char *expiry_days;         /* "60,30,14,7,1" */
    char *ui_url;              /* base of the renew link; NULL = from admin_listen */
    unsigned max_attempts;     /* a notice is dead after this many failures */
    unsigned retry_base_ms;    /* first back-off; doubles per failure */
    unsigned retry_max_seconds;/* back-off cap */
    unsigned scan_seconds;     /* expiry notices and operator alerts */
    /* [community] */
    char *community_uri;
    char *community_name;
    /* where the values came from, for messages */
    char *path;
};

/* Loads `path`, applies TROTH_DATABASE_URL, checks required keys.
 * On error returns -1 and writes "file:line: what is wrong" into err. */
int config_load(struct config *c, const char *path, char *err, size_t errlen);

/* Parses INI text (for tests); `name` is used in messages. */
int config_parse(struct config *c, const char *name, const char *text,
                 char *err, size_t errlen);

/* Releases every string the config owns. */
void config_free(struct config *c);

/* The configuration `troth serve` runs with (set once at start-up). */
void config_set_current(const struct config *c);
const struct config *config_current(void);

/* Parses [notify] expiry_days ("60,30,14,7,1") into out (up to max, sorted
 * descending); returns the count, or -1 when malformed. out may be NULL. */
int notify_days_parse(const char *text, unsigned *out, size_t max);

/* The profile named `name`, or NULL. */
const struct profile_conf *config_profile(const struct config *c, const char *name);

/* "RSA-2048" ... "EC-P384" -> its PROFILE_KEY_* bit, 0 when unknown; and back. */
unsigned config_key_type(const char *name);
const char *config_key_type_name(unsigned bit);

/* Splits "host:port" / "[v6]:port"; returns 0 on success. */
int config_split_listen(const char *listen, char *host, size_t hostlen,
                        unsigned short *port);

#endif

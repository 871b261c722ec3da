/* troth.conf: INI-style configuration, every key documented in troth.conf. */
#ifndef TROTH_CONFIG_H
#define TROTH_CONFIG_H
#include <stdbool.h>
#include <stddef.h>

#define CONFIG_ERR_MAX 512

struct config {
    /* [server] */
    char *public_listen;      /* host:port of the public (CRL/AIA) listener */
    char *admin_listen;       /* host:port of the admin (API/UI) listener */
    char *public_url;         /* base URL written into certificates */
    char *tls_cert, *tls_key; /* PEM files; both or neither */
    char *trusted_proxy;      /* address of a TLS-terminating proxy, or NULL */
    unsigned threads;         /* pool threads per listener; 0 = one per core */
    unsigned connection_timeout;   /* seconds */
    unsigned request_read_timeout; /* seconds to receive header + body */
    size_t connection_memory_limit;/* bytes per connection */
    unsigned per_ip_connection_limit;
    unsigned connection_limit;
    bool access_log;
    /* [database] */
    char *database_url;
    /* [ca] */
    char *key_passphrase_file;
    unsigned crl_validity_hours;  /* nextUpdate - thisUpdate */
    unsigned crl_refresh_hours;   /* regenerate after this long, revoked or not */
    unsigned crl_backdate_seconds;/* thisUpdate this far back: relying parties' clock skew */
    unsigned signer_workers;      /* 0 = one per core */
    unsigned key_kdf_iterations;  /* PBKDF2 rounds for CA keys at rest */
    unsigned root_crl_warn_days;  /* warn this long before a pre-signed CRL's nextUpdate */
    /* [pkcs11] */
    char *pkcs11_module;          /* the token's PKCS#11 module (.so) */
    char *pkcs11_pin_file;        /* first line: the token user's PIN */
    /* [profiles] */
    unsigned client_days, server_days;
    bool client_eku_client_auth, server_eku_server_auth, server_eku_client_auth;
    /* [auth] */
    unsigned argon2_t_cost, argon2_m_cost_kib, argon2_lanes;
    unsigned session_idle_minutes, session_max_hours;
    unsigned login_failures_per_user, login_failures_per_ip;
    unsigned login_window_minutes;
    unsigned token_max_days;
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

/* Splits "host:port" / "[v6]:port"; returns 0 on success. */
int config_split_listen(const char *listen, char *host, size_t hostlen,
                        unsigned short *port);

#endif

#include "ca/token_key.h"

#include <stdio.h>
#include <sys/stat.h>

#include "config.h"
#include "util/file.h"

static char *token_pin(const struct config *cfg, struct problem *e)
{
    struct stat st;
    char why[300];
    const char *path = cfg->pkcs11_pin_file;
    if (!cfg->pkcs11_module || !*cfg->pkcs11_module || !path || !*path) {
        problem_set(e, PK_TOKEN_CONFIG, NULL, "a key in a PKCS#11 token needs [pkcs11] module and pin_file");
        return NULL;
    }
    if (stat(path, &st) == 0 && (st.st_mode & 077)) {
        problem_set(e, PK_PASSPHRASE_UNSAFE, NULL, "%s has mode %03o: group and others must have no access (chmod 600)",
                    path, (unsigned)(st.st_mode & 0777));
        return NULL;
    }
    char *pin = pin_read(path, why, sizeof why);
    if (!pin)
        problem_set(e, PK_PASSPHRASE_UNREADABLE, NULL, "%s", why);
    return pin;
}

static int open_key(const struct config *cfg, const char *pin, const struct pki_token_uri *u,
                    struct pki_token **token, EVP_PKEY **key, struct problem *e)
{
    if (!(*token = pki_token_open(cfg->pkcs11_module, u->token, pin, e)))
        return -1;
    if (!(*key = pki_token_private_key(*token, u, e))) {
        pki_token_close(*token);
        *token = NULL;
        return -1;
    }
    return 0;
}

int ca_token_key_make(const struct config *cfg, const char *store, const char *default_object,
                      const char *spec, struct pki_token **token, EVP_PKEY **key,
                      char uri[PKI_TOKEN_URI_MAX], struct problem *e)
{
    struct pki_token_uri u;
    if (pki_token_uri_parse(store, &u, e))
        return -1;
    if (u.id_len)
        return problem_set(e, PK_KEY_URI_INVALID, NULL, "%s: name the token (and object), not an id: the key "
                           "is new, its id is made here", store);
    if (!u.object[0])
        snprintf(u.object, sizeof u.object, "%s", default_object);
    char *pin = token_pin(cfg, e);
    int rc = -1;
    if (pin && pki_token_generate(cfg->pkcs11_module, pin, spec, &u, e) == 0 &&
        open_key(cfg, pin, &u, token, key, e) == 0) {
        if (pki_token_uri_format(&u, uri, PKI_TOKEN_URI_MAX) == 0)
            rc = 0;
        else
            problem_set(e, PK_KEY_URI_INVALID, NULL, "the key's URI is too long");
    }
    passphrase_free(pin);
    return rc;
}

int ca_token_key_open(const struct config *cfg, const char *uri, struct pki_token **token,
                      EVP_PKEY **key, struct problem *e)
{
    struct pki_token_uri u;
    if (pki_token_uri_parse(uri, &u, e))
        return -1;
    char *pin = token_pin(cfg, e);
    int rc = pin ? open_key(cfg, pin, &u, token, key, e) : -1;
    passphrase_free(pin);
    return rc;
}

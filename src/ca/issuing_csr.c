#include "ca/issuing_csr.h"

#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "ca/create.h"
#include "ca/token_key.h"
#include "ceremony/ceremony.h"
#include "util/file.h"
#include "config.h"
#include "db/db.h"
#include "pki/ca.h"
#include "pki/keys.h"
#include "pki/sign.h"

DB_STMT(q_name, 2,
        "SELECT coalesce((SELECT name FROM community LIMIT 1), $1), "
        "EXISTS (SELECT 1 FROM cas WHERE id = $2)");
DB_STMT(q_pending, 5,
        "INSERT INTO ca_pending_keys (spki_sha256, id, key_store, key_encrypted, "
        "key_uri, key_description) VALUES ($1, $2, CASE WHEN $4::text IS NULL "
        "THEN 'database' ELSE 'pkcs11' END, $3, $4, $5)");

struct pending {
    const char *id, *spki, *pem, *uri, *desc;
    const struct audit_actor *actor;
    EVP_PKEY *key;
};

static enum db_rc pending_tx(struct db *db, void *arg)
{
    struct pending *p = arg;
    enum db_rc rc = db_exec(db, &q_pending, NULL,
                            (const char *[]){p->spki, p->id, p->pem, p->uri, p->desc});
    if (rc != DB_OK)
        return rc;
    json_t *rec = ceremony_record("key.generate", p->id, p->key,
                                  p->uri ? p->uri : CEREMONY_AT_DATABASE);
    json_object_set_new(rec, "purpose",
                        json_string("issuing CA key; certificate request for a root "
                                    "held elsewhere (troth ca issuing-csr)"));
    return ceremony_audit(db, p->actor, rec);
}

static X509_REQ *make_request(EVP_PKEY *key, const char *name, char *err, size_t errlen)
{
    char cn[300];
    snprintf(cn, sizeof cn, "%.250s Issuing CA", name);
    struct problem e = {0};
    X509_NAME *subject = pki_name_org_cn(name, cn, &e);
    X509_REQ *req = X509_REQ_new();
    if (!subject || !req || !X509_REQ_set_version(req, 0) ||
        !X509_REQ_set_subject_name(req, subject) || !X509_REQ_set_pubkey(req, key) ||
        X509_REQ_sign(req, key, pki_digest_for_key(key)) <= 0) {
        snprintf(err, errlen, "cannot build the request%s%s", e.detail[0] ? ": " : "",
                 e.detail);
        X509_REQ_free(req);
        req = NULL;
    }
    X509_NAME_free(subject);
    return req;
}

char *ca_issuing_csr(struct db *db, const struct config *cfg, const char *id,
                     const char *spec, const char *store, const struct audit_actor *actor,
                     char *err, size_t errlen)
{
    if (strcmp(spec, "rsa:2048") && strcmp(spec, "rsa:3072") && strcmp(spec, "ec:P-256") &&
        strcmp(spec, "ec:P-384")) {
        snprintf(err, errlen, "--key must be rsa:2048, rsa:3072, ec:P-256 or ec:P-384");
        return NULL;
    }
    PGresult *res;
    const char *fallback = cfg->community_name ? cfg->community_name : "Troth";
    if (db_exec(db, &q_name, &res, (const char *[]){fallback, id}) != DB_OK) {
        snprintf(err, errlen, "%s", db_last_error(db));
        return NULL;
    }
    char name[256];
    snprintf(name, sizeof name, "%s", PQgetvalue(res, 0, 0));
    bool taken = PQgetvalue(res, 0, 1)[0] == 't';
    PQclear(res);
    if (taken) {
        snprintf(err, errlen, "there is a CA with the id %s already", id);
        return NULL;
    }
    char *pass = NULL, *out = NULL, *pem = NULL, spki[65], desc[48];
    char uri[PKI_TOKEN_URI_MAX] = "", object[PKI_TOKEN_OBJECT_MAX + 1];
    struct problem e = {0};
    struct pki_token *token = NULL;
    X509_REQ *req = NULL;
    EVP_PKEY *key = NULL;
    snprintf(object, sizeof object, "troth-%s", id);
    if (store ? ca_token_key_make(cfg, store, object, spec, &token, &key, uri, &e) != 0
              : !(pass = passphrase_read(cfg->key_passphrase_file, err, errlen)) ||
                    !(key = pki_key_generate(spec, &e)) ||
                    !(pem = pki_key_encrypt_pem_iter(key, pass, (int)cfg->key_kdf_iterations, &e))) {
        if (e.detail[0] || !err[0])
            snprintf(err, errlen, "%s", e.detail[0] ? e.detail : "key generation failed");
        goto done;
    }
    if (ceremony_spki_sha256(key, spki)) {
        snprintf(err, errlen, "cannot hash the key");
        goto done;
    }
    if (!(req = make_request(key, name, err, errlen)))
        goto done;
    pki_key_describe(key, desc, sizeof desc);
    struct pending p = {id, spki, pem, uri[0] ? uri : NULL, desc, actor, key};
    if (db_tx(db, DB_READ_COMMITTED, pending_tx, &p) != DB_OK) {
        snprintf(err, errlen, "cannot store the key: %s", db_last_error(db));
        goto done;
    }
    BIO *b = BIO_new(BIO_s_mem());
    char *data;
    long n;
    if (b && PEM_write_bio_X509_REQ(b, req) && (n = BIO_get_mem_data(b, &data)) > 0 &&
        (out = malloc((size_t)n + 1))) {
        memcpy(out, data, (size_t)n);
        out[n] = 0;
    } else {
        snprintf(err, errlen, "cannot encode the request");
    }
    BIO_free(b);
done:
    if (pem)
        OPENSSL_cleanse(pem, strlen(pem));
    free(pem);
    X509_REQ_free(req);
    EVP_PKEY_free(key);
    pki_token_close(token); /* once nothing refers to its key */
    passphrase_free(pass);
    return out;
}

#include "ca/create.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "ca/crl_gen.h"
#include "ca/crl_import.h"
#include "ca/offline_root.h"
#include "ca/registry.h"
#include "ca/issue.h"
#include "ca/signatures.h"
#include "ca/token_key.h"
#include "ceremony/ceremony.h"
#include "config.h"
#include "db/db.h"
#include "pki/ca.h"
#include "pki/encode.h"
#include "pki/ext.h"
#include "pki/keys.h"
#include "pki/sign.h"
#include "pki/token.h"
#include "util/file.h"
#include "util/hex.h"

/* One new CA: key, certificate, encrypted key. */
struct new_ca {
    const char *id, *kind, *parent;
    const char *key_store;  /* NULL: "database"; "offline"/"pkcs11": key_pem stays NULL */
    const char *location;   /* for the ceremony record */
    EVP_PKEY *key;
    X509 *cert;
    unsigned char *der;
    size_t der_len;
    char *key_pem;
    struct pki_token *token;        /* pkcs11: the session key lives in */
    char key_uri[PKI_TOKEN_URI_MAX]; /* pkcs11: its RFC 7512 URI */
    char subject[512], fingerprint[PKI_FP_HEX_SIZE], key_desc[32];
};

static void new_ca_free(struct new_ca *c)
{
    EVP_PKEY_free(c->key);
    X509_free(c->cert); /* may hold a reference to a token key too */
    pki_token_close(c->token); /* once nothing refers to its keys */
    free(c->der);
    free(c->key_pem);
}

static int finish(struct new_ca *c, const char *pass, unsigned iterations,
                  struct problem *e)
{
    if (!c->cert || pki_cert_der(c->cert, &c->der, &c->der_len, e))
        return -1;
    if (!c->key_store && !c->key_pem &&
        !(c->key_pem = pki_key_encrypt_pem_iter(c->key, pass, (int)iterations, e)))
        return -1;
    ca_name_string(X509_get_subject_name(c->cert), c->subject, sizeof c->subject);
    pki_fingerprint_sha256(c->der, c->der_len, false, c->fingerprint);
    pki_key_describe(X509_get0_pubkey(c->cert), c->key_desc, sizeof c->key_desc);
    return 0;
}

DB_STMT(q_any_ca, 0, "SELECT 1 FROM cas LIMIT 1");
DB_STMT(q_insert, 12,
        "INSERT INTO cas (id, kind, parent_id, subject, certificate_der, key_encrypted, "
        "key_description, fingerprint_sha256, not_before, not_after, issues_members, "
        "key_store, key_uri) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, to_timestamp($9::bigint), "
        "to_timestamp($10::bigint), $2 = 'issuing', $11, $12)");

struct store_arg {
    struct new_ca *cas;
    size_t n;
    const struct audit_actor *actor;
    bool exists;
    bool import; /* importing: other CAs may exist */
    const char *pending_spki; /* the ca_pending_keys row this import completes */
    const char *log;          /* an offline ceremony log to bring in, or NULL */
    char log_err[256];
};

DB_STMT(q_pending_done, 1, "DELETE FROM ca_pending_keys WHERE spki_sha256 = $1");

static enum db_rc record_ca_signature(struct db *db, const struct new_ca *c,
                                      const struct audit_actor *actor)
{
    unsigned char *tbs = NULL;
    int tl = i2d_re_X509_tbs(c->cert, &tbs);
    const ASN1_INTEGER *sn = X509_get0_serialNumber(c->cert);
    int sl = ASN1_STRING_length(sn);
    char serial[SERIAL_HEX_MAX];
    if (tl <= 0 || sl < 1 || sl > 20) {
        OPENSSL_free(tbs);
        return DB_ERROR;
    }
    hex_encode(ASN1_STRING_get0_data(sn), (size_t)sl, serial);
    enum db_rc rc = sig_record_signed(db, c->parent ? c->parent : c->id, "certificate", serial,
                                      0, tbs, (size_t)tl, c->der, c->der_len, actor, NULL);
    OPENSSL_free(tbs);
    return rc;
}

static enum db_rc store_tx(struct db *db, void *arg)
{
    struct store_arg *a = arg;
    PGresult *res;
    enum db_rc rc = db_exec(db, &q_any_ca, &res, NULL);
    if (rc != DB_OK)
        return rc;
    a->exists = PQntuples(res) > 0;
    PQclear(res);
    if (a->exists && !a->import)
        return DB_CONFLICT;
    for (size_t i = 0; i < a->n; i++) {
        struct new_ca *c = &a->cas[i];
        time_t nb, na;
        pki_asn1_time_to_time_t(X509_get0_notBefore(c->cert), &nb);
        pki_asn1_time_to_time_t(X509_get0_notAfter(c->cert), &na);
        char nbs[24], nas[24];
        snprintf(nbs, sizeof nbs, "%lld", (long long)nb);
        snprintf(nas, sizeof nas, "%lld", (long long)na);
        const char *store = c->key_store ? c->key_store : "database";
        const char *p[] = {c->id, c->kind, c->parent, c->subject, (const char *)c->der,
                           c->key_pem, c->key_desc, c->fingerprint, nbs, nas, store,
                           c->key_uri[0] ? c->key_uri : NULL};
        int lens[12] = {0, 0, 0, 0, (int)c->der_len};
        int fmts[12] = {0, 0, 0, 0, 1};
        if ((rc = db_exec_bin(db, &q_insert, NULL, p, lens, fmts, 0)) != DB_OK)
            return rc;
        const char *action = a->import ? "ca.import" : "ca.create";
        json_t *rec = ceremony_record(action, c->id, X509_get0_pubkey(c->cert),
                                      c->location ? c->location : CEREMONY_AT_DATABASE);
        json_object_update_new(rec, json_pack("{s:s, s:s, s:s}", "kind", c->kind,
                                              "subject", c->subject, "fingerprint_sha256",
                                              c->fingerprint));
        rc = audit_write(db, a->actor, action, "ca", c->id, rec);
        if (rc != DB_OK)
            return rc;
        /* signed here (or at this ceremony) by a key that exists nowhere
         * else yet: in the signature record of its issuer at once */
        if (!a->import && (rc = record_ca_signature(db, c, a->actor)) != DB_OK)
            return rc;
    }
    if (a->pending_spki &&
        (rc = db_exec(db, &q_pending_done, NULL, (const char *[]){a->pending_spki})) != DB_OK)
        return rc;
    long n;
    if (a->log && (rc = ceremony_log_import(db, a->actor, a->log, &n, a->log_err,
                                            sizeof a->log_err)) != DB_OK)
        return rc;
    return DB_OK;
}

/* A key pair of spec made inside the token store names: the database
 * will get its URI, this process a handle to sign the CA's certificate and
 * first CRL with. */
static int token_key(struct new_ca *c, const struct config *cfg, const char *store, const char *spec,
                     struct problem *e)
{
    char object[PKI_TOKEN_OBJECT_MAX + 1];
    snprintf(object, sizeof object, "troth-%s", c->id);
    if (ca_token_key_make(cfg, store, object, spec, &c->token, &c->key, c->key_uri, e))
        return -1;
    c->key_store = "pkcs11";
    c->location = c->key_uri;
    return 0;
}

/* crl_sign_fn with the keys in this process (init only). */
static int sign_in_process(void *ctx, const struct ca_info *ca, const unsigned char *tbs,
                           size_t tbs_len, unsigned char **der, size_t *der_len,
                           struct problem *err)
{
    struct store_arg *a = ctx;
    for (size_t i = 0; i < a->n; i++)
        if (!strcmp(a->cas[i].id, ca->id))
            return pki_sign_tbs(a->cas[i].key, tbs, tbs_len, der, der_len, err);
    return problem_set(err, PK_CA_KEY_MISSING, NULL, "no key for CA %s", ca->id);
}

int ca_create_hierarchy(struct db *db, const struct config *cfg, const char *name,
                        const char *root_spec, const char *issuing_spec,
                        const struct ca_offline_opts *offline, const struct ca_key_stores *stores,
                        const struct audit_actor *actor, char *err, size_t errlen)
{
    PGresult *res;
    if (db_exec(db, &q_any_ca, &res, NULL) != DB_OK) {
        snprintf(err, errlen, "%s", db_last_error(db));
        return -1;
    }
    int have = PQntuples(res);
    PQclear(res);
    if (have)
        return 1;
    char *pass = passphrase_read(cfg->key_passphrase_file, err, errlen);
    if (!pass)
        return -1;
    struct new_ca cas[2] = {{.id = "root", .kind = "root"},
                            {.id = "issuing", .kind = "issuing", .parent = "root"}};
    struct offline_root root = {0};
    struct problem e = {0};
    int rc = -1;
    char cn[300], root_crl[512], root_crt[512];
    X509_NAME *rn = NULL, *in = NULL;
    unsigned char *crl = NULL;
    size_t crl_len = 0;
    ca_urls(cfg->public_url, "root", root_crl, root_crt, sizeof root_crl);
    snprintf(cn, sizeof cn, "%.250s Root CA", name);
    if (offline) {
        /* the key is made, used and kept in the directory only */
        if (offline_root_create(&root, offline->dir, root_spec, name, offline->pass,
                                cfg->key_kdf_iterations, &e))
            goto out;
        cas[0].key = root.key;
        cas[0].cert = root.cert;
        root.key = NULL;
        root.cert = NULL;
        cas[0].key_store = "offline";
        cas[0].location = root.location;
        if (X509_up_ref(cas[0].cert) != 1 || finish(&cas[0], pass, 0, &e))
            goto out;
        root.cert = cas[0].cert; /* one reference each */
    } else if (stores && stores->root) {
        if (token_key(&cas[0], cfg, stores->root, root_spec, &e) || !(rn = pki_name_org_cn(name, cn, &e)) ||
            !(cas[0].cert = pki_ca_make_root(cas[0].key, rn, CA_ROOT_DAYS, &e)) || finish(&cas[0], pass, 0, &e))
            goto out;
    } else if (!(cas[0].key = pki_key_generate(root_spec, &e)) ||
               !(rn = pki_name_org_cn(name, cn, &e)) ||
               !(cas[0].cert = pki_ca_make_root(cas[0].key, rn, CA_ROOT_DAYS, &e)) ||
               finish(&cas[0], pass, cfg->key_kdf_iterations, &e))
        goto out;
    snprintf(cn, sizeof cn, "%.250s Issuing CA", name);
    if (stores && stores->issuing ? token_key(&cas[1], cfg, stores->issuing, issuing_spec, &e)
                                  : !(cas[1].key = pki_key_generate(issuing_spec, &e))) {
        goto out;
    }
    if (!(in = pki_name_org_cn(name, cn, &e)) ||
        !(cas[1].cert = pki_ca_make_issuing(cas[1].key, in, CA_ISSUING_DAYS, cas[0].cert,
                                            cas[0].key, root_crl, root_crt, &e)) ||
        finish(&cas[1], pass, cfg->key_kdf_iterations, &e))
        goto out;
    uint64_t root_crl_number = 0;
    if (offline) {
        /* sign the root's first CRL there too, then forget its key */
        root.key = cas[0].key;
        cas[0].key = NULL;
        if (offline_root_issued(&root, cas[1].cert, "issuing", &e) ||
            offline_root_sign_crl(&root, offline->crl_days, &crl, &crl_len,
                                  &root_crl_number, &e))
            goto out;
    }
    struct store_arg a = {.cas = cas, .n = 2, .actor = actor};
    enum db_rc drc = db_tx(db, DB_READ_COMMITTED, store_tx, &a);
    if (drc == DB_CONFLICT && a.exists) {
        rc = 1;
        goto out;
    }
    if (drc != DB_OK) {
        snprintf(err, errlen, "cannot store the CAs: %s", db_last_error(db));
        goto out;
    }
    struct ca_set set;
    if (ca_set_load(db, cfg->public_url, &set) != 0) {
        snprintf(err, errlen, "cannot reload the CAs: %s", db_last_error(db));
        goto out;
    }
    rc = 0;
    for (size_t i = 0; i < set.n && rc == 0; i++) {
        struct crl_result out;
        char id[CA_ID_MAX];
        uint64_t number;
        if (ca_is_offline(&set.cas[i])) {
            if (crl_import(db, crl, crl_len, root.log, actor, id, &number, &e) != 0) {
                snprintf(err, errlen, "first CRL of %s: %s", set.cas[i].id, e.detail);
                rc = -1;
            }
        } else if (crl_generate(db, &set.cas[i], cfg->crl_validity_hours, sign_in_process,
                                &a, actor, &out, &e) != 0) {
            snprintf(err, errlen, "first CRL of %s: %s", set.cas[i].id, e.detail);
            rc = -1;
        }
    }
    ca_set_free(&set);
out:
    if (rc < 0 && !err[0])
        snprintf(err, errlen, "%s", e.detail[0] ? e.detail : "CA creation failed");
    X509_NAME_free(rn);
    X509_NAME_free(in);
    new_ca_free(&cas[0]);
    new_ca_free(&cas[1]);
    offline_root_close(&root);
    free(crl);
    passphrase_free(pass);
    return rc;
}

DB_STMT(q_pending, 1,
        "SELECT id, key_store, key_encrypted, key_uri FROM ca_pending_keys "
        "WHERE spki_sha256 = $1");

/* A certificate without its key: an issuing CA whose key `troth ca
 * issuing-csr` made here, or a root whose key is held elsewhere. */
static int import_cert_only(struct db *db, const struct config *cfg, struct new_ca *c,
                            const char *pass, char *spki, struct problem *e)
{
    if (pki_ca_check_cert(c->cert, e))
        return -1;
    if (X509_check_issued(c->cert, c->cert) == X509_V_OK) {
        c->key_store = "offline";
        c->location = "offline (held outside this system)";
        return 0;
    }
    PGresult *res;
    if (ceremony_spki_sha256(X509_get0_pubkey(c->cert), spki) ||
        db_exec(db, &q_pending, &res, (const char *[]){spki}) != DB_OK)
        return problem_set(e, PK_DATABASE_UNAVAILABLE, NULL, "%s", db_last_error(db));
    if (PQntuples(res) != 1) {
        PQclear(res);
        return problem_set(e, PK_CA_KEY_UNKNOWN, NULL,
                           "no key made here matches this certificate: give its --key, or "
                           "make the request with troth ca issuing-csr");
    }
    static char pending_id[CA_ID_MAX];
    snprintf(pending_id, sizeof pending_id, "%s", PQgetvalue(res, 0, 0));
    if (!c->id)
        c->id = pending_id;
    bool in_token = !strcmp(PQgetvalue(res, 0, 1), "pkcs11");
    int rc = 0;
    if (in_token) {
        /* made in the token by issuing-csr --key-store: found there again */
        snprintf(c->key_uri, sizeof c->key_uri, "%s", PQgetvalue(res, 0, 3));
        c->key_store = "pkcs11";
        c->location = c->key_uri;
        rc = ca_token_key_open(cfg, c->key_uri, &c->token, &c->key, e);
    } else {
        const char *pem = PQgetvalue(res, 0, 2);
        c->key = pki_key_decrypt_pem(pem, strlen(pem), pass, e);
        c->key_pem = strdup(pem);
        rc = c->key && c->key_pem ? 0 : -1;
    }
    PQclear(res);
    if (rc || pki_ca_check_pair(c->cert, c->key, e))
        return -1;
    return 0;
}

int ca_import(struct db *db, const struct config *cfg, const char *id,
              const char *cert_path, const char *key_path, const char *key_pass,
              const char *log, const struct audit_actor *actor, char *err, size_t errlen)
{
    size_t cl = 0, kl = 0;
    char *cert_pem = file_read(cert_path, 1u << 20, &cl);
    char *key_pem = key_path ? file_read(key_path, 1u << 20, &kl) : NULL;
    char *pass = NULL, spki[65] = "";
    struct new_ca c = {.id = id};
    struct problem e = {0};
    struct ca_set set = {0};
    int rc = -1;
    unsigned char *der = NULL;
    size_t der_len = 0;
    if (!cert_pem || (key_path && !key_pem)) {
        snprintf(err, errlen, "cannot read %s: %s", !cert_pem ? cert_path : key_path,
                 strerror(errno));
        goto out;
    }
    if (!(pass = passphrase_read(cfg->key_passphrase_file, err, errlen)))
        goto out;
    if (key_path) {
        if (pki_ca_import_check(cert_pem, cl, key_pem, kl, key_pass, &c.cert, &c.key, &e))
            goto out;
    } else if (pki_pem_to_der(cert_pem, cl, "CERTIFICATE", &der, &der_len) != 0 ||
               !(c.cert = pki_cert_from_der(der, der_len))) {
        snprintf(err, errlen, "%s is not a PEM X.509 certificate", cert_path);
        goto out;
    } else if (import_cert_only(db, cfg, &c, pass, spki, &e)) {
        goto out;
    }
    id = c.id;
    if (ca_set_load(db, cfg->public_url, &set) < 0) {
        snprintf(err, errlen, "%s", db_last_error(db));
        goto out;
    }
    if (X509_check_issued(c.cert, c.cert) == X509_V_OK) {
        c.kind = "root";
    } else {
        for (size_t i = 0; i < set.n && !c.parent; i++)
            if (X509_check_issued(set.cas[i].cert, c.cert) == X509_V_OK &&
                X509_verify(c.cert, X509_get0_pubkey(set.cas[i].cert)) == 1)
                c.parent = set.cas[i].id;
        if (!c.parent) {
            snprintf(err, errlen, "the certificate is not self-signed and no CA of this "
                                  "community issued it: import its issuer first");
            goto out;
        }
        c.kind = "issuing";
    }
    if (!id) /* the default id is what the certificate is */
        c.id = id = c.kind;
    if (ca_find(&set, id)) {
        snprintf(err, errlen, "there is a CA with the id %s already", id);
        goto out;
    }
    if (finish(&c, pass, cfg->key_kdf_iterations, &e))
        goto out;
    struct store_arg a = {&c, 1, actor, false, true, spki[0] ? spki : NULL, log, ""};
    enum db_rc drc = db_tx(db, DB_READ_COMMITTED, store_tx, &a);
    if (drc != DB_OK) {
        snprintf(err, errlen, "cannot store the CA%s: %s",
                 drc == DB_CONFLICT ? " (only one issuing CA may issue members)" : "",
                 a.log_err[0] ? a.log_err : db_last_error(db));
        goto out;
    }
    if (!c.key) { /* a root held elsewhere: its CRLs come with troth crl import */
        rc = 0;
        goto out;
    }
    ca_set_free(&set);
    if (ca_set_load(db, cfg->public_url, &set) != 0 || !ca_find(&set, id)) {
        snprintf(err, errlen, "cannot reload the CAs: %s", db_last_error(db));
        goto out;
    }
    struct crl_result out;
    if (crl_generate(db, ca_find(&set, id), cfg->crl_validity_hours, sign_in_process, &a,
                     actor, &out, &e) != 0) {
        snprintf(err, errlen, "first CRL: %s", e.detail);
        goto out;
    }
    rc = 0;
out:
    if (rc < 0 && !err[0])
        snprintf(err, errlen, "%s", e.detail[0] ? e.detail : "import failed");
    if (key_pem)
        OPENSSL_cleanse(key_pem, kl);
    free(cert_pem);
    free(key_pem);
    free(der);
    new_ca_free(&c);
    passphrase_free(pass);
    ca_set_free(&set);
    return rc;
}

/* Issuing member certificates: POST /api/v1/certificates (from a CSR),
 * POST /api/v1/certificates/keygen (a key made here, returned once in a
 * PKCS#12), POST /api/v1/certificates/{serial}/renew (a new CSR, or a new
 * key made here, for the same member, profile and URIs). */
#include "api/handlers.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "api/paging.h"
#include "api/pki_reply.h"
#include "audit/audit.h"
#include "ca/cert_view.h"
#include "ca/issue.h"
#include "ca/registry.h"
#include "ca/service.h"
#include "config.h"
#include "http/http.h"
#include "http/json_body.h"
#include "http/offload.h"
#include "pki/csr.h"
#include "pki/encode.h"
#include "pki/keys.h"
#include "pki/pkcs12.h"


/* Collects the uris array (already type-checked) into a C array. */
static size_t uris_of(const json_t *arr, const char *out[MAX_URIS])
{
    size_t n = 0, i;
    json_t *v;
    json_array_foreach(arr, i, v) if (n < MAX_URIS) out[n++] = json_string_value(v);
    return n;
}

/* The fields issuing from a CSR and generating a key share. */
static void from_body(struct req *r, struct issue_req *rq, const char *uris[MAX_URIS])
{
    rq->member_id = json_get_str(r->json, "member_id");
    rq->profile = json_get_str(r->json, "profile");
    rq->uris = uris;
    rq->n_uris = uris_of(json_object_get(r->json, "uris"), uris);
    rq->common_name = json_get_str(r->json, "common_name");
}

/* Issues, then answers 201 with the certificate (and extra members). */
static void issue_and_reply(struct req *r, struct issue_req *rq, EVP_PKEY *key,
                            const char *passphrase)
{
    struct problem err;
    char serial[SERIAL_HEX_MAX];
    struct audit_actor actor = audit_actor_of(&r->who, r->client_ip);
    rq->only_member = req_only_member(r);
    if (!id_valid(rq->member_id)) {
        reply_problem(r, PK_MEMBER_NOT_FOUND, "member_id", "no such member");
        return;
    }
    PGresult *res;
    if (ca_issue(req_db(r), ca_signer(), ca_current(), config_current(), rq, &actor,
                 serial, &res, &err)) {
        reply_ca_problem(r, &err);
        return;
    }
    json_t *cert = cert_json(res, 0, true);
    if (key) {
        /* PKCS#12: the new key, its certificate and the issuing CA */
        const char *b64 = PQgetvalue(res, 0, CERT_COL_DER_B64);
        unsigned char *der = NULL, *p12 = NULL;
        size_t der_len = 0, p12_len = 0;
        char *pem = cert_pem_of_b64(b64);
        X509 *leaf = NULL;
        if (pem && pki_pem_to_der(pem, strlen(pem), "CERTIFICATE", &der, &der_len) == 0) {
            const unsigned char *q = der;
            leaf = d2i_X509(NULL, &q, (long)der_len);
        }
        const struct ca_info *ca = ca_find(ca_current(), PQgetvalue(res, 0, CERT_COL_CA));
        X509 *chain[1] = {ca ? ca->cert : NULL};
        if (!leaf || pki_pkcs12_create(key, leaf, chain, ca ? 1 : 0, passphrase, serial,
                                       &p12, &p12_len, &err)) {
            json_decref(cert);
            PQclear(res);
            free(pem);
            free(der);
            X509_free(leaf);
            reply_problem(r, PK_INTERNAL, NULL, "cannot build the PKCS#12");
            return;
        }
        char *p12b64 = pki_base64(p12, p12_len);
        json_object_set_new(cert, "pkcs12", json_string(p12b64 ? p12b64 : ""));
        free(p12b64);
        OPENSSL_cleanse(p12, p12_len);
        free(p12);
        free(pem);
        free(der);
        X509_free(leaf);
    }
    PQclear(res);
    reply_json(r, 201, cert);
}

void h_certificates_issue(struct req *r)
{
    const char *csr_text = json_get_str(r->json, "csr");
    struct problem err = {0};
    X509_REQ *csr = pki_csr_parse(csr_text, strlen(csr_text), &err);
    if (!csr) {
        reply_ca_problem(r, &err);
        return;
    }
    const char *uris[MAX_URIS];
    struct issue_req rq = {.csr = csr, .pubkey = X509_REQ_get0_pubkey(csr)};
    from_body(r, &rq, uris);
    if (!rq.pubkey) {
        X509_REQ_free(csr);
        reply_problem(r, PK_CSR_MALFORMED, "csr", "the CSR has no usable public key");
        return;
    }
    issue_and_reply(r, &rq, NULL, NULL);
    X509_REQ_free(csr);
}

/* A key being generated off the listener's threads; for a renewal, what
 * the old certificate says (member, profile, URIs), copied before the key
 * is made. */
struct keygen_job {
    char type[KEYGEN_TYPE_MAX + 1];
    EVP_PKEY *key;
    struct problem err;
    char renews[SERIAL_HEX_MAX]; /* empty: POST /certificates/keygen */
    char member[24], profile[PROFILE_NAME_MAX + 1];
    json_t *uris;
};

static void keygen_work(void *arg)
{
    struct keygen_job *j = arg;
    j->key = pki_key_generate(j->type, &j->err);
}

static void keygen_done(struct req *r, void *arg)
{
    struct keygen_job *j = arg;
    if (r && !j->key)
        reply_ca_problem(r, &j->err);
    else if (r && j->renews[0]) {
        const char *uris[MAX_URIS];
        struct issue_req rq = {.member_id = j->member, .profile = j->profile,
                               .pubkey = j->key, .uris = uris,
                               .n_uris = uris_of(j->uris, uris), .renewed_from = j->renews,
                               .keygen = true};
        issue_and_reply(r, &rq, j->key,
                        json_get_str(json_object_get(r->json, "keygen"), "passphrase"));
    } else if (r) {
        const char *uris[MAX_URIS];
        struct issue_req rq = {.pubkey = j->key, .keygen = true};
        from_body(r, &rq, uris);
        issue_and_reply(r, &rq, j->key, json_get_str(r->json, "passphrase"));
    }
    EVP_PKEY_free(j->key);
    json_decref(j->uris);
    free(j);
}

/* The key type and the PKCS#12 passphrase of a key to make here; `prefix`
 * ("" or "keygen.") goes before the field named in a refusal. 0, or -1
 * answered. */
static int check_key_request(struct req *r, const char *type, const char *pass,
                             const char *prefix)
{
    static const char *types[] = {"EC-P256", "EC-P384", "RSA-2048", "RSA-3072", "RSA-4096"};
    bool known = false;
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        known |= !strcmp(type, types[i]);
    char field[32];
    if (!known) {
        snprintf(field, sizeof field, "%skey_type", prefix);
        reply_problem(r, PK_INVALID_FIELD, field,
                      "%s must be EC-P256, EC-P384, RSA-2048, RSA-3072 or RSA-4096", field);
        return -1;
    }
    if (strlen(pass) < KEYGEN_PASSPHRASE_MIN) {
        snprintf(field, sizeof field, "%spassphrase", prefix);
        reply_problem(r, PK_PASSPHRASE_TOO_SHORT, field,
                      "the PKCS#12 passphrase must be at least %d characters",
                      KEYGEN_PASSPHRASE_MIN);
        return -1;
    }
    return 0;
}

/* Everything that can refuse the request is checked before the key is made
 * (a refused request costs no key generation); then the job goes to the
 * offload pool, which owns it from here. */
static void keygen_start(struct req *r, struct keygen_job *j, struct issue_req *rq)
{
    struct problem err = {0};
    rq->only_member = req_only_member(r);
    if (!id_valid(rq->member_id)) {
        reply_problem(r, PK_MEMBER_NOT_FOUND, "member_id", "no such member");
    } else if (ca_issue_precheck(req_db(r), ca_signer(), ca_current(), config_current(), rq,
                                 j->type, &err)) {
        if (err.kind == PK_KEY_TYPE_NOT_ALLOWED || err.kind == PK_RSA_REQUIRED)
            reply_problem(r, err.kind, j->renews[0] ? "keygen.key_type" : "key_type", "%s",
                          err.detail);
        else
            reply_ca_problem(r, &err);
    } else if (!req_offload(r, keygen_work, keygen_done, j)) {
        reply_problem(r, PK_BUSY, NULL, "all key generation slots are busy; try again shortly");
        reply_header(r, "Retry-After", "5");
    } else {
        return;
    }
    json_decref(j->uris);
    free(j);
}

void h_certificates_keygen(struct req *r)
{
    const char *type = json_get_str(r->json, "key_type");
    if (check_key_request(r, type, json_get_str(r->json, "passphrase"), ""))
        return;
    struct keygen_job *j = calloc(1, sizeof *j);
    if (!j) {
        reply_problem(r, PK_INTERNAL, NULL, "out of memory");
        return;
    }
    snprintf(j->type, sizeof j->type, "%s", type);
    const char *uris[MAX_URIS];
    struct issue_req rq = {0};
    from_body(r, &rq, uris);
    keygen_start(r, j, &rq);
}

/* The renewal's "keygen" object: {key_type, passphrase}, nothing else. */
static const struct jfield renew_keygen_fields[] = {
    {"key_type", JT_STRING, true, KEYGEN_TYPE_MAX, 0, 0},
    {"passphrase", JT_STRING, true, KEYGEN_PASSPHRASE_MAX, 0, 0},
};

/* Checks the renewal body: exactly one of csr and keygen. 0, or -1 answered. */
static int check_renew_body(struct req *r, const char **csr_text, const json_t **keygen)
{
    *csr_text = json_get_str(r->json, "csr");
    *keygen = json_object_get(r->json, "keygen");
    if (json_is_null(*keygen))
        *keygen = NULL;
    if (!*csr_text && !*keygen) {
        reply_problem(r, PK_INVALID_FIELD, "csr",
                      "a renewal takes a new CSR (csr) or asks for a key made here (keygen)");
        return -1;
    }
    if (*csr_text && *keygen) {
        reply_problem(r, PK_INVALID_FIELD, "keygen",
                      "a renewal takes either a csr or keygen, not both");
        return -1;
    }
    if (!*keygen)
        return 0;
    struct json_err e;
    if (json_check(*keygen, renew_keygen_fields, 2, &e)) {
        char field[96];
        snprintf(field, sizeof field, "keygen%s%s", e.field[0] ? "." : "", e.field);
        reply_problem(r, PK_INVALID_FIELD, field, "%s: %s", field, e.detail);
        return -1;
    }
    return check_key_request(r, json_get_str(*keygen, "key_type"),
                             json_get_str(*keygen, "passphrase"), "keygen.");
}

void h_certificates_renew(struct req *r)
{
    const char *serial = req_param(r, "serial");
    const char *csr_text;
    const json_t *keygen;
    if (check_renew_body(r, &csr_text, &keygen))
        return;
    PGresult *old = req_certificate(r);
    if (!old)
        return;
    json_t *uris_json = json_loads(PQgetvalue(old, 0, CERT_COL_URIS), 0, NULL);
    char member[24], profile[PROFILE_NAME_MAX + 1];
    snprintf(member, sizeof member, "%s", PQgetvalue(old, 0, CERT_COL_MEMBER));
    snprintf(profile, sizeof profile, "%s", PQgetvalue(old, 0, CERT_COL_PROFILE));
    PQclear(old);
    if (!json_is_array(uris_json)) {
        json_decref(uris_json);
        reply_problem(r, PK_INTERNAL, NULL, "the certificate's URIs cannot be read");
        return;
    }
    const char *uris[MAX_URIS];
    struct issue_req rq = {.member_id = member, .profile = profile, .uris = uris,
                           .n_uris = uris_of(uris_json, uris), .renewed_from = serial};
    if (keygen) {
        struct keygen_job *j = calloc(1, sizeof *j);
        if (!j) {
            json_decref(uris_json);
            reply_problem(r, PK_INTERNAL, NULL, "out of memory");
            return;
        }
        snprintf(j->type, sizeof j->type, "%s", json_get_str(keygen, "key_type"));
        snprintf(j->renews, sizeof j->renews, "%s", serial);
        snprintf(j->member, sizeof j->member, "%s", member);
        snprintf(j->profile, sizeof j->profile, "%s", profile);
        j->uris = uris_json; /* the job's now; rq.uris point into it */
        keygen_start(r, j, &rq);
        return;
    }
    struct problem err = {0};
    X509_REQ *csr = pki_csr_parse(csr_text, strlen(csr_text), &err);
    if (!csr || !X509_REQ_get0_pubkey(csr)) {
        if (!csr)
            reply_ca_problem(r, &err);
        else
            reply_problem(r, PK_CSR_MALFORMED, "csr", "the CSR has no usable key");
    } else {
        rq.csr = csr;
        rq.pubkey = X509_REQ_get0_pubkey(csr);
        issue_and_reply(r, &rq, NULL, NULL);
    }
    X509_REQ_free(csr);
    json_decref(uris_json);
}

/* Fixture for signer tests: a CA set (root P-384, issuing P-256, issuing RSA-2048),
 * encrypted keys, a passphrase file, and leaf TBS building. Header-only. */
#ifndef TROTH_SIGNER_TEST_UTIL_H
#define TROTH_SIGNER_TEST_UTIL_H

#include <sys/stat.h>

#include "pki/encode.h"
#include "pki/leaf.h"
#include "ca/signer_pool.h"
#include "signer/signer.h"
#include "pki_test_util.h"

#define ST_PASS "test passphrase 16+\n"

struct st_fixture {
    struct tu_cas c;          /* root + "issuing" (EC P-256) */
    EVP_PKEY *rsa_key;        /* "issuing-rsa" */
    X509 *rsa_ca;
    char *dir, *pass_file;
    unsigned char *der[3];
    size_t der_len[3];
    char *pem[3];
    struct signer_ca_blob blobs[3];
};

static inline struct st_fixture *st_setup(void)
{
    struct st_fixture *f = calloc(1, sizeof *f);
    struct problem err;
    if (tu_make_cas(&f->c, "ec:P-384", "ec:P-256") != 0)
        return NULL;
    f->rsa_key = pki_key_generate("rsa:2048", &err);
    X509_NAME *n = pki_name_org_cn("Test Community", "Test Issuing RSA", &err);
    f->rsa_ca = pki_ca_make_issuing(f->rsa_key, n, 1000, f->c.root, f->c.root_key, "http://x/root.crl",
                                    "http://x/root.crt", &err);
    X509_NAME_free(n);
    f->dir = tu_mkdtemp();
    f->pass_file = tu_path(f->dir, "pass");
    tu_write(f->pass_file, ST_PASS, strlen(ST_PASS));
    chmod(f->pass_file, 0600); /* the supervisor refuses a passphrase others can read */
    static const char *const ids[] = {"root", "issuing", "issuing-rsa"};
    X509 *certs[] = {f->c.root, f->c.issuing, f->rsa_ca};
    EVP_PKEY *keys[] = {f->c.root_key, f->c.int_key, f->rsa_key};
    for (int i = 0; i < 3; i++) {
        pki_cert_der(certs[i], &f->der[i], &f->der_len[i], &err);
        /* Few iterations: every worker start decrypts all three keys (ASan slows PBKDF2). */
        f->pem[i] = pki_key_encrypt_pem_iter(keys[i], "test passphrase 16+", 2048, &err);
        f->blobs[i] = (struct signer_ca_blob){ids[i], f->der[i], f->der_len[i], f->pem[i], strlen(f->pem[i])};
    }
    return f;
}

static inline void st_teardown(struct st_fixture *f)
{
    for (int i = 0; i < 3; i++) {
        free(f->der[i]);
        free(f->pem[i]);
    }
    tu_free_cas(&f->c);
    EVP_PKEY_free(f->rsa_key);
    X509_free(f->rsa_ca);
    free(f->pass_file);
    tu_rmdir(f->dir);
    free(f);
}

/* Pool options for n workers on the fixture's passphrase file. */
static inline struct signer_pool_opts st_pool_opts(const struct st_fixture *f, size_t n)
{
    return (struct signer_pool_opts){.workers = n, .passphrase_file = f->pass_file, .crl_validity_hours = 168,
                                     .web_uid = -1};
}

/* A worker configuration holding the fixture's three CAs (keys already
 * decrypted, as the supervisor hands them over); free with st_worker_cfg_free. */
static inline struct signer_worker_cfg st_worker_cfg(const struct st_fixture *f, bool sandbox)
{
    static const char *const ids[] = {"root", "issuing", "issuing-rsa"};
    X509 *certs[] = {f->c.root, f->c.issuing, f->rsa_ca};
    EVP_PKEY *keys[] = {f->c.root_key, f->c.int_key, f->rsa_key};
    struct signer_ca_def *d = calloc(3, sizeof *d);
    for (int i = 0; i < 3; i++) {
        snprintf(d[i].id, sizeof d[i].id, "%s", ids[i]);
        d[i].cert = X509_dup(certs[i]);
        EVP_PKEY_up_ref(keys[i]);
        d[i].src.key = keys[i];
    }
    return (struct signer_worker_cfg){.cas = d, .n_cas = 3, .policy = {168 * 3600}, .user = "nobody",
                                      .sandbox = sandbox};
}

static inline void st_worker_cfg_free(struct signer_worker_cfg *c)
{
    struct signer_ca_def *d = (struct signer_ca_def *)c->cas;
    for (size_t i = 0; i < c->n_cas; i++) {
        X509_free(d[i].cert);
        signer_key_source_clear(&d[i].src);
    }
    free(d);
}

static const char *const ST_URIS[] = {"https://App.Example.ORG/fhir/r4/", "https://app.example.org/fhir/r4"};

/* TBS of a leaf (fresh P-256 key) under issuer; *tbs malloc'd. */
static inline int st_leaf_tbs(const X509 *issuer, unsigned char **tbs, size_t *len)
{
    struct problem err;
    EVP_PKEY *k = pki_key_generate("ec:P-256", &err);
    X509_NAME *n = pki_name_org_cn("Member", "app", &err);
    time_t now = time(NULL);
    struct pki_leaf_spec spec = {.pubkey = k, .subject = n, .uris = ST_URIS, .n_uris = 2,
                                 .not_before = now - 60, .not_after = now + 365 * 86400,
                                 .crl_url = "http://127.0.0.1:8080/crl/issuing.crl",
                                 .aia_url = "http://127.0.0.1:8080/ca/issuing.crt", .eku_client_auth = true};
    pki_random_serial(spec.serial);
    const unsigned char *alg;
    size_t alg_len;
    int rc = pki_leaf_build_tbs(&spec, issuer, tbs, len, &alg, &alg_len, &err);
    X509_NAME_free(n);
    EVP_PKEY_free(k);
    return rc;
}

#endif

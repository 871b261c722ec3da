#include "ca/registry.h"

#include <openssl/bio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pki/encode.h"
#include "pki/ext.h"

DB_STMT(q_cas, 0,
        "SELECT id, kind, coalesce(parent_id, ''), certificate_der, key_encrypted, "
        "subject, fingerprint_sha256, issues_members, key_store, key_uri "
        "FROM cas ORDER BY kind DESC, id");

static const struct ca_set *g_current;
void ca_set_current(const struct ca_set *set) { g_current = set; }
const struct ca_set *ca_current(void) { return g_current; }

void ca_urls(const char *public_url, const char *id, char *crl_url, char *cert_url,
             size_t len)
{
    snprintf(crl_url, len, "%s/crl/%s.crl", public_url, id);
    snprintf(cert_url, len, "%s/ca/%s.crt", public_url, id);
}

void ca_name_string(const X509_NAME *name, char *out, size_t len)
{
    out[0] = 0;
    BIO *b = BIO_new(BIO_s_mem());
    if (!b)
        return;
    X509_NAME_print_ex(b, name, 0, XN_FLAG_RFC2253);
    int n = BIO_read(b, out, (int)len - 1);
    out[n > 0 ? n : 0] = 0;
    BIO_free(b);
}

int ca_set_load(struct db *db, const char *public_url, struct ca_set *set)
{
    memset(set, 0, sizeof *set);
    PGresult *res;
    /* the DER column comes back in binary form: ask for binary results */
    enum db_rc rc = db_exec_bin(db, &q_cas, &res, NULL, NULL, NULL, 1);
    if (rc != DB_OK)
        return -1;
    int n = PQntuples(res);
    if (n == 0) {
        PQclear(res);
        return 1;
    }
    set->cas = calloc((size_t)n, sizeof *set->cas);
    if (!set->cas) {
        PQclear(res);
        return -1;
    }
    for (int i = 0; i < n; i++) {
        struct ca_info *c = &set->cas[set->n];
        snprintf(c->id, sizeof c->id, "%s", PQgetvalue(res, i, 0));
        snprintf(c->kind, sizeof c->kind, "%s", PQgetvalue(res, i, 1));
        snprintf(c->parent, sizeof c->parent, "%s", PQgetvalue(res, i, 2));
        c->der_len = (size_t)PQgetlength(res, i, 3);
        c->der = malloc(c->der_len);
        c->key_pem = PQgetisnull(res, i, 4) ? NULL : strdup(PQgetvalue(res, i, 4));
        c->key_uri = PQgetisnull(res, i, 9) ? NULL : strdup(PQgetvalue(res, i, 9));
        snprintf(c->key_store, sizeof c->key_store, "%s", PQgetvalue(res, i, 8));
        if (!c->der || (!c->key_pem && !PQgetisnull(res, i, 4)) ||
            (!c->key_uri && !PQgetisnull(res, i, 9)))
            goto fail;
        memcpy(c->der, PQgetvalue(res, i, 3), c->der_len);
        const unsigned char *p = c->der;
        c->cert = d2i_X509(NULL, &p, (long)c->der_len);
        if (!c->cert)
            goto fail;
        snprintf(c->subject, sizeof c->subject, "%s", PQgetvalue(res, i, 5));
        snprintf(c->fingerprint, sizeof c->fingerprint, "%s", PQgetvalue(res, i, 6));
        c->issues_members = PQgetvalue(res, i, 7)[0] == 1; /* binary bool */
        pki_asn1_time_to_time_t(X509_get0_notBefore(c->cert), &c->not_before);
        pki_asn1_time_to_time_t(X509_get0_notAfter(c->cert), &c->not_after);
        ca_urls(public_url, c->id, c->crl_url, c->cert_url, sizeof c->crl_url);
        set->n++;
    }
    PQclear(res);
    return 0;
fail: {
        struct ca_info *c = &set->cas[set->n]; /* the one being filled */
        X509_free(c->cert);
        free(c->der);
        free(c->key_pem);
        free(c->key_uri);
    }
    PQclear(res);
    ca_set_free(set);
    return -1;
}

void ca_set_free(struct ca_set *set)
{
    for (size_t i = 0; i < set->n; i++) {
        struct ca_info *c = &set->cas[i];
        X509_free(c->cert);
        free(c->der);
        if (c->key_pem) {
            memset(c->key_pem, 0, strlen(c->key_pem));
            free(c->key_pem);
        }
        free(c->key_uri);
    }
    free(set->cas);
    memset(set, 0, sizeof *set);
}

bool ca_is_offline(const struct ca_info *ca)
{
    return ca && !strcmp(ca->key_store, "offline");
}

const struct ca_info *ca_find(const struct ca_set *set, const char *id)
{
    for (size_t i = 0; set && i < set->n; i++)
        if (!strcmp(set->cas[i].id, id))
            return &set->cas[i];
    return NULL;
}

const struct ca_info *ca_issuing(const struct ca_set *set)
{
    for (size_t i = 0; set && i < set->n; i++)
        if (set->cas[i].issues_members)
            return &set->cas[i];
    return NULL;
}

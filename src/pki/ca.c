/* CA hierarchy certificates (RFC 5280 §4.2.1.9 basicConstraints, §4.2.1.3 keyUsage). */
#include "pki/ca.h"

#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "pki/ext.h"
#include "pki/leaf.h"
#include "pki/sign.h"

X509_NAME *pki_name_org_cn(const char *org, const char *cn, struct problem *err)
{
    if ((org == NULL || !*org) && (cn == NULL || !*cn)) {
        problem_set(err, PK_NAME_EMPTY, NULL, "a subject name needs an organisation or common name");
        return NULL;
    }
    X509_NAME *name = X509_NAME_new();
    /* MBSTRING_UTF8 input stored as UTF8String (§4.1.2.4 recommends UTF8String). */
    int ok = name != NULL &&
             (org == NULL || !*org ||
              X509_NAME_add_entry_by_NID(name, NID_organizationName, MBSTRING_UTF8,
                                         (const unsigned char *)org, -1, -1, 0)) &&
             (cn == NULL || !*cn ||
              X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_UTF8,
                                         (const unsigned char *)cn, -1, -1, 0));
    if (!ok) {
        X509_NAME_free(name);
        pki_ossl_problem(err, PK_NAME_INVALID, "invalid subject name (bad UTF-8 or too long)");
        return NULL;
    }
    return name;
}

/* Common CA fields: v3, serial, subject, validity, key, SKI, CA constraints. */
static X509 *ca_skeleton(EVP_PKEY *key, const X509_NAME *subject, time_t nb, time_t na, int pathlen)
{
    unsigned char serial[16];
    X509 *x = X509_new();
    if (x == NULL || pki_random_serial(serial) != 0 || !X509_set_version(x, X509_VERSION_3) ||
        pki_set_serial(x, serial) != 0 || !X509_set_subject_name(x, subject) ||
        pki_set_validity(x, nb, na) != 0 || !X509_set_pubkey(x, key) ||
        pki_ext_add_basic_constraints(x, true, pathlen) != 0 ||
        pki_ext_add_key_usage(x, KU_KEY_CERT_SIGN | KU_CRL_SIGN) != 0 ||
        pki_ext_add_ski(x) != 0) {
        X509_free(x);
        return NULL;
    }
    return x;
}

X509 *pki_ca_make_root(EVP_PKEY *key, const X509_NAME *subject, int days, struct problem *err)
{
    const EVP_MD *md = pki_digest_for_key(key);
    if (md == NULL || days <= 0) {
        problem_set(err, md ? PK_DAYS_INVALID : PK_KEY_TYPE_NOT_ALLOWED, NULL,
                    md ? "validity must be at least one day" : "CA keys must be RSA or EC P-256/P-384");
        return NULL;
    }
    time_t now = time(NULL);
    X509 *x = ca_skeleton(key, subject, now, now + (time_t)days * 86400, -1);
    if (x == NULL || !X509_set_issuer_name(x, subject) || X509_sign(x, key, md) <= 0) {
        X509_free(x);
        pki_ossl_problem(err, PK_CA_BUILD_FAILED, "building the root certificate");
        return NULL;
    }
    return x;
}

X509 *pki_ca_make_issuing(EVP_PKEY *key, const X509_NAME *subject, int days,
                          const X509 *root, EVP_PKEY *root_key,
                          const char *root_crl_url, const char *root_cert_url, struct problem *err)
{
    const EVP_MD *md = pki_digest_for_key(root_key);
    if (md == NULL || pki_digest_for_key(key) == NULL || days <= 0) {
        problem_set(err, days <= 0 ? PK_DAYS_INVALID : PK_KEY_TYPE_NOT_ALLOWED, NULL,
                    "CA keys must be RSA or EC P-256/P-384 and validity at least one day");
        return NULL;
    }
    if (!pki_uri_acceptable(root_crl_url) || !pki_uri_acceptable(root_cert_url)) {
        problem_set(err, PK_CA_URL_INVALID, NULL, "root CRL and certificate URLs must be absolute URIs");
        return NULL;
    }
    time_t now = time(NULL), root_na;
    time_t na = now + (time_t)days * 86400;
    if (pki_asn1_time_to_time_t(X509_get0_notAfter(root), &root_na) != 0 || root_na <= now) {
        problem_set(err, PK_CA_EXPIRED, NULL, "the root certificate has expired");
        return NULL;
    }
    if (na > root_na)
        na = root_na; /* never outlive the root */
    X509 *x = ca_skeleton(key, subject, now, na, 0);
    if (x == NULL || !X509_set_issuer_name(x, X509_get_subject_name(root)) ||
        pki_ext_add_aki(x, root) != 0 || pki_ext_add_crl_dp(x, root_crl_url) != 0 ||
        pki_ext_add_aia_ca_issuers(x, root_cert_url) != 0 ||
        /* anyPolicy (RFC 5280 §4.2.1.4): the community's profiles choose the
         * leaves' policies ([profile] certificate_policies); a relying party
         * that requires one of them then finds it valid through this CA */
        pki_ext_add_policies(x, (const char *const[]){"2.5.29.32.0"}, 1) != 0 ||
        X509_sign(x, root_key, md) <= 0) {
        X509_free(x);
        pki_ossl_problem(err, PK_CA_BUILD_FAILED, "building the issuing CA certificate");
        return NULL;
    }
    return x;
}

int pki_ca_check_pair(X509 *cert, EVP_PKEY *key, struct problem *err)
{
    if (X509_check_private_key(cert, key) != 1) {
        ERR_clear_error();
        return problem_set(err, PK_CA_KEY_MISMATCH, NULL, "the private key does not match the certificate");
    }
    return pki_ca_check_cert(cert, err);
}

int pki_ca_check_cert(X509 *cert, struct problem *err)
{
    EVP_PKEY *key = X509_get0_pubkey(cert);
    uint32_t flags = X509_get_extension_flags(cert);
    if ((flags & EXFLAG_INVALID) || !(flags & EXFLAG_BCONS) || !(flags & EXFLAG_CA))
        return problem_set(err, PK_CA_NOT_CA, NULL, "the certificate lacks basicConstraints CA:TRUE");
    if (!(flags & EXFLAG_KUSAGE) || !(X509_get_key_usage(cert) & KU_KEY_CERT_SIGN))
        return problem_set(err, PK_CA_NOT_CA, NULL, "the certificate's keyUsage lacks keyCertSign");
    if (pki_digest_for_key(key) == NULL)
        return problem_set(err, PK_KEY_TYPE_NOT_ALLOWED, NULL, "CA keys must be RSA or EC P-256/P-384");
    return 0;
}

/* PEM password callback: the given passphrase, or fail (never prompt on a terminal). */
static int pass_cb(char *buf, int size, int rwflag, void *u)
{
    (void)rwflag;
    const char *pass = u;
    if (pass == NULL)
        return -1;
    size_t n = strlen(pass);
    if (n > (size_t)size)
        return -1;
    memcpy(buf, pass, n);
    return (int)n;
}

int pki_ca_import_check(const char *cert_pem, size_t cert_len, const char *key_pem, size_t key_len,
                        const char *passphrase, X509 **cert_out, EVP_PKEY **key_out, struct problem *err)
{
    *cert_out = NULL;
    *key_out = NULL;
    if (cert_len > INT32_MAX || key_len > INT32_MAX)
        return problem_set(err, PK_PEM_MALFORMED, NULL, "input too large");
    BIO *cb = BIO_new_mem_buf(cert_pem, (int)cert_len);
    BIO *kb = BIO_new_mem_buf(key_pem, (int)key_len);
    X509 *cert = cb ? PEM_read_bio_X509(cb, NULL, NULL, NULL) : NULL;
    EVP_PKEY *key = kb ? PEM_read_bio_PrivateKey(kb, NULL, pass_cb, (void *)passphrase) : NULL;
    BIO_free(cb);
    BIO_free(kb);
    ERR_clear_error();
    int rc;
    if (cert == NULL)
        rc = problem_set(err, PK_CERT_MALFORMED, NULL, "the certificate is not a PEM X.509 certificate");
    else if (key == NULL)
        rc = problem_set(err, PK_KEY_MALFORMED, NULL, "the key is not a readable PEM private key (wrong passphrase?)");
    else
        rc = pki_ca_check_pair(cert, key, err);
    if (rc != 0) {
        X509_free(cert);
        EVP_PKEY_free(key);
        return -1;
    }
    *cert_out = cert;
    *key_out = key;
    return 0;
}

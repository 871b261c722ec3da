/* X.509 v3 extensions built from OpenSSL structures, never from config strings,
 * so URLs and URIs are encoded exactly as given. */
#include "pki/ext.h"

#include <string.h>

#include <openssl/x509v3.h>

int pki_ext_add_ski(X509 *x)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0;
    ASN1_OCTET_STRING *ski = ASN1_OCTET_STRING_new();
    int ok = ski != NULL && X509_pubkey_digest(x, EVP_sha1(), md, &mdlen) &&
             ASN1_OCTET_STRING_set(ski, md, (int)mdlen) &&
             X509_add1_ext_i2d(x, NID_subject_key_identifier, ski, 0, X509V3_ADD_REPLACE);
    ASN1_OCTET_STRING_free(ski);
    return ok ? 0 : -1;
}

int pki_ext_add_aki(X509 *x, const X509 *issuer)
{
    const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id((X509 *)issuer);
    if (ski == NULL)
        return -1;
    AUTHORITY_KEYID *aki = AUTHORITY_KEYID_new();
    int ok = aki != NULL && (aki->keyid = ASN1_OCTET_STRING_dup(ski)) != NULL &&
             X509_add1_ext_i2d(x, NID_authority_key_identifier, aki, 0, X509V3_ADD_REPLACE);
    AUTHORITY_KEYID_free(aki);
    return ok ? 0 : -1;
}

int pki_ext_add_basic_constraints(X509 *x, bool ca, int pathlen)
{
    BASIC_CONSTRAINTS *bc = BASIC_CONSTRAINTS_new();
    int ok = bc != NULL;
    if (ok) {
        bc->ca = ca ? 0xff : 0;
        if (pathlen >= 0)
            ok = (bc->pathlen = ASN1_INTEGER_new()) != NULL && ASN1_INTEGER_set(bc->pathlen, pathlen);
    }
    ok = ok && X509_add1_ext_i2d(x, NID_basic_constraints, bc, 1, X509V3_ADD_REPLACE);
    BASIC_CONSTRAINTS_free(bc);
    return ok ? 0 : -1;
}

int pki_ext_add_key_usage(X509 *x, unsigned bits)
{
    ASN1_BIT_STRING *ku = ASN1_BIT_STRING_new();
    int ok = ku != NULL;
    for (int bit = 0; ok && bit < 9; bit++) {
        /* KU_* constants put bit 0 (digitalSignature) at 0x80, bit 8 (decipherOnly) at 0x8000. */
        unsigned mask = bit < 8 ? 0x80u >> bit : 0x8000u;
        if (bits & mask)
            ok = ASN1_BIT_STRING_set_bit(ku, bit, 1);
    }
    ok = ok && X509_add1_ext_i2d(x, NID_key_usage, ku, 1, X509V3_ADD_REPLACE);
    ASN1_BIT_STRING_free(ku);
    return ok ? 0 : -1;
}

int pki_ext_add_eku(X509 *x, bool client, bool server)
{
    EXTENDED_KEY_USAGE *eku = sk_ASN1_OBJECT_new_null();
    int ok = eku != NULL;
    if (ok && client)
        ok = sk_ASN1_OBJECT_push(eku, OBJ_nid2obj(NID_client_auth)) > 0;
    if (ok && server)
        ok = sk_ASN1_OBJECT_push(eku, OBJ_nid2obj(NID_server_auth)) > 0;
    ok = ok && X509_add1_ext_i2d(x, NID_ext_key_usage, eku, 0, X509V3_ADD_REPLACE);
    sk_ASN1_OBJECT_free(eku); /* the objects are static */
    return ok ? 0 : -1;
}

/* A GENERAL_NAME of type URI holding exactly the bytes of s. */
static GENERAL_NAME *uri_name(const char *s)
{
    GENERAL_NAME *gn = GENERAL_NAME_new();
    ASN1_IA5STRING *ia5 = ASN1_IA5STRING_new();
    if (gn == NULL || ia5 == NULL || !ASN1_STRING_set(ia5, s, (int)strlen(s))) {
        GENERAL_NAME_free(gn);
        ASN1_IA5STRING_free(ia5);
        return NULL;
    }
    GENERAL_NAME_set0_value(gn, GEN_URI, ia5);
    return gn;
}

int pki_ext_add_crl_dp(X509 *x, const char *url)
{
    CRL_DIST_POINTS *dps = sk_DIST_POINT_new_null();
    DIST_POINT *dp = DIST_POINT_new();
    GENERAL_NAME *gn = uri_name(url);
    int ok = dps != NULL && dp != NULL && gn != NULL &&
             (dp->distpoint = DIST_POINT_NAME_new()) != NULL &&
             (dp->distpoint->name.fullname = GENERAL_NAMES_new()) != NULL &&
             sk_GENERAL_NAME_push(dp->distpoint->name.fullname, gn) > 0;
    if (ok) {
        gn = NULL;
        dp->distpoint->type = 0; /* fullName */
        ok = sk_DIST_POINT_push(dps, dp) > 0;
        if (ok)
            dp = NULL;
    }
    ok = ok && X509_add1_ext_i2d(x, NID_crl_distribution_points, dps, 0, X509V3_ADD_REPLACE);
    GENERAL_NAME_free(gn);
    DIST_POINT_free(dp);
    sk_DIST_POINT_pop_free(dps, DIST_POINT_free);
    return ok ? 0 : -1;
}

int pki_ext_add_aia_ca_issuers(X509 *x, const char *url)
{
    AUTHORITY_INFO_ACCESS *aia = sk_ACCESS_DESCRIPTION_new_null();
    ACCESS_DESCRIPTION *ad = ACCESS_DESCRIPTION_new();
    GENERAL_NAME *gn = uri_name(url);
    int ok = aia != NULL && ad != NULL && gn != NULL;
    if (ok) {
        ASN1_OBJECT_free(ad->method);
        ad->method = OBJ_nid2obj(NID_ad_ca_issuers);
        GENERAL_NAME_free(ad->location);
        ad->location = gn;
        gn = NULL;
        ok = sk_ACCESS_DESCRIPTION_push(aia, ad) > 0;
        if (ok)
            ad = NULL;
    }
    ok = ok && X509_add1_ext_i2d(x, NID_info_access, aia, 0, X509V3_ADD_REPLACE);
    GENERAL_NAME_free(gn);
    ACCESS_DESCRIPTION_free(ad);
    sk_ACCESS_DESCRIPTION_pop_free(aia, ACCESS_DESCRIPTION_free);
    return ok ? 0 : -1;
}

int pki_ext_add_san_uris(X509 *x, const char *const *uris, size_t n)
{
    GENERAL_NAMES *names = GENERAL_NAMES_new();
    int ok = names != NULL && n > 0;
    for (size_t i = 0; ok && i < n; i++) {
        GENERAL_NAME *gn = uri_name(uris[i]);
        ok = gn != NULL && sk_GENERAL_NAME_push(names, gn) > 0;
        if (!ok)
            GENERAL_NAME_free(gn);
    }
    /* §4.2.1.6: critical only when the subject is empty; ours always has a subject. */
    ok = ok && X509_add1_ext_i2d(x, NID_subject_alt_name, names, 0, X509V3_ADD_REPLACE);
    GENERAL_NAMES_free(names);
    return ok ? 0 : -1;
}

int pki_ext_add_policies(X509 *x, const char *const *oids, size_t n)
{
    CERTIFICATEPOLICIES *pol = sk_POLICYINFO_new_null();
    int ok = pol != NULL && n > 0;
    for (size_t i = 0; ok && i < n; i++) {
        POLICYINFO *pi = POLICYINFO_new();
        ASN1_OBJECT *obj = OBJ_txt2obj(oids[i], 1); /* numerical form only */
        ok = pi != NULL && obj != NULL;
        if (ok) {
            ASN1_OBJECT_free(pi->policyid);
            pi->policyid = obj;
            obj = NULL;
            ok = sk_POLICYINFO_push(pol, pi) > 0;
        }
        if (!ok) {
            POLICYINFO_free(pi);
            ASN1_OBJECT_free(obj);
        }
    }
    ok = ok && X509_add1_ext_i2d(x, NID_certificate_policies, pol, 0, X509V3_ADD_REPLACE);
    sk_POLICYINFO_pop_free(pol, POLICYINFO_free);
    return ok ? 0 : -1;
}

int pki_uri_acceptable(const char *s)
{
    if (s == NULL || s[0] == '\0' || strlen(s) > 2048)
        return 0;
    const char *colon = strchr(s, ':');
    if (colon == NULL || colon == s)
        return 0; /* RFC 3986 §3.1: a scheme is required */
    for (const char *p = s; *p; p++)
        if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
            return 0; /* IA5 printable only, no spaces or controls */
    return 1;
}

int pki_asn1_time_to_time_t(const ASN1_TIME *t, time_t *out)
{
    struct tm tm;
    if (t == NULL || !ASN1_TIME_to_tm(t, &tm))
        return -1;
    *out = timegm(&tm);
    return 0;
}

int pki_set_validity(X509 *x, time_t not_before, time_t not_after)
{
    ASN1_TIME *nb = ASN1_TIME_set(NULL, not_before);
    ASN1_TIME *na = ASN1_TIME_set(NULL, not_after);
    int ok = nb != NULL && na != NULL && X509_set1_notBefore(x, nb) && X509_set1_notAfter(x, na);
    ASN1_TIME_free(nb);
    ASN1_TIME_free(na);
    return ok ? 0 : -1;
}

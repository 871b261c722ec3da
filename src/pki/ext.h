/* X.509 v3 extension helpers shared by CA and leaf building (RFC 5280 §4.2). */
#ifndef TROTH_PKI_EXT_H
#define TROTH_PKI_EXT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>
#include <openssl/x509.h>
#include "pki/err.h"

/* Add SKI = SHA-1 of the subjectPublicKey bits (§4.2.1.2 method 1). 0 or -1. */
int pki_ext_add_ski(X509 *x);
/* Add AKI keyIdentifier = issuer's SKI (§4.2.1.1); -1 if the issuer has no SKI. */
int pki_ext_add_aki(X509 *x, const X509 *issuer);
/* Add critical basicConstraints (§4.2.1.9); pathlen < 0 means absent. */
int pki_ext_add_basic_constraints(X509 *x, bool ca, int pathlen);
/* Add critical keyUsage (§4.2.1.3) from KU_* bits (openssl/x509v3.h). */
int pki_ext_add_key_usage(X509 *x, unsigned bits);
/* Add extendedKeyUsage (§4.2.1.12) with clientAuth and/or serverAuth. */
int pki_ext_add_eku(X509 *x, bool client, bool server);
/* Add a CRL distribution point with one fullName URI (§4.2.1.13). */
int pki_ext_add_crl_dp(X509 *x, const char *url);
/* Add authorityInfoAccess caIssuers URI (§4.2.2.1). */
int pki_ext_add_aia_ca_issuers(X509 *x, const char *url);
/* Add subjectAltName of uniformResourceIdentifier names, byte-exact (§4.2.1.6). */
int pki_ext_add_san_uris(X509 *x, const char *const *uris, size_t n);
/* certificatePolicies (§4.2.1.4, not critical): one PolicyInformation per
 * dotted OID, without qualifiers. 0 or -1 (an OID OpenSSL cannot read). */
int pki_ext_add_policies(X509 *x, const char *const *oids, size_t n);
/* 1 if s is a plausible IA5 URI for a certificate: non-empty, printable ASCII, no spaces, has a scheme. */
int pki_uri_acceptable(const char *s);
/* Convert an ASN1_TIME to time_t (UTC); -1 on error. */
int pki_asn1_time_to_time_t(const ASN1_TIME *t, time_t *out);
/* Set notBefore/notAfter (UTCTime until 2049, GeneralizedTime after: §4.1.2.5). */
int pki_set_validity(X509 *x, time_t not_before, time_t not_after);

#endif

/* Encodings of certificates for display and transport: fingerprints, serial
 * hex, PEM <-> DER, base64 for JWS x5c. */
#ifndef TROTH_PKI_ENCODE_H
#define TROTH_PKI_ENCODE_H

#include <stdbool.h>
#include <stddef.h>
#include <openssl/x509.h>
#include "pki/err.h"

/* Size of a SHA-256 hex fingerprint buffer: 64 hex digits (95 with colons) + NUL. */
#define PKI_FP_HEX_SIZE 96

/* SHA-256 of der as lowercase hex; colons=true gives "ab:cd:..". out has PKI_FP_HEX_SIZE bytes. */
void pki_fingerprint_sha256(const unsigned char *der, size_t len, bool colons, char out[PKI_FP_HEX_SIZE]);
/* Certificate serial as lowercase hex without separators or sign byte; malloc'd. */
char *pki_serial_hex(const X509 *cert);
/* DER certificate of cert; *der malloc'd (OPENSSL_free not needed: plain free). */
int pki_cert_der(const X509 *cert, unsigned char **der, size_t *len, struct problem *err);
/* PEM armour ("-----BEGIN <label>-----", 64-column base64) of der; malloc'd NUL-terminated. */
char *pki_der_to_pem(const unsigned char *der, size_t len, const char *label);
/* First PEM block with the given label in pem -> DER (*der malloc'd); -1 if none or corrupt. */
int pki_pem_to_der(const char *pem, size_t pem_len, const char *label, unsigned char **der, size_t *len);
/* Base64 (one line, no newlines) of der, as used by JWS x5c (RFC 7515 §4.1.6); malloc'd. */
char *pki_base64(const unsigned char *der, size_t len);
/* The bytes of one line of padded base64 (as pki_base64 writes it); *der
 * malloc'd; -1 when b64 is not that. */
int pki_base64_decode(const char *b64, unsigned char **der, size_t *len);
/* Parse a DER certificate; NULL on error. */
X509 *pki_cert_from_der(const unsigned char *der, size_t len);

#endif

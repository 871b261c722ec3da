/* Fingerprints, hex, PEM and base64 helpers. */
#include "pki/encode.h"

#include "util/hex.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

void pki_fingerprint_sha256(const unsigned char *der, size_t len, bool colons, char out[PKI_FP_HEX_SIZE])
{
    unsigned char md[32];
    unsigned mdlen = 0;
    if (!EVP_Digest(der, len, md, &mdlen, EVP_sha256(), NULL) || mdlen != 32) {
        out[0] = '\0';
        return;
    }
    if (!colons) {
        hex_encode(md, 32, out);
        return;
    }
    for (size_t i = 0; i < 32; i++) {
        hex_encode(md + i, 1, out + 3 * i);
        out[3 * i + 2] = i == 31 ? '\0' : ':';
    }
}

char *pki_serial_hex(const X509 *cert)
{
    const ASN1_INTEGER *sn = X509_get0_serialNumber(cert);
    BIGNUM *bn = ASN1_INTEGER_to_BN(sn, NULL);
    if (bn == NULL)
        return NULL;
    int n = BN_num_bytes(bn);
    unsigned char *be = malloc((size_t)n + 1);
    char *out = malloc(2 * (size_t)n + 2);
    if (be != NULL && out != NULL) {
        BN_bn2bin(bn, be);
        if (n == 0)
            strcpy(out, "00");
        else
            hex_encode(be, (size_t)n, out);
    } else {
        free(out);
        out = NULL;
    }
    free(be);
    BN_free(bn);
    return out;
}

int pki_cert_der(const X509 *cert, unsigned char **der, size_t *len, struct problem *err)
{
    unsigned char *tmp = NULL;
    int n = i2d_X509(cert, &tmp);
    if (n <= 0)
        return pki_ossl_problem(err, PK_ENCODE_FAILED, "encoding the certificate");
    *der = malloc((size_t)n);
    if (*der == NULL) {
        OPENSSL_free(tmp);
        return problem_set(err, PK_OUT_OF_MEMORY, NULL, "out of memory");
    }
    memcpy(*der, tmp, (size_t)n);
    OPENSSL_free(tmp);
    *len = (size_t)n;
    return 0;
}

char *pki_der_to_pem(const unsigned char *der, size_t len, const char *label)
{
    size_t b64len = 4 * ((len + 2) / 3);
    size_t cap = b64len + b64len / 64 + 2 * strlen(label) + 64;
    char *out = malloc(cap);
    char *line = malloc(4 * 48 / 3 + 1);
    if (out == NULL || line == NULL) {
        free(out);
        free(line);
        return NULL;
    }
    size_t o = (size_t)snprintf(out, cap, "-----BEGIN %s-----\n", label);
    for (size_t i = 0; i < len; i += 48) {
        size_t chunk = len - i < 48 ? len - i : 48;
        int n = EVP_EncodeBlock((unsigned char *)line, der + i, (int)chunk);
        memcpy(out + o, line, (size_t)n);
        o += (size_t)n;
        out[o++] = '\n';
    }
    snprintf(out + o, cap - o, "-----END %s-----\n", label);
    free(line);
    return out;
}

int pki_pem_to_der(const char *pem, size_t pem_len, const char *label, unsigned char **der, size_t *len)
{
    if (pem_len > INT32_MAX)
        return -1;
    BIO *bio = BIO_new_mem_buf(pem, (int)pem_len);
    char *name = NULL, *header = NULL;
    unsigned char *data = NULL;
    long n = 0;
    int rc = -1;
    while (bio != NULL && PEM_read_bio(bio, &name, &header, &data, &n)) {
        if (strcmp(name, label) == 0 && (*der = malloc(n > 0 ? (size_t)n : 1)) != NULL) {
            memcpy(*der, data, (size_t)n);
            *len = (size_t)n;
            rc = 0;
        }
        OPENSSL_free(name);
        OPENSSL_free(header);
        OPENSSL_free(data);
        if (rc == 0)
            break;
    }
    ERR_clear_error();
    BIO_free(bio);
    return rc;
}

char *pki_base64(const unsigned char *der, size_t len)
{
    if (len > INT32_MAX / 2)
        return NULL;
    char *out = malloc(4 * ((len + 2) / 3) + 1);
    if (out != NULL)
        EVP_EncodeBlock((unsigned char *)out, der, (int)len);
    return out;
}

int pki_base64_decode(const char *b64, unsigned char **der, size_t *len)
{
    size_t n = strlen(b64);
    *der = NULL;
    if (n == 0 || n % 4 || n > INT32_MAX)
        return -1;
    unsigned char *out = malloc(n / 4 * 3);
    if (out == NULL)
        return -1;
    int got = EVP_DecodeBlock(out, (const unsigned char *)b64, (int)n);
    if (got < 0) {
        free(out);
        return -1;
    }
    /* EVP_DecodeBlock counts the padding as zero bytes */
    size_t pad = (b64[n - 1] == '=') + (b64[n - 2] == '=');
    *der = out;
    *len = (size_t)got - pad;
    return 0;
}

X509 *pki_cert_from_der(const unsigned char *der, size_t len)
{
    const unsigned char *p = der;
    if (len > INT32_MAX)
        return NULL;
    X509 *x = d2i_X509(NULL, &p, (long)len);
    if (x != NULL && p != der + len) { /* trailing bytes */
        X509_free(x);
        return NULL;
    }
    return x;
}

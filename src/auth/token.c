#include "auth/token.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "util/hex.h"

void token_new(const char *prefix, char *out, size_t outlen)
{
    static const char b64url[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    unsigned char r[33];
    size_t got = 0;
    while (got < 32) {
        ssize_t n = getrandom(r + got, 32 - got, 0);
        if (n > 0)
            got += (size_t)n;
    }
    r[32] = 0;
    char body[44];
    for (int i = 0; i < 43; i++) {
        int bit = i * 6, byte = bit / 8, shift = bit % 8;
        unsigned v = ((unsigned)r[byte] << 8 | r[byte + 1]) >> (10 - shift);
        body[i] = b64url[v & 63];
    }
    body[43] = 0;
    snprintf(out, outlen, "%s%s", prefix, body);
}

void token_hash_param(const char *token, char out[TOKEN_HASH_PARAM])
{
    unsigned char md[32];
    unsigned int len = 0;
    EVP_Digest(token, strlen(token), md, &len, EVP_sha256(), NULL);
    out[0] = '\\';
    out[1] = 'x';
    hex_encode(md, sizeof md, out + 2);
}

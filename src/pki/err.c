/* OpenSSL's error queue as a problem. */
#include "pki/err.h"

#include <openssl/err.h>

int pki_ossl_problem(struct problem *err, enum problem_kind k, const char *what)
{
    unsigned long e = ERR_peek_error();
    char buf[160] = "no OpenSSL error";
    if (e != 0)
        ERR_error_string_n(e, buf, sizeof buf);
    ERR_clear_error();
    return problem_set(err, k, NULL, "%s: %s", what, buf);
}

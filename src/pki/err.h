/* Errors of the PKI library are problems of the catalogue (util/problem.h):
 * a kind, no HTTP status of its own, and a human sentence. */
#ifndef TROTH_PKI_ERR_H
#define TROTH_PKI_ERR_H

#include "util/problem.h"

/* Fills err (may be NULL) with kind k and "what: <oldest OpenSSL error>";
 * clears the OpenSSL error queue; returns -1. */
int pki_ossl_problem(struct problem *err, enum problem_kind k, const char *what);

#endif

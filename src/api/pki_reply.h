/* Answers for the PKI handlers: a problem of the CA layer as problem+json,
 * the caller's member scope. */
#ifndef TROTH_PKI_REPLY_H
#define TROTH_PKI_REPLY_H

#include <libpq-fe.h>

#include "pki/err.h"

struct req;

/* Replies with err (its kind's status and title, its detail) and the
 * request field the kind is about when err names none. */
void reply_ca_problem(struct req *r, const struct problem *err);

/* The member a member user is limited to, or NULL for staff. */
const char *req_only_member(const struct req *r);

/* The certificate named by the {serial} path parameter, as the caller may
 * see it (one row of CERT_COLUMNS; PQclear it), or NULL after replying 404
 * or 503. */
PGresult *req_certificate(struct req *r);

#endif

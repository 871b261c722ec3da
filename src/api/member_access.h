/* Shared by the member handlers: who may see which member. */
#ifndef TROTH_MEMBER_ACCESS_H
#define TROTH_MEMBER_ACCESS_H
#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>

struct req;

/* The {id} path parameter if the caller may see that member: a valid id,
 * and for a member user its own member. Otherwise replies 404 (never 403:
 * another member's objects do not exist for a member user) and returns
 * NULL. The database is not consulted: callers still answer 404 for ids
 * that have no row. */
const char *member_param(struct req *r);

/* True if the caller is staff (auditor, operator, admin). */
bool caller_is_staff(const struct req *r);

/* Replies 404 "member-not-found" for member `id`. */
void reply_member_not_found(struct req *r, const char *id);

struct db_stmt;

/* GET of a list under /api/v1/members/{id}/...: checks access and the
 * member, then answers a page of `list`, a statement taking (member id,
 * keyset id, limit + 1) and returning the id in column 0; `row` turns a row
 * into JSON; `desc` lists newest first. */
void reply_member_list(struct req *r, struct db_stmt *list,
                       json_t *(*row)(PGresult *res, int i), bool desc);

#endif

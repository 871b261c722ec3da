/* Every REST handler, one file per resource; the table is in routes.c. */
#ifndef TROTH_HANDLERS_H
#define TROTH_HANDLERS_H

struct req;

/* health.c */
void h_healthz(struct req *r);
void h_readyz(struct req *r);

/* openapi.c */
void h_openapi(struct req *r);

/* session.c */
void h_session_create(struct req *r);
void h_session_delete(struct req *r);
void h_me(struct req *r);

/* users.c */
void h_users_list(struct req *r);
void h_users_create(struct req *r);
void h_users_get(struct req *r);
void h_users_patch(struct req *r);
void h_me_password(struct req *r);

/* tokens.c */
void h_tokens_create(struct req *r);
void h_tokens_list(struct req *r);
void h_tokens_delete(struct req *r);

/* audit_log.c */
void h_audit_list(struct req *r);
void h_audit_verify(struct req *r);

#endif

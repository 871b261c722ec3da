/* Every REST handler, one file per resource; the table is in routes.c. */
#ifndef TROTH_HANDLERS_H
#define TROTH_HANDLERS_H

struct req;

/* health.c */
void h_healthz(struct req *r);
void h_readyz(struct req *r);

/* openapi.c */
void h_openapi(struct req *r);

#endif

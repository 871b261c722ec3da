/* Every REST handler, one file per resource; the table is in routes.c. */
#ifndef TROTH_HANDLERS_H
#define TROTH_HANDLERS_H

struct req;

/* limits the route table's body specs share with their handlers */
#define WEBHOOK_EVENT_COUNT 6        /* webhooks.c: the events one can subscribe to */
#define JWT_FIELD_MAX (64 * 1024)    /* udap.c */
#define INVITATION_DAYS_MAX 30       /* invitations.c */

/* health.c */
void h_healthz(struct req *r);
void h_readyz(struct req *r);

/* webhooks.c */
void h_webhooks_list(struct req *r);
void h_webhooks_create(struct req *r);
void h_webhooks_delete(struct req *r);
void h_webhooks_deliveries(struct req *r);
void h_notifications_list(struct req *r);

/* metrics.c */
void h_metrics(struct req *r);

/* openapi.c */
void h_openapi(struct req *r);

/* public.c */
void h_public_crl(struct req *r);
void h_public_ca_cert(struct req *r);
void h_public_anchors_pem(struct req *r);
void h_public_anchors_json(struct req *r);
struct pub_blob;
/* A published object with ETag, Last-Modified, Cache-Control (bounded by
 * a CRL's nextUpdate), 304 and HEAD; 404 naming `what` when b is NULL. */
void serve_blob(struct req *r, struct pub_blob *b, const char *ctype, const char *what);

/* sandbox.c (the conformance sandbox, issue 15) */
void h_sandbox_index(struct req *r);
void h_sandbox_anchors(struct req *r);
void h_sandbox_ca(struct req *r);
void h_sandbox_crl(struct req *r);
void h_sandbox_fixture(struct req *r);
void h_sandbox_get(struct req *r);
void h_sandbox_init(struct req *r);
void h_sandbox_refresh(struct req *r);

/* ui.c */
void h_ui_index(struct req *r);
void h_ui_asset(struct req *r);
void h_community(struct req *r);

/* session.c */
void h_session_create(struct req *r);
void h_session_delete(struct req *r);
/* 429 too-many-attempts with Retry-After: wait (the sign-in limits) */
void reply_too_many_attempts(struct req *r, long wait);
/* 429 busy with Retry-After: 1 (the global bound on argon2 work) */
void reply_hash_busy(struct req *r);
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

/* certificates.c, certificate_read.c, certificate_status.c */
void h_certificates_issue(struct req *r);
void h_certificates_keygen(struct req *r);
void h_certificates_renew(struct req *r);
void h_certificates_list(struct req *r);
void h_certificates_get(struct req *r);
void h_certificates_get_pem(struct req *r);
void h_certificates_get_der(struct req *r);
void h_certificates_get_chain(struct req *r);
void h_certificates_revoke(struct req *r);
void h_certificates_unhold(struct req *r);

/* cas.c */
void h_cas_list(struct req *r);
void h_cas_crl_now(struct req *r);
void h_cas_signatures(struct req *r); /* signatures.c */
void h_profiles_list(struct req *r);

/* attention.c: the staff's work queue */
void h_attention(struct req *r);
void h_uris_list(struct req *r);
void h_stats(struct req *r); /* stats.c */
void h_member_expiry_timeline(struct req *r); /* stats.c */

/* members.c */
void h_member_create(struct req *r);
void h_member_list(struct req *r);
void h_member_get(struct req *r);
void h_member_update(struct req *r);
void h_member_activate(struct req *r);
void h_member_suspend(struct req *r);
void h_member_reinstate(struct req *r);
void h_member_terminate(struct req *r);

/* member_uris.c */
void h_member_uris_list(struct req *r);
void h_member_uri_add(struct req *r);
void h_member_uri_approve(struct req *r);
void h_member_uri_delete(struct req *r);

/* invitations.c */
void h_invitations_list(struct req *r);
void h_invitations_create(struct req *r);
void h_invitation_lookup(struct req *r);
void h_invitation_revoke(struct req *r);
void h_invitation_resend(struct req *r);
void h_invitation_accept(struct req *r);
void h_member_users_list(struct req *r);

/* udap.c */
void h_udap_validate(struct req *r);

#endif

/* Every route of both listeners: method, pattern, listener, who may call it,
 * the largest body it takes, and its handler. The authorization matrix test
 * and the OpenAPI check read this table through `troth routes`. */
#include "api/routes.h"

#include "api/handlers.h"

#define PUB LISTENER_PUBLIC
#define ADM LISTENER_ADMIN
#define ANY (ROLE_ANON | ROLES_USER)
#define USERS ROLES_USER
#define OPS (ROLE_OPERATOR | ROLE_ADMIN) /* the staff who may change things */
#define ISSUERS (ROLE_MEMBER | OPS)
#define KB 1024

const struct route routes[] = {
    /* public listener: unauthenticated, served from memory */
    {"GET", "/healthz", PUB, ANY, 0, h_healthz},
    {"GET", "/readyz", PUB, ANY, 0, h_readyz},
    {"GET", "/crl/{ca}.crl", PUB, ANY, 0, h_public_crl},
    {"GET", "/ca/{ca}.crt", PUB, ANY, 0, h_public_ca_cert},
    {"GET", "/anchors.pem", PUB, ANY, 0, h_public_anchors_pem},
    {"GET", "/anchors.json", PUB, ANY, 0, h_public_anchors_json},
    /* the conformance sandbox (test material, apart from the above) */
    {"GET", "/sandbox/index.json", PUB, ANY, 0, h_sandbox_index},
    {"GET", "/sandbox/anchors.pem", PUB, ANY, 0, h_sandbox_anchors},
    {"GET", "/sandbox/ca/{name}.crt", PUB, ANY, 0, h_sandbox_ca},
    {"GET", "/sandbox/crl/{name}.crl", PUB, ANY, 0, h_sandbox_crl},
    {"GET", "/sandbox/fixtures/{name}/{file}", PUB, ANY, 0, h_sandbox_fixture},
    /* admin listener: the UI's files */
    {"GET", "/", ADM, ANY, 0, h_ui_index},
    {"GET", "/app/{file}", ADM, ANY, 0, h_ui_asset},
    {"GET", "/accept-invitation", ADM, ANY, 0, h_ui_index},
    /* admin listener: the API */
    {"GET", "/api/v1/openapi.json", ADM, ANY, 0, h_openapi},
    /* Prometheus: staff, or loopback when metrics_open_on_loopback (handler) */
    {"GET", "/metrics", ADM, ANY, 0, h_metrics},
    /* webhooks and the outbox (admin) */
    {"GET", "/api/v1/webhooks", ADM, ROLE_ADMIN, 0, h_webhooks_list},
    {"POST", "/api/v1/webhooks", ADM, ROLE_ADMIN, 8 * KB, h_webhooks_create},
    {"DELETE", "/api/v1/webhooks/{id}", ADM, ROLE_ADMIN, 0, h_webhooks_delete},
    {"GET", "/api/v1/webhooks/{id}/deliveries", ADM, ROLE_ADMIN, 0, h_webhooks_deliveries},
    {"GET", "/api/v1/notifications", ADM, ROLE_ADMIN, 0, h_notifications_list},
    /* sessions and the caller */
    {"POST", "/api/v1/session", ADM, ANY, 4 * KB, h_session_create},
    {"DELETE", "/api/v1/session", ADM, ANY, 0, h_session_delete},
    {"GET", "/api/v1/me", ADM, USERS, 0, h_me},
    {"GET", "/api/v1/community", ADM, USERS, 0, h_community},
    {"POST", "/api/v1/me/password", ADM, USERS, 4 * KB, h_me_password},
    /* users (admin) */
    {"GET", "/api/v1/users", ADM, ROLE_ADMIN, 0, h_users_list},
    {"POST", "/api/v1/users", ADM, ROLE_ADMIN, 4 * KB, h_users_create},
    {"GET", "/api/v1/users/{id}", ADM, ROLE_ADMIN, 0, h_users_get},
    {"PATCH", "/api/v1/users/{id}", ADM, ROLE_ADMIN, 4 * KB, h_users_patch},
    /* API tokens: one's own; an admin's: anyone's */
    {"GET", "/api/v1/tokens", ADM, USERS, 0, h_tokens_list},
    {"POST", "/api/v1/tokens", ADM, USERS, 4 * KB, h_tokens_create},
    {"DELETE", "/api/v1/tokens/{id}", ADM, USERS, 0, h_tokens_delete},
    /* certificates: members for their own member, operators and admins for any */
    {"POST", "/api/v1/certificates", ADM, ISSUERS, 64 * KB, h_certificates_issue},
    {"POST", "/api/v1/certificates/keygen", ADM, ISSUERS, 16 * KB, h_certificates_keygen},
    {"GET", "/api/v1/certificates", ADM, USERS, 0, h_certificates_list},
    {"GET", "/api/v1/certificates/{serial}.pem", ADM, USERS, 0, h_certificates_get_pem},
    {"GET", "/api/v1/certificates/{serial}.der", ADM, USERS, 0, h_certificates_get_der},
    {"GET", "/api/v1/certificates/{serial}.chain.pem", ADM, USERS, 0,
     h_certificates_get_chain},
    {"GET", "/api/v1/certificates/{serial}", ADM, USERS, 0, h_certificates_get},
    {"POST", "/api/v1/certificates/{serial}/revoke", ADM, ISSUERS, 4 * KB,
     h_certificates_revoke},
    {"POST", "/api/v1/certificates/{serial}/unhold", ADM, OPS, 0,
     h_certificates_unhold},
    {"POST", "/api/v1/certificates/{serial}/renew", ADM, ISSUERS, 64 * KB,
     h_certificates_renew},
    /* CAs and profiles */
    {"GET", "/api/v1/cas", ADM, USERS, 0, h_cas_list},
    {"POST", "/api/v1/cas/{id}/crl", ADM, ROLE_ADMIN, 0, h_cas_crl_now},
    {"GET", "/api/v1/cas/{id}/signatures", ADM, ROLES_STAFF, 0, h_cas_signatures},
    {"GET", "/api/v1/profiles", ADM, USERS, 0, h_profiles_list},
    /* audit log */
    {"GET", "/api/v1/audit", ADM, ROLE_ADMIN | ROLE_AUDITOR, 0, h_audit_list},
    {"GET", "/api/v1/audit/verify", ADM, ROLE_ADMIN | ROLE_AUDITOR, 0, h_audit_verify},
    /* the staff's work queue, and URIs across members (pending: to approve) */
    {"GET", "/api/v1/attention", ADM, ROLES_STAFF, 0, h_attention},
    {"GET", "/api/v1/uris", ADM, ROLES_STAFF, 0, h_uris_list},
    {"GET", "/api/v1/stats", ADM, ROLES_STAFF, 0, h_stats},
    {"GET", "/api/v1/members/{id}/expiry-timeline", ADM, USERS, 0, h_member_expiry_timeline},
    /* members (issue 3): staff and the member itself read; operators change */
    {"GET", "/api/v1/members", ADM, USERS, 0, h_member_list},
    {"POST", "/api/v1/members", ADM, OPS, 32 * KB, h_member_create},
    {"GET", "/api/v1/members/{id}", ADM, USERS, 0, h_member_get},
    {"PATCH", "/api/v1/members/{id}", ADM, OPS, 32 * KB, h_member_update},
    {"POST", "/api/v1/members/{id}/activate", ADM, OPS, 0, h_member_activate},
    {"POST", "/api/v1/members/{id}/suspend", ADM, OPS, 4 * KB, h_member_suspend},
    {"POST", "/api/v1/members/{id}/reinstate", ADM, OPS, 0, h_member_reinstate},
    {"POST", "/api/v1/members/{id}/terminate", ADM, OPS, 4 * KB, h_member_terminate},
    /* member URIs: a member user proposes (pending) and withdraws proposals */
    {"GET", "/api/v1/members/{id}/uris", ADM, USERS, 0, h_member_uris_list},
    {"POST", "/api/v1/members/{id}/uris", ADM, ROLE_MEMBER | OPS, 4 * KB, h_member_uri_add},
    {"POST", "/api/v1/members/{id}/uris/{uri_id}/approve", ADM, OPS, 1 * KB, h_member_uri_approve},
    {"DELETE", "/api/v1/members/{id}/uris/{uri_id}", ADM, ROLE_MEMBER | OPS, 0, h_member_uri_delete},
    /* invitations of member users */
    {"GET", "/api/v1/members/{id}/users", ADM, USERS, 0, h_member_users_list},
    {"GET", "/api/v1/members/{id}/invitations", ADM, USERS, 0, h_invitations_list},
    {"POST", "/api/v1/members/{id}/invitations", ADM, OPS, 4 * KB, h_invitations_create},
    {"POST", "/api/v1/invitations/accept", ADM, ANY, 4 * KB, h_invitation_accept},
    /* UDAP toolkit: a JWT with a 4-certificate RSA-4096 x5c is ~12 KB */
    {"POST", "/api/v1/udap/validate", ADM, USERS, 72 * KB, h_udap_validate},
    {"GET", "/api/v1/sandbox", ADM, USERS, 0, h_sandbox_get},
    {"POST", "/api/v1/sandbox/init", ADM, ROLE_ADMIN, 0, h_sandbox_init},
    {"POST", "/api/v1/sandbox/refresh", ADM, ROLE_ADMIN, 0, h_sandbox_refresh},
};

const size_t routes_count = sizeof routes / sizeof routes[0];

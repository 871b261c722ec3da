/* Every route of both listeners: method, pattern, listener, who may call it,
 * the largest body it takes, its handler and the fields of its JSON body
 * (checked by the HTTP layer before the handler runs; a route without BODY
 * takes no JSON body). The authorization matrix test
 * and the OpenAPI check read this table through `troth routes`. */
#include "api/routes.h"

#include "api/handlers.h"
#include "auth/password.h"
#include "auth/token.h"
#include "ca/issue.h"
#include "config.h"
#include "http/json_body.h"
#include "util/validate.h"

#define PUB LISTENER_PUBLIC
#define ADM LISTENER_ADMIN
#define ANY (ROLE_ANON | ROLES_USER)
#define USERS ROLES_USER
#define OPS (ROLE_OPERATOR | ROLE_ADMIN) /* the staff who may change things */
#define ISSUERS (ROLE_MEMBER | OPS)
#define KB 1024

/* A JSON body: its fields, each one of these (a string of at most N bytes,
 * TEXT if it may hold newlines; an integer in [MIN, MAX]; an array of at
 * most N strings or objects; an object whose members the handler checks);
 * REQ_ ones are required. */
#define BODY(...)                                                                  \
    (const struct jfield[]){__VA_ARGS__},                                          \
        sizeof((const struct jfield[]){__VA_ARGS__}) / sizeof(struct jfield)
#define NO_BODY NULL, 0
#define REQ_STR(name, n) {name, JT_STRING, true, n, 0, 0}
#define OPT_STR(name, n) {name, JT_STRING, false, n, 0, 0}
#define REQ_TEXT(name, n) {name, JT_TEXT, true, n, 0, 0}
#define OPT_TEXT(name, n) {name, JT_TEXT, false, n, 0, 0}
#define OPT_INT(name, min, max) {name, JT_INT, false, 0, min, max}
#define OPT_BOOL(name) {name, JT_BOOL, false, 0, 0, 0}
#define REQ_STRS(name, n) {name, JT_STRING_ARRAY, true, n, 0, 0}
#define OPT_OBJS(name, n) {name, JT_OBJECT_ARRAY, false, n, 0, 0}
#define OPT_OBJ(name) {name, JT_OBJECT, false, 0, 0, 0}

const struct route routes[] = {
    /* public listener: unauthenticated, served from memory */
    {"GET", "/healthz", PUB, ANY, 0, h_healthz, NO_BODY},
    {"GET", "/readyz", PUB, ANY, 0, h_readyz, NO_BODY},
    {"GET", "/crl/{ca}.crl", PUB, ANY, 0, h_public_crl, NO_BODY},
    {"GET", "/ca/{ca}.crt", PUB, ANY, 0, h_public_ca_cert, NO_BODY},
    {"GET", "/anchors.pem", PUB, ANY, 0, h_public_anchors_pem, NO_BODY},
    {"GET", "/anchors.json", PUB, ANY, 0, h_public_anchors_json, NO_BODY},
    /* the conformance sandbox (test material, apart from the above) */
    {"GET", "/sandbox/index.json", PUB, ANY, 0, h_sandbox_index, NO_BODY},
    {"GET", "/sandbox/anchors.pem", PUB, ANY, 0, h_sandbox_anchors, NO_BODY},
    {"GET", "/sandbox/ca/{name}.crt", PUB, ANY, 0, h_sandbox_ca, NO_BODY},
    {"GET", "/sandbox/crl/{name}.crl", PUB, ANY, 0, h_sandbox_crl, NO_BODY},
    {"GET", "/sandbox/fixtures/{name}/{file}", PUB, ANY, 0, h_sandbox_fixture, NO_BODY},
    /* admin listener: the UI's files */
    {"GET", "/", ADM, ANY, 0, h_ui_index, NO_BODY},
    {"GET", "/app/{file}", ADM, ANY, 0, h_ui_asset, NO_BODY},
    {"GET", "/accept-invitation", ADM, ANY, 0, h_ui_index, NO_BODY},
    /* admin listener: the API */
    {"GET", "/api/v1/openapi.json", ADM, ANY, 0, h_openapi, NO_BODY},
    /* Prometheus: staff, or loopback when metrics_open_on_loopback (handler) */
    {"GET", "/metrics", ADM, ANY, 0, h_metrics, NO_BODY},
    /* webhooks and the outbox (admin) */
    {"GET", "/api/v1/webhooks", ADM, ROLE_ADMIN, 0, h_webhooks_list, NO_BODY},
    {"POST", "/api/v1/webhooks", ADM, ROLE_ADMIN, 8 * KB, h_webhooks_create,
     BODY(REQ_STR("url", 2048), REQ_STRS("events", WEBHOOK_EVENT_COUNT))},
    {"DELETE", "/api/v1/webhooks/{id}", ADM, ROLE_ADMIN, 0, h_webhooks_delete, NO_BODY},
    {"GET", "/api/v1/webhooks/{id}/deliveries", ADM, ROLE_ADMIN, 0, h_webhooks_deliveries, NO_BODY},
    {"GET", "/api/v1/notifications", ADM, ROLE_ADMIN, 0, h_notifications_list, NO_BODY},
    /* sessions and the caller */
    {"POST", "/api/v1/session", ADM, ANY, 4 * KB, h_session_create,
     BODY(REQ_STR("username", 128), REQ_STR("password", PASSWORD_MAX))},
    {"DELETE", "/api/v1/session", ADM, ANY, 0, h_session_delete, NO_BODY},
    {"GET", "/api/v1/me", ADM, USERS, 0, h_me, NO_BODY},
    {"GET", "/api/v1/community", ADM, USERS, 0, h_community, NO_BODY},
    {"POST", "/api/v1/me/password", ADM, USERS, 4 * KB, h_me_password,
     BODY(REQ_STR("current_password", PASSWORD_MAX), REQ_STR("new_password", PASSWORD_MAX))},
    /* users (admin) */
    {"GET", "/api/v1/users", ADM, ROLE_ADMIN, 0, h_users_list, NO_BODY},
    {"POST", "/api/v1/users", ADM, ROLE_ADMIN, 4 * KB, h_users_create,
     BODY(REQ_STR("username", 128), REQ_STR("role", 16), OPT_STR("member_id", 20),
          OPT_STR("password", PASSWORD_MAX))},
    {"GET", "/api/v1/users/{id}", ADM, ROLE_ADMIN, 0, h_users_get, NO_BODY},
    {"PATCH", "/api/v1/users/{id}", ADM, ROLE_ADMIN, 4 * KB, h_users_patch,
     BODY(OPT_STR("role", 16), OPT_STR("member_id", 20), OPT_BOOL("disabled"),
          OPT_STR("password", PASSWORD_MAX))},
    /* API tokens: one's own; an admin's: anyone's */
    {"GET", "/api/v1/tokens", ADM, USERS, 0, h_tokens_list, NO_BODY},
    {"POST", "/api/v1/tokens", ADM, USERS, 4 * KB, h_tokens_create,
     BODY(REQ_STR("name", 128), OPT_INT("days", 1, 3650), OPT_STR("user_id", 20))},
    {"DELETE", "/api/v1/tokens/{id}", ADM, USERS, 0, h_tokens_delete, NO_BODY},
    /* certificates: members for their own member, operators and admins for any */
    {"POST", "/api/v1/certificates", ADM, ISSUERS, 64 * KB, h_certificates_issue,
     BODY(REQ_STR("member_id", 20), REQ_STR("profile", PROFILE_NAME_MAX), REQ_TEXT("csr", 16384),
          REQ_STRS("uris", MAX_URIS), OPT_STR("common_name", 64))},
    {"POST", "/api/v1/certificates/keygen", ADM, ISSUERS, 16 * KB, h_certificates_keygen,
     BODY(REQ_STR("member_id", 20), REQ_STR("profile", PROFILE_NAME_MAX),
          REQ_STRS("uris", MAX_URIS), REQ_STR("key_type", KEYGEN_TYPE_MAX),
          REQ_STR("passphrase", KEYGEN_PASSPHRASE_MAX),
          OPT_STR("common_name", 64))},
    {"GET", "/api/v1/certificates", ADM, USERS, 0, h_certificates_list, NO_BODY},
    {"GET", "/api/v1/certificates/{serial}.pem", ADM, USERS, 0, h_certificates_get_pem, NO_BODY},
    {"GET", "/api/v1/certificates/{serial}.der", ADM, USERS, 0, h_certificates_get_der, NO_BODY},
    {"GET", "/api/v1/certificates/{serial}.chain.pem", ADM, USERS, 0,
     h_certificates_get_chain, NO_BODY},
    {"GET", "/api/v1/certificates/{serial}", ADM, USERS, 0, h_certificates_get, NO_BODY},
    {"POST", "/api/v1/certificates/{serial}/revoke", ADM, ISSUERS, 4 * KB,
     h_certificates_revoke,
     BODY(REQ_STR("reason", 32))},
    {"POST", "/api/v1/certificates/{serial}/unhold", ADM, OPS, 0,
     h_certificates_unhold, NO_BODY},
    {"POST", "/api/v1/certificates/{serial}/renew", ADM, ISSUERS, 64 * KB,
     h_certificates_renew, /* csr, or keygen {key_type, passphrase}: one of them */
     BODY(OPT_TEXT("csr", 16384), OPT_OBJ("keygen"))},
    /* CAs and profiles */
    {"GET", "/api/v1/cas", ADM, USERS, 0, h_cas_list, NO_BODY},
    {"POST", "/api/v1/cas/{id}/crl", ADM, ROLE_ADMIN, 0, h_cas_crl_now, NO_BODY},
    {"GET", "/api/v1/cas/{id}/signatures", ADM, ROLES_STAFF, 0, h_cas_signatures, NO_BODY},
    {"GET", "/api/v1/profiles", ADM, USERS, 0, h_profiles_list, NO_BODY},
    /* audit log */
    {"GET", "/api/v1/audit", ADM, ROLE_ADMIN | ROLE_AUDITOR, 0, h_audit_list, NO_BODY},
    {"GET", "/api/v1/audit/verify", ADM, ROLE_ADMIN | ROLE_AUDITOR, 0, h_audit_verify, NO_BODY},
    /* the staff's work queue, and URIs across members (pending: to approve) */
    {"GET", "/api/v1/attention", ADM, ROLES_STAFF, 0, h_attention, NO_BODY},
    {"GET", "/api/v1/uris", ADM, ROLES_STAFF, 0, h_uris_list, NO_BODY},
    {"GET", "/api/v1/stats", ADM, ROLES_STAFF, 0, h_stats, NO_BODY},
    {"GET", "/api/v1/members/{id}/expiry-timeline", ADM, USERS, 0, h_member_expiry_timeline,
     NO_BODY},
    /* members (issue 3): staff and the member itself read; operators change */
    {"GET", "/api/v1/members", ADM, USERS, 0, h_member_list, NO_BODY},
    {"POST", "/api/v1/members", ADM, OPS, 32 * KB, h_member_create,
     BODY(REQ_STR("name", 256), REQ_STR("organization_id", URI_MAX), OPT_STR("npi", 10),
          OPT_OBJS("contacts", 20), OPT_TEXT("notes", 4000))},
    {"GET", "/api/v1/members/{id}", ADM, USERS, 0, h_member_get, NO_BODY},
    {"PATCH", "/api/v1/members/{id}", ADM, OPS, 32 * KB, h_member_update,
     BODY(OPT_STR("name", 256), OPT_STR("npi", 10), OPT_OBJS("contacts", 20),
          OPT_TEXT("notes", 4000))},
    {"POST", "/api/v1/members/{id}/activate", ADM, OPS, 0, h_member_activate, NO_BODY},
    {"POST", "/api/v1/members/{id}/suspend", ADM, OPS, 4 * KB, h_member_suspend,
     BODY(OPT_TEXT("reason", 1000))},
    {"POST", "/api/v1/members/{id}/reinstate", ADM, OPS, 0, h_member_reinstate, NO_BODY},
    {"POST", "/api/v1/members/{id}/terminate", ADM, OPS, 4 * KB, h_member_terminate,
     BODY(OPT_TEXT("reason", 1000))},
    /* member URIs: a member user proposes (pending) and withdraws proposals */
    {"GET", "/api/v1/members/{id}/uris", ADM, USERS, 0, h_member_uris_list, NO_BODY},
    {"POST", "/api/v1/members/{id}/uris", ADM, ROLE_MEMBER | OPS, 4 * KB, h_member_uri_add,
     BODY(REQ_STR("uri", URI_MAX), REQ_STR("kind", 16), OPT_BOOL("confirm_lookalike"))},
    {"POST", "/api/v1/members/{id}/uris/{uri_id}/approve", ADM, OPS, 1 * KB,
     h_member_uri_approve, BODY(OPT_BOOL("confirm_lookalike"))},
    {"DELETE", "/api/v1/members/{id}/uris/{uri_id}", ADM, ROLE_MEMBER | OPS, 0,
     h_member_uri_delete, NO_BODY},
    /* invitations of member users */
    {"GET", "/api/v1/members/{id}/users", ADM, USERS, 0, h_member_users_list, NO_BODY},
    {"GET", "/api/v1/members/{id}/invitations", ADM, USERS, 0, h_invitations_list, NO_BODY},
    {"POST", "/api/v1/members/{id}/invitations", ADM, OPS, 4 * KB, h_invitations_create,
     BODY(REQ_STR("username", 128), OPT_STR("email", EMAIL_MAX),
          OPT_INT("days", 1, INVITATION_DAYS_MAX))},
    {"POST", "/api/v1/invitations/accept", ADM, ANY, 4 * KB, h_invitation_accept,
     BODY(REQ_STR("token", TOKEN_MAX), REQ_STR("password", PASSWORD_MAX))},
    {"POST", "/api/v1/members/{id}/invitations/{inv_id}/revoke", ADM, OPS, 0,
     h_invitation_revoke, NO_BODY},
    {"POST", "/api/v1/members/{id}/invitations/{inv_id}/resend", ADM, OPS, 1 * KB,
     h_invitation_resend, BODY(OPT_INT("days", 1, INVITATION_DAYS_MAX))},
    {"POST", "/api/v1/invitations/lookup", ADM, ANY, 4 * KB, h_invitation_lookup,
     BODY(REQ_STR("token", TOKEN_MAX))},
    /* UDAP toolkit: a JWT with a 4-certificate RSA-4096 x5c is ~12 KB */
    {"POST", "/api/v1/udap/validate", ADM, USERS, 72 * KB, h_udap_validate,
     BODY(REQ_TEXT("jwt", JWT_FIELD_MAX), OPT_STR("kind", 32), OPT_STR("audience", 2048),
          OPT_STR("base_url", 2048), OPT_STR("trust", 16))},
    {"GET", "/api/v1/sandbox", ADM, USERS, 0, h_sandbox_get, NO_BODY},
    {"POST", "/api/v1/sandbox/init", ADM, ROLE_ADMIN, 0, h_sandbox_init, NO_BODY},
    {"POST", "/api/v1/sandbox/refresh", ADM, ROLE_ADMIN, 0, h_sandbox_refresh, NO_BODY},
};

const size_t routes_count = sizeof routes / sizeof routes[0];

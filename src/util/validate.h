/* Field validation for member data: NPI, URIs (RFC 3986), e-mail, and the
 * look-alike key that warns about URIs a relying party would treat as
 * different (UDAP matches SAN URIs byte for byte, udap.md "SAN URIs"). */
#ifndef TROTH_VALIDATE_H
#define TROTH_VALIDATE_H
#include <stdbool.h>
#include <stddef.h>

#define URI_MAX 2048
#define EMAIL_MAX 254

/* The schemes member URIs may use unless a caller passes its own list. */
extern const char *const uri_default_schemes[]; /* https, http, urn, did */

/* True if s is 1 to max decimal digits. */
bool digits_valid(const char *s, size_t max);

/* True if s is a database id: 1 to 18 decimal digits. */
bool id_valid(const char *s);

/* True if s is a US National Provider Identifier: 10 digits whose last is
 * the Luhn check digit computed over "80840" + the first 9 (CMS, "NPI
 * check digit"). */
bool npi_valid(const char *s);

/* True if s is well-formed UTF-8 (RFC 3629: no overlongs, no surrogates,
 * nothing above U+10FFFF). */
bool utf8_valid(const char *s);

/* Checks an absolute URI (RFC 3986 §4.3): a scheme from `schemes` (a NULL-
 * terminated list compared case-insensitively; NULL = uri_default_schemes),
 * only URI characters (no whitespace, controls or non-ASCII), well-formed
 * percent-escapes, at most URI_MAX bytes, no fragment. http/https need an
 * authority with a host, no userinfo and a port in 1..65535; urn needs
 * "urn:NID:NSS" (RFC 8141) and did "did:method:id". Returns 0, or -1 with a
 * sentence in why (which may be NULL). */
int uri_check(const char *s, const char *const *schemes, char *why,
              size_t whylen);

/* uri_check with flags: URI_FRAGMENT_OK accepts one fragment ("#" and
 * RFC 3986 fragment characters, percent-escapes checked, not empty), as
 * opaque identifiers carry (organization_id, client URIs: "namespace#value",
 * TEFCA's "#T-TREAT"); URI_FETCHED words the refusal of a fragment for a URL
 * clients fetch (server, idp). Every form also refuses what makes Go's
 * crypto/x509 reject the whole certificate: a percent-escape in the host,
 * an empty host label (trailing or leading dot, ".."). */
#define URI_FRAGMENT_OK 1u
#define URI_FETCHED 2u
int uri_check_opts(const char *s, const char *const *schemes, unsigned flags,
                   char *why, size_t whylen);

/* The flags for a member URI of this kind ("client" takes a fragment). */
unsigned uri_kind_flags(const char *kind);

/* A member's legal name goes into the subject's O: X.520
 * ub-organization-name is 64 characters (RFC 5280 Appendix A). */
#define ORG_NAME_MAX_CHARS 64

/* The number of characters (UTF-8 code points) in s. */
size_t utf8_length(const char *s);

/* Checks an e-mail address pragmatically: one "@", a non-empty local part of
 * at most 64 bytes, a domain with a dot made of letters, digits, hyphens and
 * dots (no empty label), no whitespace or controls, at most EMAIL_MAX bytes.
 * Returns 0, or -1 with why. */
int email_check(const char *s, char *why, size_t whylen);

/* The look-alike key of a URI: lowercase scheme and host, no default port
 * (:443 for https, :80 for http), no trailing slashes at the end of the
 * path, uppercase percent-escape digits, the fragment (if any) kept after
 * '#' in lowercase. The same URI with and without a fragment are
 * look-alikes too (uri_lookalikes; keys "K" and "K#...").  Two URIs with equal keys that are
 * not byte-equal are look-alikes. The URI itself is stored as given, never
 * normalised. out receives at most outlen-1 bytes (outlen >= URI_MAX + 1 is
 * always enough). Returns 0, or -1 if out is too small. */
int uri_lookalike_key(const char *uri, char *out, size_t outlen);

/* True if a and b differ but share a look-alike key. */
bool uri_lookalikes(const char *a, const char *b);

#endif

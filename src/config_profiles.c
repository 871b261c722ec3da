/* [profile NAME] sections of troth.conf: each community's certificate
 * policy (issue 16 section 2). A misconfigured profile stops start-up with
 * "file:line: what is wrong", like every other key. */
#include "config_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { /* profile_conf.set bits: keys a section gave */
    S_DESCRIPTION = 1, S_URI_KINDS = 2, S_KEY_TYPES = 4, S_VALIDITY = 8, S_MAX_URIS = 16,
    S_POLICIES = 32, S_EKU = 64, S_FRAGMENT = 128, S_FRAGMENT_VALUES = 256, S_SUBJECT = 512
};

static const struct { const char *name; unsigned bit; } KEY_TYPES[] = {
    {"RSA-2048", PROFILE_KEY_RSA2048}, {"RSA-3072", PROFILE_KEY_RSA3072},
    {"RSA-4096", PROFILE_KEY_RSA4096}, {"EC-P256", PROFILE_KEY_EC_P256},
    {"EC-P384", PROFILE_KEY_EC_P384},
};

unsigned config_key_type(const char *name)
{
    for (size_t i = 0; i < sizeof KEY_TYPES / sizeof KEY_TYPES[0]; i++)
        if (!strcmp(KEY_TYPES[i].name, name))
            return KEY_TYPES[i].bit;
    return 0;
}

const char *config_key_type_name(unsigned bit)
{
    for (size_t i = 0; i < sizeof KEY_TYPES / sizeof KEY_TYPES[0]; i++)
        if (KEY_TYPES[i].bit == bit)
            return KEY_TYPES[i].name;
    return NULL;
}

const struct profile_conf *config_profile(const struct config *c, const char *name)
{
    for (size_t i = 0; c && i < c->n_profiles; i++)
        if (!strcmp(c->profiles[i].name, name))
            return &c->profiles[i];
    return NULL;
}

static char *dup(const char *s)
{
    char *d = strdup(s);
    if (!d)
        abort();
    return d;
}

static void base(struct profile_conf *p, const char *name)
{
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "%s", name);
    p->key_types = PROFILE_KEY_ALL;
    p->validity_days = 365;
    p->max_uris = PROFILE_MAX_URIS;
    p->san_fragment = SAN_FRAGMENT_ALLOW;
    p->subject_cn = true;
}

void config_profiles_defaults(struct config *c)
{
    c->n_profiles = 2;
    struct profile_conf *cl = &c->profiles[0], *sv = &c->profiles[1];
    base(cl, "udap-client");
    cl->description = dup("a client app: SAN URIs are the member's approved client URIs "
                          "(the app's iss); RSA >= 2048 or EC P-256/P-384");
    cl->uri_kinds = PROFILE_URI_CLIENT;
    base(sv, "udap-server");
    sv->description = dup("a FHIR server or identity provider: a SAN URI that is an "
                          "approved FHIR base URL or idp URI; RSA keys only (signed "
                          "metadata is RS256)");
    sv->uri_kinds = PROFILE_URI_SERVER | PROFILE_URI_IDP;
    sv->key_types = PROFILE_KEY_RSA2048 | PROFILE_KEY_RSA3072 | PROFILE_KEY_RSA4096;
    sv->san_fragment = SAN_FRAGMENT_FORBID; /* FHIR base URLs are fetched: no fragment */
}

void config_profiles_free(struct config *c)
{
    for (size_t i = 0; i < c->n_profiles; i++) {
        struct profile_conf *p = &c->profiles[i];
        free(p->description);
        for (size_t k = 0; k < p->n_policies; k++)
            free(p->policies[k]);
        for (size_t k = 0; k < p->n_fragments; k++)
            free(p->fragments[k]);
    }
    c->n_profiles = 0;
}

int config_profile_section(struct config *c, const char *section, const char *file,
                           int line, char *err, size_t errlen)
{
    const char *name = section + strlen("profile");
    while (*name == ' ')
        name++;
    size_t n = strlen(name);
    bool ok = n >= 1 && n <= PROFILE_NAME_MAX && islower((unsigned char)name[0]);
    for (size_t i = 0; ok && i < n; i++)
        ok = islower((unsigned char)name[i]) || isdigit((unsigned char)name[i]) ||
             name[i] == '-';
    if (!ok) {
        config_fail(err, errlen, file, line,
                    "[%s]: a profile name is 1 to %d characters a-z, 0-9 and '-', "
                    "starting with a letter", section, PROFILE_NAME_MAX);
        return -1;
    }
    for (size_t i = 0; i < c->n_profiles; i++) {
        struct profile_conf *p = &c->profiles[i];
        if (strcmp(p->name, name))
            continue;
        if (p->line) {
            config_fail(err, errlen, file, line, "[profile %s] given twice (first on line %d)",
                        name, p->line);
            return -1;
        }
        p->line = line; /* a shipped profile: the section changes the keys it gives */
        return (int)i;
    }
    if (c->n_profiles == PROFILES_MAX) {
        config_fail(err, errlen, file, line, "at most %d profiles", PROFILES_MAX);
        return -1;
    }
    struct profile_conf *p = &c->profiles[c->n_profiles];
    base(p, name);
    p->line = line;
    return (int)c->n_profiles++;
}

/* Splits a comma-separated list into trimmed items (in place); count or -1. */
static int split(char *v, char **items, size_t max)
{
    size_t n = 0;
    if (!*v)
        return 0;
    for (char *tok = v;;) {
        char *comma = strchr(tok, ',');
        if (comma)
            *comma = 0;
        while (*tok == ' ' || *tok == '\t')
            tok++;
        char *e = tok + strlen(tok);
        while (e > tok && (e[-1] == ' ' || e[-1] == '\t'))
            *--e = 0;
        if (!*tok || n == max)
            return -1;
        items[n++] = tok;
        if (!comma)
            return (int)n;
        tok = comma + 1;
    }
}

/* Dotted-decimal OID: at least two arcs, no leading zeros, first arc 0-2,
 * second arc < 40 under 0 and 1 (X.660). */
static bool oid_valid(const char *s)
{
    int arcs = 0;
    unsigned long first = 0;
    const char *p = s;
    while (1) {
        if (!isdigit((unsigned char)*p) || (*p == '0' && isdigit((unsigned char)p[1])))
            return false;
        char *end;
        unsigned long v = strtoul(p, &end, 10);
        if (end - p > 9)
            return false;
        if (arcs == 0 && v > 2)
            return false;
        if (arcs == 0)
            first = v;
        if (arcs == 1 && first < 2 && v >= 40)
            return false;
        arcs++;
        p = end;
        if (!*p)
            break;
        if (*p != '.')
            return false;
        p++;
    }
    return arcs >= 2 && strlen(s) <= 128;
}

/* A fragment value as it follows '#': RFC 3986 fragment characters without
 * percent-escapes (unreserved, sub-delims, ':', '@', '/', '?'), 1 to 64. */
static bool fragment_valid(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > 64)
        return false;
    for (const char *p = s; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr("-._~!$&'()*+,;=:@/?", *p))
            return false;
    return true;
}

#define BAD(...)                                                   \
    do {                                                           \
        config_fail(err, errlen, file, line, __VA_ARGS__);         \
        return -1;                                                 \
    } while (0)

int config_profile_key(struct config *c, size_t idx, const char *key, const char *value,
                       const char *file, int line, char *err, size_t errlen)
{
    struct profile_conf *p = &c->profiles[idx];
    static const struct { const char *name; unsigned bit; } KEYS[] = {
        {"description", S_DESCRIPTION}, {"uri_kinds", S_URI_KINDS},
        {"key_types", S_KEY_TYPES}, {"validity_days", S_VALIDITY},
        {"max_uris", S_MAX_URIS}, {"certificate_policies", S_POLICIES}, {"eku", S_EKU},
        {"san_fragment", S_FRAGMENT}, {"san_fragment_values", S_FRAGMENT_VALUES},
        {"subject", S_SUBJECT},
    };
    unsigned bit = 0;
    for (size_t i = 0; i < sizeof KEYS / sizeof KEYS[0]; i++)
        if (!strcmp(KEYS[i].name, key))
            bit = KEYS[i].bit;
    if (!bit)
        BAD("unknown key \"%s\" in [profile %s] (description, uri_kinds, key_types, "
            "validity_days, max_uris, certificate_policies, eku, san_fragment, "
            "san_fragment_values, subject)", key, p->name);
    if (p->set & bit)
        BAD("[profile %s] %s given twice", p->name, key);
    p->set |= bit;
    char buf[4096];
    if (strlen(value) >= sizeof buf)
        BAD("[profile %s] %s: longer than %zu bytes", p->name, key, sizeof buf - 1);
    snprintf(buf, sizeof buf, "%s", value);
    char *items[PROFILE_FRAGMENTS_MAX + 1];
    int n;
    switch (bit) {
    case S_DESCRIPTION:
        free(p->description);
        p->description = *value ? dup(value) : NULL;
        return 0;
    case S_URI_KINDS:
        n = split(buf, items, 3);
        if (n <= 0)
            BAD("[profile %s] uri_kinds: expected one or more of client, server, idp "
                "(comma-separated), got \"%s\"", p->name, value);
        p->uri_kinds = 0;
        for (int i = 0; i < n; i++) {
            unsigned k = !strcmp(items[i], "client")   ? PROFILE_URI_CLIENT
                         : !strcmp(items[i], "server") ? PROFILE_URI_SERVER
                         : !strcmp(items[i], "idp")    ? PROFILE_URI_IDP : 0;
            if (!k || (p->uri_kinds & k))
                BAD("[profile %s] uri_kinds: \"%s\" is not client, server or idp, or is "
                    "given twice", p->name, items[i]);
            p->uri_kinds |= k;
        }
        return 0;
    case S_KEY_TYPES:
        n = split(buf, items, 5);
        if (n <= 0)
            BAD("[profile %s] key_types: expected one or more of RSA-2048, RSA-3072, "
                "RSA-4096, EC-P256, EC-P384 (an empty list issues nothing), got \"%s\"",
                p->name, value);
        p->key_types = 0;
        for (int i = 0; i < n; i++) {
            unsigned k = config_key_type(items[i]);
            if (!k || (p->key_types & k))
                BAD("[profile %s] key_types: \"%s\" is not one of RSA-2048, RSA-3072, "
                    "RSA-4096, EC-P256, EC-P384, or is given twice", p->name, items[i]);
            p->key_types |= k;
        }
        return 0;
    case S_VALIDITY:
    case S_MAX_URIS: {
        unsigned long max = bit == S_VALIDITY ? 3650 : PROFILE_MAX_URIS;
        char *end;
        unsigned long v = isdigit((unsigned char)*value) ? strtoul(value, &end, 10) : 0;
        if (!isdigit((unsigned char)*value) || *end || v < 1 || v > max)
            BAD("[profile %s] %s: expected a whole number from 1 to %lu, got \"%s\"", p->name,
                key, max, value);
        *(bit == S_VALIDITY ? &p->validity_days : &p->max_uris) = (unsigned)v;
        return 0;
    }
    case S_POLICIES:
        n = split(buf, items, PROFILE_POLICIES_MAX);
        if (n < 0)
            BAD("[profile %s] certificate_policies: at most %d OIDs, comma-separated, "
                "got \"%s\"", p->name, PROFILE_POLICIES_MAX, value);
        for (int i = 0; i < n; i++) {
            if (!oid_valid(items[i]))
                BAD("[profile %s] certificate_policies: \"%s\" is not an OID in dotted "
                    "decimal (e.g. 2.5.29.32.0)", p->name, items[i]);
            for (int j = 0; j < i; j++)
                if (!strcmp(items[i], items[j]))
                    BAD("[profile %s] certificate_policies: %s given twice", p->name,
                        items[i]);
        }
        for (int i = 0; i < n; i++)
            p->policies[i] = dup(items[i]);
        p->n_policies = (size_t)n;
        return 0;
    case S_EKU:
        n = split(buf, items, 2);
        p->eku_client_auth = p->eku_server_auth = false;
        if (n == 1 && !strcmp(items[0], "none"))
            return 0;
        for (int i = 0; i < n; i++) {
            bool *slot = !strcmp(items[i], "clientAuth")   ? &p->eku_client_auth
                         : !strcmp(items[i], "serverAuth") ? &p->eku_server_auth : NULL;
            if (!slot || *slot)
                n = -1;
            else
                *slot = true;
        }
        if (n <= 0)
            BAD("[profile %s] eku: expected none, clientAuth, serverAuth or "
                "\"clientAuth, serverAuth\", got \"%s\"", p->name, value);
        return 0;
    case S_FRAGMENT:
        if (!strcmp(value, "forbid"))
            p->san_fragment = SAN_FRAGMENT_FORBID;
        else if (!strcmp(value, "allow"))
            p->san_fragment = SAN_FRAGMENT_ALLOW;
        else if (!strcmp(value, "require"))
            p->san_fragment = SAN_FRAGMENT_REQUIRE;
        else
            BAD("[profile %s] san_fragment: expected forbid, allow or require, got \"%s\"",
                p->name, value);
        return 0;
    case S_FRAGMENT_VALUES:
        n = split(buf, items, PROFILE_FRAGMENTS_MAX);
        if (n <= 0)
            BAD("[profile %s] san_fragment_values: expected 1 to %d fragment values, "
                "comma-separated (e.g. T-TREAT, T-PYMNT), got \"%s\"", p->name,
                PROFILE_FRAGMENTS_MAX, value);
        for (int i = 0; i < n; i++) {
            if (!fragment_valid(items[i]))
                BAD("[profile %s] san_fragment_values: \"%s\" is not a fragment value "
                    "(1 to 64 of A-Z a-z 0-9 - . _ ~ ! $ & ' ( ) * + , ; = : @ / ?, "
                    "without the '#')", p->name, items[i]);
            for (int j = 0; j < i; j++)
                if (!strcmp(items[i], items[j]))
                    BAD("[profile %s] san_fragment_values: %s given twice", p->name,
                        items[i]);
        }
        for (int i = 0; i < n; i++)
            p->fragments[i] = dup(items[i]);
        p->n_fragments = (size_t)n;
        p->fragments_line = line;
        return 0;
    case S_SUBJECT:
        n = split(buf, items, 2);
        if (n == 1 && !strcmp(items[0], "O"))
            p->subject_cn = false;
        else if (n == 2 && !strcmp(items[0], "O") && !strcmp(items[1], "CN"))
            p->subject_cn = true;
        else
            BAD("[profile %s] subject: expected \"O, CN\" (the member's legal name and the "
                "first URI's host) or \"O\"; the CSR's subject is never used, got \"%s\"",
                p->name, value);
        return 0;
    }
    return -1;
}

int config_profiles_finish(struct config *c, const char *file, char *err, size_t errlen)
{
    /* [profiles] udap_*: the older keys of the shipped profiles */
    struct profile_conf *cl = &c->profiles[0], *sv = &c->profiles[1];
    static const struct { unsigned legacy, key; int which; const char *old, *new_; } MAP[] = {
        {LEGACY_CLIENT_DAYS, S_VALIDITY, 0, "udap_client_days", "validity_days"},
        {LEGACY_SERVER_DAYS, S_VALIDITY, 1, "udap_server_days", "validity_days"},
        {LEGACY_CLIENT_EKU, S_EKU, 0, "udap_client_eku_client_auth", "eku"},
        {LEGACY_SERVER_EKU, S_EKU, 1, "udap_server_eku_*", "eku"},
    };
    for (size_t i = 0; i < sizeof MAP / sizeof MAP[0]; i++) {
        struct profile_conf *p = MAP[i].which ? sv : cl;
        if ((c->legacy_set & MAP[i].legacy) && (p->set & MAP[i].key)) {
            config_fail(err, errlen, file, p->line,
                        "[profiles] %s and [profile %s] %s both set it: keep one",
                        MAP[i].old, p->name, MAP[i].new_);
            return -1;
        }
    }
    if (c->legacy_set & LEGACY_CLIENT_DAYS)
        cl->validity_days = c->client_days;
    if (c->legacy_set & LEGACY_SERVER_DAYS)
        sv->validity_days = c->server_days;
    if (c->legacy_set & LEGACY_CLIENT_EKU)
        cl->eku_client_auth = c->client_eku_client_auth;
    if (c->legacy_set & LEGACY_SERVER_EKU) {
        sv->eku_client_auth = c->server_eku_client_auth;
        sv->eku_server_auth = c->server_eku_server_auth;
    }
    for (size_t i = 0; i < c->n_profiles; i++) {
        struct profile_conf *p = &c->profiles[i];
        int line = p->line;
        if (!p->uri_kinds) {
            config_fail(err, errlen, file, line,
                        "[profile %s]: uri_kinds is required (client, server, idp)", p->name);
            return -1;
        }
        if (p->n_fragments && p->san_fragment == SAN_FRAGMENT_FORBID) {
            config_fail(err, errlen, file, p->fragments_line,
                        "[profile %s] san_fragment_values: fragment values need san_fragment "
                        "= require or allow (it is forbid)", p->name);
            return -1;
        }
        if (p->san_fragment == SAN_FRAGMENT_REQUIRE &&
            (p->uri_kinds & (PROFILE_URI_SERVER | PROFILE_URI_IDP))) {
            config_fail(err, errlen, file, line,
                        "[profile %s]: san_fragment = require needs uri_kinds = client: "
                        "server and idp URIs never carry a fragment (clients fetch them)",
                        p->name);
            return -1;
        }
    }
    return 0;
}

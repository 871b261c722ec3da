/* troth udap validate FILE: the validator of POST /api/v1/udap/validate on
 * the command line, against this community's CAs and current CRLs. */
#include "cli/cli.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ca/crl_gen.h"
#include "ca/publish.h"
#include "ca/registry.h"
#include "config.h"
#include "db/db.h"
#include "sandbox/sandbox.h"
#include "udap/community.h"

static const char usage[] =
    "usage: troth udap validate FILE [--kind K] [--audience URL] [--base-url URL]\n"
    "                           [--sandbox]\n"
    "Checks a signed UDAP JWT (FILE, or - for stdin) as a relying party of this\n"
    "community would: header, signature, chain to the anchors, validity,\n"
    "revocation by the current CRLs, iss against the leaf's SAN URIs, claims,\n"
    "and the URI's registration. K: software_statement, signed_metadata,\n"
    "client_assertion or auto (default). Prints the checks as JSON; exits 0\n"
    "when valid, 1 when not, 2 on a usage or system error. --sandbox checks\n"
    "against the conformance sandbox (troth sandbox init) instead.\n";

static char *read_input(const char *path, size_t *len)
{
    FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
    if (!f)
        return NULL;
    size_t cap = UDAP_JWT_MAX + 2;
    char *buf = malloc(cap);
    *len = buf ? fread(buf, 1, cap - 1, f) : 0;
    if (f != stdin)
        fclose(f);
    if (buf)
        buf[*len] = 0;
    return buf;
}

int cmd_udap(int argc, char **argv, const char *config_path)
{
    if (cli_wants_help(argc, argv)) {
        fputs(usage, stdout);
        return 0;
    }
    if (argc < 2 || strcmp(argv[0], "validate")) {
        fputs(usage, stderr);
        return 2;
    }
    struct udap_input in = {.now = time(NULL), .show_owner = true};
    const char *file = NULL;
    bool sandbox = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--kind") && val) {
            int k = udap_kind_parse(val);
            if (k < 0) {
                fprintf(stderr, "troth udap validate: unknown kind %s\n", val);
                return 2;
            }
            in.kind = (enum udap_kind)k;
            i++;
        } else if (!strcmp(a, "--audience") && val) {
            in.audience = val;
            i++;
        } else if (!strcmp(a, "--base-url") && val) {
            in.base_url = val;
            i++;
        } else if (!strcmp(a, "--sandbox"))
            sandbox = true;
        else if (!file && (a[0] != '-' || !strcmp(a, "-")))
            file = a;
        else {
            fputs(usage, stderr);
            return 2;
        }
    }
    if (!file) {
        fputs(usage, stderr);
        return 2;
    }
    size_t len = 0;
    char *buf = read_input(file, &len);
    if (!buf) {
        fprintf(stderr, "troth udap validate: cannot read %s\n", file);
        return 2;
    }
    char *jwt = buf;
    while (len && isspace((unsigned char)*jwt))
        jwt++, len--;
    while (len && isspace((unsigned char)jwt[len - 1]))
        len--;
    in.jwt = jwt;
    in.jwt_len = len;
    struct config cfg;
    if (cli_load_config(&cfg, config_path)) {
        free(buf);
        return 2;
    }
    int rc = 2;
    struct db *db = cli_open_db(&cfg);
    struct ca_set set = {0};
    if (db && sandbox) {
        struct udap_trust t;
        int loaded = sandbox_publish_load(db);
        json_t *out = NULL;
        struct audit_actor actor = cli_actor();
        if (loaded != 0 || sandbox_trust(&t)) {
            fprintf(stderr, "troth udap validate: %s\n",
                    loaded > 0 ? "no sandbox: run troth sandbox init" : db_last_error(db));
        } else if (udap_validate_audited(db, &t, &in, &actor, &out) == DB_OK) {
            json_dumpf(out, stdout, JSON_INDENT(2));
            putchar('\n');
            rc = json_is_true(json_object_get(out, "valid")) ? 0 : 1;
            json_decref(out);
        } else
            fprintf(stderr, "troth udap validate: database error: %s\n", db_last_error(db));
        if (loaded == 0)
            udap_trust_free(&t);
        sandbox_publish_shutdown();
    } else if (db && ca_set_load(db, cfg.public_url, &set) < 0)
        fprintf(stderr, "troth udap validate: cannot load the CAs: %s\n", db_last_error(db));
    else if (db) {
        publish_init(&set, cfg.community_uri, cfg.community_name);
        bool crl_ok = true;
        for (size_t i = 0; i < set.n; i++)
            crl_ok &= crl_load_latest(db, &set.cas[i]) == 0;
        ca_set_current(&set);
        json_t *out = NULL;
        struct audit_actor actor = cli_actor();
        enum db_rc r = crl_ok ? udap_validate_community(db, &in, &actor, &out) : DB_ERROR;
        if (r == DB_OK) {
            json_dumpf(out, stdout, JSON_INDENT(2));
            putchar('\n');
            rc = json_is_true(json_object_get(out, "valid")) ? 0 : 1;
            json_decref(out);
        } else
            fprintf(stderr, "troth udap validate: database error: %s\n", db_last_error(db));
        ca_set_current(NULL);
        udap_community_shutdown();
        publish_shutdown();
    }
    ca_set_free(&set);
    db_close(db);
    config_free(&cfg);
    free(buf);
    return rc;
}

/* troth member add: onboarding from scripts. */
#include "cli/cli.h"

#include <getopt.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "config.h"
#include "db/db.h"
#include "member/member.h"
#include "util/validate.h"

#define MEMBER_ADD_MAX_URIS 64 /* URIs on one `troth member add` line (not MAX_URIS, the SAN URIs of one certificate) */

struct member_add {
    struct audit_actor actor;
    struct member_new m;
    const char *uris[MEMBER_ADD_MAX_URIS], *kinds[MEMBER_ADD_MAX_URIS];
    size_t n;
    char id[24];
    size_t failed; /* the URI that conflicted */
    char owner[24];
};

static enum db_rc member_add_tx(struct db *db, void *arg)
{
    struct member_add *a = arg;
    PGresult *row;
    a->failed = a->n;
    enum db_rc rc = member_insert(db, &a->actor, &a->m, &row);
    if (rc != DB_OK)
        return rc;
    snprintf(a->id, sizeof a->id, "%s", PQgetvalue(row, 0, MEMBER_COL_ID));
    PQclear(row);
    for (size_t i = 0; i < a->n; i++) {
        struct uri_new u = {.member_id = a->id, .uri = a->uris[i],
                            .kind = a->kinds[i], .approved = true};
        rc = member_uri_insert(db, &a->actor, &u);
        PQclear(u.row);
        json_decref(u.lookalikes);
        if (rc != DB_OK) {
            a->failed = i;
            snprintf(a->owner, sizeof a->owner, "%s", u.owner_id);
            return rc;
        }
    }
    return DB_OK;
}

int cmd_member(int argc, char **argv, const char *config_path)
{
    static const char usage[] =
        "usage: troth member add --name NAME --org-id URI [--npi NPI] "
        "[--uri URI]... [--server-uri URI]...\n"
        "Creates a pending member; --uri adds an approved client URI, "
        "--server-uri an approved FHIR server base URL. Prints the member id.\n";
    if (cli_wants_help(argc, argv)) {
        fputs(usage, stdout);
        return 0;
    }
    if (argc < 1 || strcmp(argv[0], "add")) {
        fputs(usage, stderr);
        return 2;
    }
    struct member_add a = {.actor = cli_actor()};
    static const struct option opts[] = {{"name", required_argument, 0, 'n'},
                                         {"org-id", required_argument, 0, 'o'},
                                         {"npi", required_argument, 0, 'p'},
                                         {"uri", required_argument, 0, 'u'},
                                         {"server-uri", required_argument, 0, 's'},
                                         {0, 0, 0, 0}};
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'n') {
            a.m.name = optarg;
        } else if (c == 'o') {
            a.m.organization_id = optarg;
        } else if (c == 'p') {
            a.m.npi = optarg;
        } else if (c == 'u' || c == 's') {
            if (a.n == MEMBER_ADD_MAX_URIS) {
                fprintf(stderr, "troth member add: at most %d URIs\n", MEMBER_ADD_MAX_URIS);
                return 2;
            }
            a.uris[a.n] = optarg;
            a.kinds[a.n++] = c == 'u' ? "client" : "server";
        } else {
            fputs(usage, stderr);
            return 2;
        }
    }
    if (optind != argc || !a.m.name || !a.m.organization_id) {
        fputs(usage, stderr);
        return 2;
    }
    size_t nl = strlen(a.m.name);
    bool ctl = false;
    for (size_t i = 0; i < nl; i++)
        if ((unsigned char)a.m.name[i] < 0x20 || a.m.name[i] == 0x7f)
            ctl = true;
    if (nl == 0 || utf8_length(a.m.name) > ORG_NAME_MAX_CHARS || ctl) {
        fprintf(stderr, "troth member add: --name must be 1 to %d characters (the "
                        "certificates' organizationName) without control characters\n",
                ORG_NAME_MAX_CHARS);
        return 2;
    }
    char why[256];
    if (uri_check_opts(a.m.organization_id, NULL, URI_FRAGMENT_OK, why, sizeof why)) {
        fprintf(stderr, "troth member add: --org-id: %s\n", why);
        return 2;
    }
    if (a.m.npi && !npi_valid(a.m.npi)) {
        fprintf(stderr, "troth member add: --npi: not 10 digits with a valid "
                        "check digit\n");
        return 2;
    }
    for (size_t i = 0; i < a.n; i++)
        if (uri_check_opts(a.uris[i], NULL, uri_kind_flags(a.kinds[i]), why, sizeof why)) {
            fprintf(stderr, "troth member add: %s: %s\n", a.uris[i], why);
            return 2;
        }
    struct config cfg;
    if (cli_load_config(&cfg, config_path))
        return 1;
    struct db *db = cli_open_db(&cfg);
    config_free(&cfg);
    if (!db)
        return 1;
    enum db_rc rc = db_tx(db, DB_READ_COMMITTED, member_add_tx, &a);
    int status = 0;
    if (rc == DB_OK) {
        printf("%s\n", a.id);
    } else if (rc == DB_CONFLICT && a.failed == a.n) {
        fprintf(stderr, "troth member add: another member already has the "
                        "organization_id %s\n", a.m.organization_id);
        status = 1;
    } else if (rc == DB_CONFLICT) {
        fprintf(stderr, "troth member add: %s is already registered%s%s\n",
                a.uris[a.failed], a.owner[0] ? " by member " : "", a.owner);
        status = 1;
    } else {
        fprintf(stderr, "troth member add: database error: %s\n",
                db_last_error(db));
        status = 1;
    }
    db_close(db);
    return status;
}

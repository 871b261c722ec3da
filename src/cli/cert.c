/* troth cert issue | revoke | list | show: certificates from the command
 * line, under the same rules as the API (src/ca/issue.c). `cert issue`
 * forks one signer worker: this process never decrypts a CA key. */
#include "cli/cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "ca/cert_view.h"
#include "ca/issue.h"
#include "ca/revoke.h"
#include "ca/registry.h"
#include "ca/service.h"
#include "config.h"
#include "db/db.h"
#include "pki/csr.h"
#include "ca/signer_pool.h"
#include "util/file.h"

static const char usage[] =
    "usage: troth cert issue --member ID --profile NAME (a [profile NAME] of troth.conf)\n"
    "                        --csr FILE --uri URI [--uri URI]... [--cn NAME]\n"
    "       troth cert revoke SERIAL --reason REASON\n"
    "       troth cert list [--member ID] [--status S] [--limit N]\n"
    "       troth cert show SERIAL\n"
    "issue prints the new certificate as JSON; show prints one; list prints\n"
    "one line per certificate: serial, status, profile, member, not_after, URIs.\n";

static void print_cert(struct db *db, const char *serial)
{
    PGresult *res;
    if (cert_fetch(db, serial, NULL, &res) != DB_OK)
        return;
    json_t *j = cert_json(res, 0, true);
    json_dumpf(j, stdout, JSON_INDENT(2));
    putchar('\n');
    json_decref(j);
    PQclear(res);
}

static int issue(int argc, char **argv, struct db *db, const struct config *cfg,
                 struct ca_set *set)
{
    const char *member = NULL, *profile = NULL, *csr_path = NULL, *cn = NULL;
    const char *uris[16];
    size_t n_uris = 0;
    static const struct option opts[] = {
        {"member", required_argument, 0, 'm'}, {"profile", required_argument, 0, 'p'},
        {"csr", required_argument, 0, 'c'},    {"uri", required_argument, 0, 'u'},
        {"cn", required_argument, 0, 'n'},     {0, 0, 0, 0}};
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'm') member = optarg;
        else if (c == 'p') profile = optarg;
        else if (c == 'c') csr_path = optarg;
        else if (c == 'n') cn = optarg;
        else if (c == 'u' && n_uris < 16) uris[n_uris++] = optarg;
        else { fputs(usage, stderr); return 2; }
    }
    if (!member || !profile || !csr_path || !n_uris || optind != argc) {
        fputs(usage, stderr);
        return 2;
    }
    char *pem = file_read(csr_path, 65536, NULL);
    if (!pem) {
        fprintf(stderr, "troth cert issue: cannot read %s: %s\n", csr_path, strerror(errno));
        return 1;
    }
    struct problem err = {0};
    X509_REQ *csr = pki_csr_parse(pem, strlen(pem), &err);
    free(pem);
    if (!csr) {
        fprintf(stderr, "troth cert issue: %s\n", err.detail);
        return 1;
    }
    struct signer_pool *pool = NULL;
    char msg[512];
    int rc = 1;
    if (!set->n) {
        fprintf(stderr, "troth cert issue: no CA (run troth init)\n");
    } else if (ca_signer_start(set, cfg, 1, &pool, msg, sizeof msg)) {
        fprintf(stderr, "troth cert issue: %s\n", msg);
    } else {
        struct issue_req rq = {.member_id = member, .profile = profile, .csr = csr,
                               .pubkey = X509_REQ_get0_pubkey(csr), .uris = uris,
                               .n_uris = n_uris, .common_name = cn};
        struct audit_actor actor = cli_actor();
        char serial[SERIAL_HEX_MAX];
        if (ca_issue(db, pool, set, cfg, &rq, &actor, serial, NULL, &err) != 0) {
            const char *field = ca_problem_field(err.kind);
            fprintf(stderr, "troth cert issue: %s%s%s\n", field ? field : "",
                    field ? ": " : "", err.detail);
        } else {
            audit_seal(db, 1000);
            print_cert(db, serial);
            rc = 0;
        }
        signer_pool_free(pool);
    }
    X509_REQ_free(csr);
    return rc;
}

static int revoke(int argc, char **argv, struct db *db)
{
    const char *reason = NULL;
    static const struct option opts[] = {{"reason", required_argument, 0, 'r'},
                                         {0, 0, 0, 0}};
    optind = 2;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'r') reason = optarg;
        else { fputs(usage, stderr); return 2; }
    }
    if (argc < 2 || !reason || optind != argc) {
        fputs(usage, stderr);
        return 2;
    }
    struct audit_actor actor = cli_actor();
    struct problem err;
    if (ca_revoke(db, argv[1], reason, NULL, &actor, &err)) {
        fprintf(stderr, "troth cert revoke: %s\n", err.detail);
        return 1;
    }
    audit_seal(db, 1000);
    fprintf(stderr, "%s: %s (the CRL follows within seconds while troth serve runs)\n",
            argv[1], strcmp(reason, "certificateHold") ? "revoked" : "on hold");
    return 0;
}

DB_STMT(q_list, 3,
        "SELECT " CERT_COLUMNS_LIST " FROM certificates c "
        "WHERE ($1::bigint IS NULL OR c.member_id = $1::bigint) "
        "AND ($2::text IS NULL OR c.status = $2) "
        "ORDER BY c.created_at DESC, c.serial DESC LIMIT $3::int");

static int list(int argc, char **argv, struct db *db)
{
    const char *member = NULL, *status = NULL, *limit = "100";
    static const struct option opts[] = {{"member", required_argument, 0, 'm'},
                                         {"status", required_argument, 0, 's'},
                                         {"limit", required_argument, 0, 'l'},
                                         {0, 0, 0, 0}};
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'm') member = optarg;
        else if (c == 's') status = optarg;
        else if (c == 'l') limit = optarg;
        else { fputs(usage, stderr); return 2; }
    }
    if ((member && strspn(member, "0123456789") != strlen(member)) ||
        strspn(limit, "0123456789") != strlen(limit) || !*limit || strlen(limit) > 7) {
        fputs(usage, stderr);
        return 2;
    }
    PGresult *res;
    if (db_exec(db, &q_list, &res, (const char *[]){member, status, limit}) != DB_OK) {
        fprintf(stderr, "troth cert list: %s\n", db_last_error(db));
        return 1;
    }
    for (int i = 0; i < PQntuples(res); i++) {
        printf("%s %-8s %-12s member=%s until=%s", PQgetvalue(res, i, CERT_COL_SERIAL),
               PQgetvalue(res, i, CERT_COL_STATUS), PQgetvalue(res, i, CERT_COL_PROFILE),
               PQgetvalue(res, i, CERT_COL_MEMBER), PQgetvalue(res, i, CERT_COL_NOT_AFTER));
        json_t *uris = json_loads(PQgetvalue(res, i, CERT_COL_URIS), 0, NULL);
        size_t k;
        json_t *u;
        json_array_foreach(uris, k, u) printf(" %s", json_string_value(u));
        putchar('\n');
        json_decref(uris);
    }
    PQclear(res);
    return 0;
}

int cmd_cert(int argc, char **argv, const char *config_path)
{
    if (cli_wants_help(argc, argv)) {
        fputs(usage, stdout);
        return 0;
    }
    const char *sub = argc ? argv[0] : "";
    if (strcmp(sub, "issue") && strcmp(sub, "revoke") && strcmp(sub, "list") &&
        strcmp(sub, "show")) {
        fputs(usage, stderr);
        return 2;
    }
    if (!strcmp(sub, "show") && (argc != 2 || !ca_serial_valid(argv[1]))) {
        fputs(usage, stderr);
        return 2;
    }
    struct config cfg;
    if (cli_load_config(&cfg, config_path))
        return 1;
    struct db *db = cli_open_db(&cfg);
    struct ca_set set = {0};
    int rc = 1;
    if (db && ca_set_load(db, cfg.public_url, &set) < 0)
        fprintf(stderr, "troth cert: cannot load the CAs: %s\n", db_last_error(db));
    else if (db) {
        ca_set_current(&set); /* for chains and x5c */
        if (!strcmp(sub, "issue"))
            rc = issue(argc, argv, db, &cfg, &set);
        else if (!strcmp(sub, "revoke"))
            rc = revoke(argc, argv, db);
        else if (!strcmp(sub, "list"))
            rc = list(argc, argv, db);
        else {
            PGresult *res;
            if (cert_fetch(db, argv[1], NULL, &res) == DB_OK) {
                PQclear(res);
                print_cert(db, argv[1]);
                rc = 0;
            } else {
                fprintf(stderr, "troth cert show: no certificate %s\n", argv[1]);
            }
        }
        ca_set_current(NULL);
    }
    ca_set_free(&set);
    db_close(db);
    config_free(&cfg);
    return rc;
}

/* troth ca list | import, troth crl generate: the community's CAs. */
#include "cli/cli.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "audit/audit.h"
#include "ca/create.h"
#include "ca/crl_gen.h"
#include "ca/registry.h"
#include "ca/service.h"
#include "config.h"
#include "db/db.h"
#include "ca/signer_pool.h"
#include "util/file.h"

DB_STMT(q_list, 0,
        "SELECT c.id, c.kind, c.subject, c.fingerprint_sha256, " SQL_TIME("c.not_after")
        ", c.issues_members, coalesce(l.crl_number::text, '-'), "
        "coalesce(" SQL_TIME("l.next_update") ", '-') FROM cas c LEFT JOIN LATERAL "
        "(SELECT crl_number, next_update FROM crls WHERE ca_id = c.id "
        "ORDER BY crl_number DESC LIMIT 1) l ON true ORDER BY c.kind DESC, c.id");

static int ca_list(struct db *db)
{
    PGresult *res;
    if (db_exec(db, &q_list, &res, NULL) != DB_OK) {
        fprintf(stderr, "troth ca list: %s\n", db_last_error(db));
        return 1;
    }
    for (int i = 0; i < PQntuples(res); i++)
        printf("%s (%s%s) %s\n  sha256 %s, until %s, CRL %s next update %s\n",
               PQgetvalue(res, i, 0), PQgetvalue(res, i, 1),
               PQgetvalue(res, i, 5)[0] == 't' ? ", issues member certificates" : "",
               PQgetvalue(res, i, 2), PQgetvalue(res, i, 3), PQgetvalue(res, i, 4),
               PQgetvalue(res, i, 6), PQgetvalue(res, i, 7));
    PQclear(res);
    return 0;
}

static const char ca_usage[] =
    "usage: troth ca list\n"
    "       troth ca import --cert FILE [--key FILE [--key-passphrase-file FILE]] [--id ID]\n"
    "                       [--ceremony-log LOG]\n"
    "       troth ca issuing-csr [--id ID] [--key SPEC] [--key-store pkcs11:token=LABEL[;object=NAME]]\n"
    "                            --out FILE\n"
    "       troth ca revoke-intermediate --root DIR SERIAL --reason REASON\n"
    "       troth ca ceremony-report CA\n"
    "       troth ca signatures CA [--state S] [--kind K] [--limit N]\n"
    "       troth ca signatures CA --abandon ID --reason TEXT\n"
    "import brings an existing CA: a self-signed root (default id root), or an\n"
    "intermediate issued by a CA already here (default id issuing). The key is\n"
    "re-encrypted under [ca] key_passphrase_file. Without --key: the certificate\n"
    "signed for a key `troth ca issuing-csr` made here, or a root whose key is\n"
    "held elsewhere (its CRLs come with `troth crl import`). LOG: an offline\n"
    "ceremony log to bring into the audit log. Restart troth serve afterwards.\n"
    "issuing-csr makes a new issuing CA key (default ec:P-256; rsa:2048|3072,\n"
    "ec:P-384) kept encrypted here, or made inside the PKCS#11 token with\n"
    "--key-store, and writes its PKCS#10 request to FILE for a root held\n"
    "elsewhere to sign.\n"
    "signatures lists everything CA's key was asked to sign, and settles a\n"
    "reservation a crash left with --abandon (see its --help).\n";

int cmd_ca(int argc, char **argv, const char *config_path)
{
    if (argc >= 1 && !strcmp(argv[0], "revoke-intermediate"))
        return cli_ca_revoke_intermediate(argc, argv);
    if (argc >= 1 && !strcmp(argv[0], "ceremony-report"))
        return cli_ca_ceremony_report(argc, argv, config_path);
    if (argc >= 1 && !strcmp(argv[0], "signatures"))
        return cli_ca_signatures(argc, argv, config_path);
    if (argc >= 1 && !strcmp(argv[0], "issuing-csr"))
        return cli_ca_issuing_csr(argc, argv, config_path);
    if (cli_wants_help(argc, argv)) {
        fputs(ca_usage, stdout);
        return 0;
    }
    bool import = argc >= 1 && !strcmp(argv[0], "import");
    if (!import && !(argc == 1 && !strcmp(argv[0], "list"))) {
        fputs(ca_usage, stderr);
        return 2;
    }
    const char *cert = NULL, *key = NULL, *key_pass_file = NULL, *id = NULL, *log = NULL;
    static const struct option opts[] = {{"cert", required_argument, 0, 'c'},
                                         {"ceremony-log", required_argument, 0, 'l'},
                                         {"key", required_argument, 0, 'k'},
                                         {"key-passphrase-file", required_argument, 0, 'p'},
                                         {"id", required_argument, 0, 'i'},
                                         {0, 0, 0, 0}};
    optind = 1;
    int c;
    while (import && (c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'c') cert = optarg;
        else if (c == 'k') key = optarg;
        else if (c == 'p') key_pass_file = optarg;
        else if (c == 'i') id = optarg;
        else if (c == 'l') log = optarg;
        else { fputs(ca_usage, stderr); return 2; }
    }
    if (import && (!cert || (key_pass_file && !key) || optind != argc)) {
        fputs(ca_usage, stderr);
        return 2;
    }
    struct config cfg;
    if (cli_load_config(&cfg, config_path))
        return 1;
    struct db *db = cli_open_db(&cfg);
    int rc = 1;
    if (db && !import) {
        rc = ca_list(db);
    } else if (db) {
        char err[512] = "", *key_pass = NULL;
        if (key_pass_file && !(key_pass = passphrase_read(key_pass_file, err, sizeof err)))
            fprintf(stderr, "troth ca import: %s\n", err);
        else {
            struct audit_actor actor = cli_actor();
            if (ca_import(db, &cfg, id, cert, key, key_pass, log, &actor, err, sizeof err)) {
                fprintf(stderr, "troth ca import: %s\n", err);
            } else {
                audit_seal(db, 1000);
                fprintf(stderr, "CA imported; restart troth serve to use it\n");
                rc = 0;
            }
        }
        passphrase_free(key_pass);
    }
    db_close(db);
    config_free(&cfg);
    return rc;
}

static const char crl_usage[] =
    "usage: troth crl generate [--ca ID]\n"
    "       troth crl sign-root --root DIR --next-update DAYS [--out FILE]\n"
    "       troth crl import FILE [--ceremony-log LOG]\n"
    "Makes each CA's next CRL now (or one CA's), through a signer worker.\n"
    "A running troth serve picks it up at once (NOTIFY). An offline root's\n"
    "CRL is signed on its machine (sign-root) and brought in with import.\n";

int cmd_crl(int argc, char **argv, const char *config_path)
{
    if (argc >= 1 && !strcmp(argv[0], "sign-root"))
        return cli_crl_sign_root(argc, argv);
    if (argc >= 1 && !strcmp(argv[0], "import"))
        return cli_crl_import(argc, argv, config_path);
    if (cli_wants_help(argc, argv)) {
        fputs(crl_usage, stdout);
        return 0;
    }
    const char *only = NULL;
    if (argc == 3 && !strcmp(argv[0], "generate") && !strcmp(argv[1], "--ca"))
        only = argv[2];
    else if (!(argc == 1 && !strcmp(argv[0], "generate"))) {
        fputs(crl_usage, stderr);
        return 2;
    }
    struct config cfg;
    if (cli_load_config(&cfg, config_path))
        return 1;
    struct db *db = cli_open_db(&cfg);
    struct ca_set set = {0};
    struct signer_pool *pool = NULL;
    char err[512];
    int rc = 1;
    if (db && ca_set_load(db, cfg.public_url, &set) != 0)
        fprintf(stderr, "troth crl generate: no CA (run troth init)\n");
    else if (db && only && !ca_find(&set, only))
        fprintf(stderr, "troth crl generate: no CA %s\n", only);
    else if (db && ca_signer_start(&set, &cfg, 1, &pool, err, sizeof err))
        fprintf(stderr, "troth crl generate: %s\n", err);
    else if (db) {
        rc = 0;
        struct audit_actor actor = cli_actor();
        for (size_t i = 0; i < set.n; i++) {
            if (only && strcmp(only, set.cas[i].id))
                continue;
            if (ca_is_offline(&set.cas[i])) {
                fprintf(stderr, "%s: key offline: sign with `troth crl sign-root`, then "
                                "`troth crl import`\n", set.cas[i].id);
                rc = only ? 1 : rc;
                continue;
            }
            struct crl_result out;
            struct problem e;
            int g = crl_generate(db, &set.cas[i], cfg.crl_validity_hours,
                                 ca_sign_crl_by_signer, pool, &actor, &out, &e);
            if (g == 0)
                printf("%s: CRL %llu, %ld entries, %zu bytes\n", set.cas[i].id,
                       (unsigned long long)out.number, out.entries, out.der_len);
            else {
                fprintf(stderr, "%s: %s\n", set.cas[i].id,
                        g == 1 ? "another instance is generating it now" : e.detail);
                rc = 1;
            }
        }
        audit_seal(db, 1000);
    }
    if (pool)
        signer_pool_free(pool);
    ca_set_free(&set);
    db_close(db);
    config_free(&cfg);
    return rc;
}

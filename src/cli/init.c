/* troth init: the community and its first admin, on first run. */
#include "cli/cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "auth/password.h"
#include "auth/users.h"
#include "ca/create.h"
#include "ca/offline_root.h"
#include "pki/keys.h"
#include "config.h"
#include "db/db.h"
#include "util/file.h"

DB_STMT(q_community, 0, "SELECT uri, name FROM community");
DB_STMT(q_community_insert, 2, "INSERT INTO community (uri, name) VALUES ($1, $2)");
DB_STMT(q_has_admin, 0, "SELECT 1 FROM users WHERE role = 'admin' LIMIT 1");

struct init_arg {
    struct audit_actor actor;
    const char *uri, *name, *admin_hash;
    bool created_community, created_admin;
    char admin_id[24];
};

static enum db_rc init_tx(struct db *db, void *arg)
{
    struct init_arg *a = arg;
    PGresult *res;
    enum db_rc rc = db_exec(db, &q_community, &res, NULL);
    if (rc != DB_OK)
        return rc;
    bool have = PQntuples(res) == 1;
    PQclear(res);
    if (!have) {
        const char *p[] = {a->uri, a->name};
        if ((rc = db_exec(db, &q_community_insert, NULL, p)) != DB_OK)
            return rc;
        rc = audit_write(db, &a->actor, "community.create", "community", a->uri,
                         json_pack("{s:s, s:s}", "uri", a->uri, "name", a->name));
        if (rc != DB_OK)
            return rc;
        a->created_community = true;
    }
    if ((rc = db_exec(db, &q_has_admin, &res, NULL)) != DB_OK)
        return rc;
    have = PQntuples(res) == 1;
    PQclear(res);
    if (!have) {
        rc = users_insert(db, &a->actor, "admin", "admin", NULL, a->admin_hash,
                          a->admin_id);
        if (rc != DB_OK)
            return rc;
        a->created_admin = true;
    }
    return DB_OK;
}

int cmd_init(int argc, char **argv, const char *config_path)
{
    static const char usage[] =
        "usage: troth init [--community-uri URI] [--name NAME]\n"
        "                  [--root-key rsa:4096|ec:P-384]\n"
        "                  [--issuing-key rsa:2048|rsa:3072|ec:P-256|ec:P-384]\n"
        "                  [--offline-root DIR [--root-passphrase-file F]\n"
        "                   [--root-crl-days N]]\n"
        "                  [--root-key-store pkcs11:token=LABEL[;object=NAME]]\n"
        "                  [--issuing-key-store pkcs11:token=LABEL[;object=NAME]]\n"
        "Creates the community (defaults from [community] in the config), its CA\n"
        "hierarchy (a root, 20 years, default rsa:4096; an issuing intermediate,\n"
        "10 years, default rsa:3072) with their first CRLs, and, when there is no\n"
        "admin yet, the user \"admin\", whose password is printed once. The CA\n"
        "keys are stored encrypted under [ca] key_passphrase_file. Running it\n"
        "again changes nothing.\n"
        "--offline-root DIR keeps the root key out of this system: it is made in\n"
        "DIR (e.g. removable media), encrypted under its own passphrase (asked on\n"
        "the terminal, or the first line of F), signs the issuing CA and the\n"
        "root's first CRL (valid N days, default 30) there; the database gets\n"
        "only the root's certificate and CRL. Sign later root CRLs with\n"
        "`troth crl sign-root` and bring them in with `troth crl import`.\n"
        "--issuing-key-store / --root-key-store URI makes that CA's key inside a\n"
        "PKCS#11 token ([pkcs11] module, logged in with the PIN of [pkcs11]\n"
        "pin_file): sensitive, never extractable; the database keeps only its\n"
        "RFC 7512 URI (token, object, id).\n";
    if (cli_wants_help(argc, argv)) {
        fputs(usage, stdout);
        return 0;
    }
    struct config cfg;
    if (cli_load_config(&cfg, config_path))
        return 1;
    struct init_arg a = {.actor = cli_actor(), .uri = cfg.community_uri,
                         .name = cfg.community_name};
    const char *root_key = "rsa:4096", *issuing_key = "rsa:3072";
    const char *offline_dir = NULL, *root_pass_file = NULL;
    unsigned root_crl_days = 30;
    char *root_pass = NULL;
    struct ca_key_stores stores = {0};
    static const struct option opts[] = {{"community-uri", required_argument, 0, 'u'},
                                         {"name", required_argument, 0, 'n'},
                                         {"root-key", required_argument, 0, 'r'},
                                         {"issuing-key", required_argument, 0, 'i'},
                                         {"offline-root", required_argument, 0, 'o'},
                                         {"root-passphrase-file", required_argument, 0, 'p'},
                                         {"root-crl-days", required_argument, 0, 'd'},
                                         {"root-key-store", required_argument, 0, 'R'},
                                         {"issuing-key-store", required_argument, 0, 'I'},
                                         {0, 0, 0, 0}};
    optind = 0;
    int c, rc = 2;
    char **args = argv - 1; /* getopt expects argv[0] to be the program */
    while ((c = getopt_long(argc + 1, args, "", opts, NULL)) != -1) {
        if (c == 'u') a.uri = optarg;
        else if (c == 'n') a.name = optarg;
        else if (c == 'r') root_key = optarg;
        else if (c == 'i') issuing_key = optarg;
        else if (c == 'o') offline_dir = optarg;
        else if (c == 'p') root_pass_file = optarg;
        else if (c == 'd') root_crl_days = (unsigned)strtoul(optarg, NULL, 10);
        else if (c == 'R') stores.root = optarg;
        else if (c == 'I') stores.issuing = optarg;
        else { fputs(usage, stderr); goto out; }
    }
    if ((root_pass_file || root_crl_days != 30) && !offline_dir) {
        fprintf(stderr, "troth init: --root-passphrase-file and --root-crl-days go with "
                        "--offline-root\n");
        goto out;
    }
    if (stores.root && offline_dir) {
        fprintf(stderr, "troth init: --root-key-store and --offline-root exclude each other\n");
        goto out;
    }
    if ((stores.root && strncmp(stores.root, "pkcs11:", 7)) ||
        (stores.issuing && strncmp(stores.issuing, "pkcs11:", 7))) {
        fprintf(stderr, "troth init: --root-key-store / --issuing-key-store take a PKCS#11 URI "
                        "(pkcs11:token=LABEL, RFC 7512)\n");
        goto out;
    }
    if (root_crl_days < 1 || root_crl_days > 366) {
        fprintf(stderr, "troth init: --root-crl-days must be 1 to 366\n");
        goto out;
    }
    if (strcmp(root_key, "rsa:4096") && strcmp(root_key, "ec:P-384")) {
        fprintf(stderr, "troth init: --root-key must be rsa:4096 or ec:P-384\n");
        goto out;
    }
    if (strcmp(issuing_key, "rsa:2048") && strcmp(issuing_key, "rsa:3072") &&
        strcmp(issuing_key, "ec:P-256") && strcmp(issuing_key, "ec:P-384")) {
        fprintf(stderr, "troth init: --issuing-key must be rsa:2048, rsa:3072, "
                        "ec:P-256 or ec:P-384\n");
        goto out;
    }
    if (!a.uri || !*a.uri || !a.name || !*a.name) {
        fprintf(stderr, "troth init: the community needs a URI and a name "
                        "(--community-uri, --name, or [community] in %s)\n",
                config_path);
        goto out;
    }
    rc = 1;
    char perr[512];
    if (offline_dir && !(root_pass = offline_passphrase(root_pass_file, 1, perr, sizeof perr))) {
        fprintf(stderr, "troth init: %s\n", perr);
        goto out;
    }
    struct ca_offline_opts off = {offline_dir, root_pass, root_crl_days};
    password_configure(cfg.argon2_t_cost, cfg.argon2_m_cost_kib, cfg.argon2_lanes);
    char pw[25], hash[PASSWORD_HASH_MAX];
    password_generate(pw);
    if (password_hash(pw, hash, sizeof hash))
        goto out;
    a.admin_hash = hash;
    struct db *db = cli_open_db(&cfg);
    if (!db)
        goto out;
    enum db_rc r = db_tx(db, DB_READ_COMMITTED, init_tx, &a);
    char cerr[512] = "";
    int ca_rc = r == DB_OK ? ca_create_hierarchy(db, &cfg, a.name, root_key, issuing_key,
                                                 offline_dir ? &off : NULL, &stores, &a.actor,
                                                 cerr, sizeof cerr)
                           : -1;
    if (r != DB_OK) {
        fprintf(stderr, "troth init: %s\n", db_last_error(db));
    } else if (ca_rc < 0) {
        fprintf(stderr, "troth init: %s\n", cerr);
    } else {
        if (ca_rc == 0)
            fprintf(stderr, "CA hierarchy created: root (%s%s%s), issuing (%s%s%s)\n", root_key,
                    offline_dir ? ", key offline in " : stores.root ? ", key in " : "",
                    offline_dir ? offline_dir : stores.root ? stores.root : "", issuing_key,
                    stores.issuing ? ", key in " : "", stores.issuing ? stores.issuing : "");
        audit_seal(db, 1000);
        if (a.created_community)
            fprintf(stderr, "community %s (%s) created\n", a.uri, a.name);
        else
            fprintf(stderr, "community already initialized\n");
        if (a.created_admin)
            printf("admin user: admin\nadmin password: %s\n"
                   "(shown once; change it after signing in)\n", pw);
        rc = 0;
    }
    cli_wipe(pw);
    db_close(db);
out:
    passphrase_free(root_pass);
    config_free(&cfg);
    return rc;
}

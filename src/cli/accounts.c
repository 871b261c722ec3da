/* troth user add, troth token create: bootstrap and automation. */
#include "cli/cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "auth/password.h"
#include "auth/roles.h"
#include "auth/token.h"
#include "auth/tokens.h"
#include "auth/users.h"
#include "config.h"
#include "db/db.h"

struct user_add {
    struct audit_actor actor;
    const char *name, *role, *member, *hash;
    char id[24];
};

static enum db_rc user_add_tx(struct db *db, void *arg)
{
    struct user_add *a = arg;
    return users_insert(db, &a->actor, a->name, a->role, a->member, a->hash, a->id);
}

/* Reads one line from stdin without its newline. */
static int read_line(char *buf, size_t len)
{
    if (!fgets(buf, (int)len, stdin))
        return -1;
    buf[strcspn(buf, "\r\n")] = 0;
    return 0;
}

int cmd_user(int argc, char **argv, const char *config_path)
{
    static const char usage[] =
        "usage: troth user add NAME --role admin|operator|auditor|member "
        "[--member ID] [--password-stdin]\n"
        "Creates a user. Without --password-stdin a password is generated and "
        "printed once on stdout.\n";
    if (cli_wants_help(argc, argv)) {
        fputs(usage, stdout);
        return 0;
    }
    if (argc < 2 || strcmp(argv[0], "add")) {
        fputs(usage, stderr);
        return 2;
    }
    const char *name = argv[1], *role = NULL, *member = NULL;
    bool from_stdin = false;
    static const struct option opts[] = {{"role", required_argument, 0, 'r'},
                                         {"member", required_argument, 0, 'm'},
                                         {"password-stdin", no_argument, 0, 'p'},
                                         {0, 0, 0, 0}};
    optind = 2;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'r') role = optarg;
        else if (c == 'm') member = optarg;
        else if (c == 'p') from_stdin = true;
        else { fputs(usage, stderr); return 2; }
    }
    if (!role || !auth_role_bit(role) || optind != argc) {
        fprintf(stderr, "troth user add: --role must be admin, operator, auditor or member\n");
        return 2;
    }
    if (!strcmp(role, "member") != (member != NULL)) {
        fprintf(stderr, "troth user add: --member ID is required for role member and only for it\n");
        return 2;
    }
    char pw[PASSWORD_MAX + 2] = "";
    if (from_stdin) {
        if (read_line(pw, sizeof pw)) {
            fprintf(stderr, "troth user add: no password on stdin\n");
            return 2;
        }
        const char *why = password_policy(pw);
        if (why) {
            fprintf(stderr, "troth user add: %s\n", why);
            return 2;
        }
    } else {
        password_generate(pw);
    }
    struct config cfg;
    if (cli_load_config(&cfg, config_path))
        return 1;
    password_configure(cfg.argon2_t_cost, cfg.argon2_m_cost_kib, cfg.argon2_lanes);
    char hash[PASSWORD_HASH_MAX];
    int rc = 1;
    struct db *db = NULL;
    if (password_hash(pw, hash, sizeof hash)) {
        fprintf(stderr, "troth user add: cannot hash the password\n");
        goto out;
    }
    if (!(db = cli_open_db(&cfg)))
        goto out;
    struct user_add a = {cli_actor(), name, role, member, hash, ""};
    enum db_rc r = db_tx(db, DB_READ_COMMITTED, user_add_tx, &a);
    if (r == DB_CONFLICT)
        fprintf(stderr, "troth user add: the username %s is taken\n", name);
    else if (r == DB_NOTFOUND)
        fprintf(stderr, "troth user add: no member %s\n", member);
    else if (r != DB_OK)
        fprintf(stderr, "troth user add: %s\n", db_last_error(db));
    else {
        audit_seal(db, 1000);
        fprintf(stderr, "user %s created (id %s, role %s)\n", name, a.id, role);
        if (!from_stdin)
            printf("%s\n", pw);
        rc = 0;
    }
out:
    cli_wipe(pw);
    db_close(db);
    config_free(&cfg);
    return rc;
}

struct token_add {
    struct audit_actor actor;
    const char *username, *label;
    int days;
    char token[TOKEN_MAX + 1], id[24], expires[32];
};

static enum db_rc token_add_tx(struct db *db, void *arg)
{
    struct token_add *a = arg;
    char uid[24];
    enum db_rc rc = users_id_by_name(db, a->username, uid);
    if (rc != DB_OK)
        return rc;
    return tokens_insert(db, &a->actor, uid, a->label, a->days, a->token,
                         sizeof a->token, a->id, a->expires);
}

int cmd_token(int argc, char **argv, const char *config_path)
{
    static const char usage[] =
        "usage: troth token create --user NAME [--name LABEL] [--days N]\n"
        "Creates an API token for a user and prints only the token.\n";
    if (cli_wants_help(argc, argv)) {
        fputs(usage, stdout);
        return 0;
    }
    if (argc < 1 || strcmp(argv[0], "create")) {
        fputs(usage, stderr);
        return 2;
    }
    struct token_add a = {.actor = cli_actor(), .label = "cli", .days = 90};
    static const struct option opts[] = {{"user", required_argument, 0, 'u'},
                                         {"name", required_argument, 0, 'n'},
                                         {"days", required_argument, 0, 'd'},
                                         {0, 0, 0, 0}};
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'u') a.username = optarg;
        else if (c == 'n') a.label = optarg;
        else if (c == 'd') a.days = atoi(optarg);
        else { fputs(usage, stderr); return 2; }
    }
    if (!a.username || optind != argc || a.days < 1 || a.days > 3650) {
        fputs(usage, stderr);
        return 2;
    }
    struct config cfg;
    if (cli_load_config(&cfg, config_path))
        return 1;
    int rc = 1;
    struct db *db = cli_open_db(&cfg);
    if (db) {
        enum db_rc r = db_tx(db, DB_READ_COMMITTED, token_add_tx, &a);
        if (r == DB_NOTFOUND)
            fprintf(stderr, "troth token create: no enabled user %s\n", a.username);
        else if (r != DB_OK)
            fprintf(stderr, "troth token create: %s\n", db_last_error(db));
        else {
            audit_seal(db, 1000);
            printf("%s\n", a.token);
            rc = 0;
        }
    }
    cli_wipe(a.token);
    db_close(db);
    config_free(&cfg);
    return rc;
}

#include "cli/cli.h"

#include <openssl/crypto.h>
#include <pwd.h>
#include <stdio.h>
#include <unistd.h>
#include <string.h>

#include "config.h"
#include "db/db.h"

int cli_load_config(struct config *cfg, const char *path)
{
    char err[CONFIG_ERR_MAX];
    if (config_load(cfg, path, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    config_set_current(cfg); /* the CA reads [ca] timing from it (CRLs, revocations) */
    return 0;
}

struct db *cli_open_db(const struct config *cfg)
{
    struct db *db = db_open(cfg->database_url);
    if (!db || !db_conn(db)) {
        fprintf(stderr, "troth: cannot connect to the database: %s\n",
                db ? db_last_error(db) : "out of memory");
        db_close(db);
        return NULL;
    }
    return db;
}

bool cli_wants_help(int argc, char **argv)
{
    for (int i = 0; i < argc; i++)
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
            return true;
    return false;
}

struct audit_actor cli_actor(void)
{
    static char name[160];
    struct passwd *pw = getpwuid(geteuid());
    snprintf(name, sizeof name, "cli:%s", pw ? pw->pw_name : "unknown");
    return (struct audit_actor){NULL, NULL, name, ""};
}

void cli_wipe(char *s)
{
    if (s)
        OPENSSL_cleanse(s, strlen(s));
}

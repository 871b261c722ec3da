/* troth migrate: apply pending schema migrations. */
#include "cli/cli.h"

#include <stdio.h>

#include "config.h"
#include "db/db.h"
#include "db/migrate.h"

int cmd_migrate(int argc, char **argv, const char *config_path)
{
    if (cli_wants_help(argc, argv) || argc > 0) {
        fprintf(argc > 0 && !cli_wants_help(argc, argv) ? stderr : stdout,
                "usage: troth migrate [-c FILE]\n"
                "Applies pending migrations in order, each in its own "
                "transaction, under an advisory lock.\n");
        return cli_wants_help(argc, argv) ? 0 : 2;
    }
    struct config cfg;
    if (cli_load_config(&cfg, config_path))
        return 1;
    struct db *db = cli_open_db(&cfg);
    int rc = 1;
    if (db) {
        char err[512];
        if (migrate_apply(db, stdout, err, sizeof err) == 0) {
            printf("schema is current\n");
            rc = 0;
        } else {
            fprintf(stderr, "troth migrate: %s\n", err);
        }
        db_close(db);
    }
    config_free(&cfg);
    return rc;
}

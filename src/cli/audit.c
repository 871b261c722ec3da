/* troth audit verify | seal: the audit log's hash chain. */
#include "cli/cli.h"

#include <stdio.h>
#include <string.h>

#include "audit/audit.h"
#include "config.h"
#include "db/db.h"

int cmd_audit(int argc, char **argv, const char *config_path)
{
    static const char usage[] =
        "usage: troth audit verify | troth audit seal\n"
        "verify walks the hash chain and reports the first broken link (exit 1);\n"
        "seal links events not yet in the chain (troth serve does it by itself).\n";
    if (cli_wants_help(argc, argv)) {
        fputs(usage, stdout);
        return 0;
    }
    if (argc != 1 || (strcmp(argv[0], "verify") && strcmp(argv[0], "seal"))) {
        fputs(usage, stderr);
        return 2;
    }
    struct config cfg;
    if (cli_load_config(&cfg, config_path))
        return 1;
    int rc = 1;
    struct db *db = cli_open_db(&cfg);
    if (db && !strcmp(argv[0], "seal")) {
        long total = 0, n;
        while ((n = audit_seal(db, 10000)) > 0)
            total += n;
        if (n < 0)
            fprintf(stderr, "troth audit seal: %s\n", db_last_error(db));
        else {
            printf("sealed %ld event(s)\n", total);
            rc = 0;
        }
    } else if (db) {
        struct audit_verdict v;
        if (audit_verify(db, &v) != 0) {
            fprintf(stderr, "troth audit verify: %s\n", db_last_error(db));
        } else if (v.broken_seq) {
            printf("BROKEN at event %s (chain position %ld): %s\n"
                   "%ld event(s) checked before it\n",
                   v.broken_id, v.broken_seq, v.reason, v.checked - 1);
        } else {
            printf("intact: %ld event(s) checked, %ld not yet sealed\n", v.checked,
                   v.unsealed);
            rc = 0;
        }
    }
    db_close(db);
    config_free(&cfg);
    return rc;
}

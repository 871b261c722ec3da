/* troth sandbox init|refresh: builds the conformance sandbox in this
 * process with OpenSSL (test material: its keys never reach the signer,
 * the signer's keys never sign for it) and stores it; a running
 * `troth serve` publishes it under /sandbox/ on NOTIFY troth_sandbox. */
#include "cli/cli.h"

#include <stdio.h>
#include <string.h>

#include "config.h"
#include "db/db.h"
#include "sandbox/sandbox.h"

static const char usage[] =
    "usage: troth sandbox init|refresh\n"
    "init creates the conformance sandbox: a root and issuing CAs whose names say\n"
    "SANDBOX (never production anchors) and the fixtures relying parties test\n"
    "against, each with its PKCS#12 (passphrase " SANDBOX_P12_PASSPHRASE "), a signed\n"
    "software statement and signed metadata, and the expected verdict. refresh\n"
    "keeps the CAs and keys and re-issues everything relative to now (software\n"
    "statements live 5 minutes). Served at <public_url>/sandbox/index.json.\n";

int cmd_sandbox(int argc, char **argv, const char *config_path)
{
    if (cli_wants_help(argc, argv)) {
        fputs(usage, stdout);
        return 0;
    }
    if (argc != 1 || (strcmp(argv[0], "init") && strcmp(argv[0], "refresh"))) {
        fputs(usage, stderr);
        return 2;
    }
    bool refresh = !strcmp(argv[0], "refresh");
    struct config cfg;
    if (cli_load_config(&cfg, config_path))
        return 2;
    int rc = 2;
    struct db *db = cli_open_db(&cfg);
    if (db) {
        struct audit_actor actor = cli_actor();
        json_t *summary = NULL;
        char err[256];
        enum db_rc r = sandbox_generate(db, cfg.public_url ? cfg.public_url : "", refresh,
                                        &actor, &summary, err, sizeof err);
        if (r == DB_OK) {
            json_dumpf(summary, stdout, JSON_INDENT(2));
            putchar('\n');
            json_decref(summary);
            rc = 0;
        } else if (r == DB_CONFLICT) {
            fprintf(stderr, "troth sandbox init: the sandbox exists; use troth sandbox refresh\n");
            rc = 1;
        } else if (r == DB_NOTFOUND) {
            fprintf(stderr, "troth sandbox refresh: no sandbox yet; use troth sandbox init\n");
            rc = 1;
        } else
            fprintf(stderr, "troth sandbox %s: %s\n", argv[0],
                    err[0] ? err : db_last_error(db));
    }
    db_close(db);
    config_free(&cfg);
    return rc;
}

/* troth ca signatures CA: the signature record of a CA (src/ca/signatures.h),
 * newest first, one line per signature; with --abandon, an operator's
 * decision on a reservation a crash left behind. */
#include "cli/cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "ca/signatures.h"
#include "config.h"
#include "db/db.h"
#include "util/validate.h"

static const char usage[] =
    "usage: troth ca signatures CA [--state reserved|issued|abandoned]\n"
    "                              [--kind certificate|crl] [--limit N]\n"
    "       troth ca signatures CA --abandon ID --reason TEXT\n"
    "Everything CA's key was asked to sign, newest first: id, time reserved,\n"
    "kind, serial or CRL number, state, SHA-256 of the TBS, who asked, and for\n"
    "an abandoned one why. 'reserved' means signed (or about to be) and never\n"
    "stored: troth stopped between signing and storing. Default limit 100.\n"
    "--abandon settles such a reservation once you have checked what became of\n"
    "it (a certificate with that serial is not in the database, so it was never\n"
    "handed out; a CRL with that number was not published): state 'abandoned',\n"
    "the reason you give (required, at most 400 bytes), audited as\n"
    "signature.abandon. /readyz warns about reservations over 5 minutes old.\n";

DB_STMT(q_ca, 1, "SELECT 1 FROM cas WHERE id = $1");

/* A reason to keep: 1 to 400 bytes of UTF-8 with no control character (it
 * is printed in listings). */
static bool reason_valid(const char *s)
{
    if (!s || !*s || strlen(s) > 400 || !utf8_valid(s))
        return false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return false;
    return true;
}

static int abandon(struct db *db, const char *ca, const char *id, const char *why)
{
    struct audit_actor actor = cli_actor();
    char reason[512];
    snprintf(reason, sizeof reason, "settled by %s: %s", actor.name, why);
    enum db_rc rc = sig_settle(db, ca, id, reason, &actor);
    if (rc == DB_NOTFOUND) {
        fprintf(stderr, "troth ca signatures: signature %s of CA %s is not reserved "
                        "(no such signature, or it was issued or abandoned already); "
                        "nothing changed\n", id, ca);
        return 1;
    }
    if (rc != DB_OK) {
        fprintf(stderr, "troth ca signatures: %s\n", db_last_error(db));
        return 1;
    }
    audit_seal(db, 1000);
    printf("signature %s abandoned\n", id);
    return 0;
}

int cli_ca_signatures(int argc, char **argv, const char *config_path)
{
    if (cli_wants_help(argc, argv)) {
        fputs(usage, stdout);
        return 0;
    }
    const char *state = NULL, *kind = NULL, *limit = "100", *settle = NULL, *why = NULL;
    static const struct option opts[] = {{"state", required_argument, 0, 's'},
                                         {"abandon", required_argument, 0, 'a'},
                                         {"reason", required_argument, 0, 'r'},
                                         {"kind", required_argument, 0, 'k'},
                                         {"limit", required_argument, 0, 'l'},
                                         {0, 0, 0, 0}};
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 's') state = optarg;
        else if (c == 'k') kind = optarg;
        else if (c == 'l') limit = optarg;
        else if (c == 'a') settle = optarg;
        else if (c == 'r') why = optarg;
        else { fputs(usage, stderr); return 2; }
    }
    if (optind != argc - 1 || (state && !sig_state_valid(state)) ||
        (kind && !sig_kind_valid(kind)) || strspn(limit, "0123456789") != strlen(limit) ||
        !*limit || strlen(limit) > 7 || atol(limit) < 1 ||
        (settle && (!id_valid(settle) || !reason_valid(why) || state || kind)) ||
        (why && !settle)) {
        fputs(usage, stderr);
        return 2;
    }
    const char *ca = argv[optind];
    struct config cfg;
    if (cli_load_config(&cfg, config_path))
        return 1;
    struct db *db = cli_open_db(&cfg);
    int rc = 1;
    PGresult *res = NULL;
    if (!db) {
    } else if (db_exec(db, &q_ca, &res, (const char *[]){ca}) != DB_OK) {
        fprintf(stderr, "troth ca signatures: %s\n", db_last_error(db));
    } else if (PQntuples(res) != 1 && !settle) {
        fprintf(stderr, "troth ca signatures: no CA %s\n", ca);
    } else if (settle) {
        rc = abandon(db, ca, settle, why);
    } else {
        PQclear(res);
        res = NULL;
        if (sig_list(db, ca, "9223372036854775807", limit, state, kind, &res) != DB_OK) {
            fprintf(stderr, "troth ca signatures: %s\n", db_last_error(db));
        } else {
            for (int i = 0; i < PQntuples(res); i++) {
                const char *what = strcmp(PQgetvalue(res, i, SIG_COL_KIND), "crl")
                                       ? PQgetvalue(res, i, SIG_COL_SERIAL)
                                       : PQgetvalue(res, i, SIG_COL_CRL_NUMBER);
                const char *tbs = PQgetvalue(res, i, SIG_COL_TBS);
                const char *reason = PQgetvalue(res, i, SIG_COL_REASON);
                printf("%s %s %-11s %-40s %-9s tbs %s by %s%s%s\n",
                       PQgetvalue(res, i, SIG_COL_ID), PQgetvalue(res, i, SIG_COL_RESERVED_AT),
                       PQgetvalue(res, i, SIG_COL_KIND), what, PQgetvalue(res, i, SIG_COL_STATE),
                       *tbs ? tbs : "(not recorded)", PQgetvalue(res, i, SIG_COL_REQUESTED_BY),
                       *reason ? ": " : "", reason);
            }
            rc = 0;
        }
    }
    if (res)
        PQclear(res);
    db_close(db);
    config_free(&cfg);
    return rc;
}

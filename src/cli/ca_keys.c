/* Key-custody commands: troth crl sign-root | import, troth ca
 * revoke-intermediate | ceremony-report. sign-root and revoke-intermediate
 * run on the offline machine and touch neither config nor database. */
#include "cli/cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ca/create.h"
#include "ca/crl_import.h"
#include "ca/issuing_csr.h"
#include "ca/offline_root.h"
#include "ca/registry.h"
#include "ceremony/ceremony.h"
#include "config.h"
#include "db/db.h"
#include "pki/encode.h"
#include "util/file.h"

static const char sign_root_usage[] =
    "usage: troth crl sign-root --root DIR --next-update DAYS [--out FILE]\n"
    "                           [--root-passphrase-file F]\n"
    "On the offline machine: signs the root's next CRL (cRLNumber one above\n"
    "the last in DIR, nextUpdate DAYS from now) listing every CA certificate\n"
    "revoked with `troth ca revoke-intermediate`, keeps it in DIR/crls/, and\n"
    "writes it (PEM) to FILE. Bring FILE and DIR/ceremony.log to the online\n"
    "system: troth crl import FILE --ceremony-log ceremony.log\n";

static const char revoke_usage[] =
    "usage: troth ca revoke-intermediate --root DIR SERIAL --reason REASON\n"
    "On the offline machine: adds a CA certificate this root signed (serial in\n"
    "hex, see DIR/issued.txt) to the revoked list of the next root CRL\n"
    "(`troth crl sign-root`). REASON is an RFC 5280 name: cACompromise,\n"
    "keyCompromise, superseded, cessationOfOperation, affiliationChanged...\n";

static const char import_usage[] =
    "usage: troth crl import FILE [--ceremony-log LOG]\n"
    "Publishes a CRL signed offline (PEM or DER) at once on every node, after\n"
    "checking its signature and issuer against an offline CA here, that its\n"
    "cRLNumber is above the current one and thisUpdate <= now < nextUpdate.\n"
    "LOG (the offline directory's ceremony.log) goes into the audit log.\n";

static const char report_usage[] =
    "usage: troth ca ceremony-report CA\n"
    "Prints a plain-text transcript of the CA's key history (creation,\n"
    "import, offline signatures, CRL imports) for a witness to sign.\n";

int cli_crl_sign_root(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        fputs(sign_root_usage, stdout);
        return 0;
    }
    const char *dir = NULL, *out = NULL, *pass_file = NULL;
    long days = -1;
    static const struct option opts[] = {{"root", required_argument, 0, 'r'},
                                         {"next-update", required_argument, 0, 'n'},
                                         {"out", required_argument, 0, 'o'},
                                         {"root-passphrase-file", required_argument, 0, 'p'},
                                         {0, 0, 0, 0}};
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'r') dir = optarg;
        else if (c == 'n') days = strtol(optarg, NULL, 10);
        else if (c == 'o') out = optarg;
        else if (c == 'p') pass_file = optarg;
        else { fputs(sign_root_usage, stderr); return 2; }
    }
    if (!dir || days < 0 || optind != argc) {
        fputs(sign_root_usage, stderr);
        return 2;
    }
    if (days < 1 || days > 366) {
        fprintf(stderr, "troth crl sign-root: --next-update must be 1 to 366 days\n");
        return 2;
    }
    char err[512];
    char *pass = offline_passphrase(pass_file, 0, err, sizeof err);
    if (!pass) {
        fprintf(stderr, "troth crl sign-root: %s\n", err);
        return 1;
    }
    struct offline_root r;
    struct problem e = {0};
    unsigned char *der = NULL;
    size_t len = 0;
    uint64_t number = 0;
    int rc = 1;
    if (offline_root_open(&r, dir, pass, &e) ||
        offline_root_sign_crl(&r, (unsigned)days, &der, &len, &number, &e)) {
        fprintf(stderr, "troth crl sign-root: %s\n", e.detail);
        goto done;
    }
    char *pem = pki_der_to_pem(der, len, "X509 CRL");
    FILE *f = out ? fopen(out, "w") : stdout;
    if (!pem || !f || fputs(pem, f) < 0 || (out && fclose(f) != 0)) {
        fprintf(stderr, "troth crl sign-root: cannot write %s: %s\n", out ? out : "stdout",
                strerror(errno));
    } else {
        fprintf(stderr, "root CRL %llu signed, valid %ld days; kept in %s/crls/\n",
                (unsigned long long)number, days, r.dir);
        rc = 0;
    }
    free(pem);
done:
    free(der);
    offline_root_close(&r);
    passphrase_free(pass);
    return rc;
}

int cli_ca_revoke_intermediate(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        fputs(revoke_usage, stdout);
        return 0;
    }
    const char *dir = NULL, *reason = NULL;
    static const struct option opts[] = {{"root", required_argument, 0, 'r'},
                                         {"reason", required_argument, 0, 'w'},
                                         {0, 0, 0, 0}};
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'r') dir = optarg;
        else if (c == 'w') reason = optarg;
        else { fputs(revoke_usage, stderr); return 2; }
    }
    if (!dir || !reason || optind != argc - 1) {
        fputs(revoke_usage, stderr);
        return 2;
    }
    struct offline_root r;
    struct problem e = {0};
    int rc = offline_root_open(&r, dir, NULL, &e) ||
             offline_root_revoke(&r, argv[optind], reason, &e);
    if (rc)
        fprintf(stderr, "troth ca revoke-intermediate: %s\n", e.detail);
    else
        fprintf(stderr, "serial %s revoked (%s); sign the next root CRL with "
                        "`troth crl sign-root`\n", argv[optind], reason);
    offline_root_close(&r);
    return rc ? 1 : 0;
}

int cli_crl_import(int argc, char **argv, const char *config_path)
{
    if (cli_wants_help(argc, argv)) {
        fputs(import_usage, stdout);
        return 0;
    }
    const char *log = NULL;
    static const struct option opts[] = {{"ceremony-log", required_argument, 0, 'l'},
                                         {0, 0, 0, 0}};
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'l') log = optarg;
        else { fputs(import_usage, stderr); return 2; }
    }
    if (optind != argc - 1) {
        fputs(import_usage, stderr);
        return 2;
    }
    size_t len = 0;
    char *data = file_read(argv[optind], 64u << 20, &len);
    if (!data) {
        fprintf(stderr, "troth crl import: cannot read %s: %s\n", argv[optind],
                strerror(errno));
        return 1;
    }
    struct config cfg;
    if (cli_load_config(&cfg, config_path)) {
        free(data);
        return 1;
    }
    struct db *db = cli_open_db(&cfg);
    int rc = 1;
    if (db) {
        struct audit_actor actor = cli_actor();
        struct problem e;
        char id[CA_ID_MAX];
        uint64_t number;
        if (crl_import(db, (const unsigned char *)data, len, log, &actor, id, &number, &e))
            fprintf(stderr, "troth crl import: %s\n", e.detail);
        else {
            audit_seal(db, 1000);
            printf("%s: CRL %llu imported and published\n", id, (unsigned long long)number);
            rc = 0;
        }
    }
    free(data);
    db_close(db);
    config_free(&cfg);
    return rc;
}

int cli_ca_ceremony_report(int argc, char **argv, const char *config_path)
{
    if (cli_wants_help(argc, argv)) {
        fputs(report_usage, stdout);
        return 0;
    }
    if (argc != 2) {
        fputs(report_usage, stderr);
        return 2;
    }
    struct config cfg;
    if (cli_load_config(&cfg, config_path))
        return 1;
    struct db *db = cli_open_db(&cfg);
    int rc = 1;
    if (db) {
        audit_seal(db, 100000); /* the transcript shows each event's chain position */
        int r = ceremony_report(db, argv[1], stdout);
        if (r == 1)
            fprintf(stderr, "troth ca ceremony-report: no CA %s\n", argv[1]);
        else if (r < 0)
            fprintf(stderr, "troth ca ceremony-report: %s\n", db_last_error(db));
        rc = r == 0 ? 0 : 1;
    }
    db_close(db);
    config_free(&cfg);
    return rc;
}

static const char csr_usage[] =
    "usage: troth ca issuing-csr [--id ID] [--key rsa:2048|rsa:3072|ec:P-256|ec:P-384]\n"
    "                            [--key-store pkcs11:token=LABEL[;object=NAME]] --out FILE\n"
    "Makes a new issuing CA key (default ec:P-256), kept encrypted under [ca]\n"
    "key_passphrase_file or, with --key-store, made inside that PKCS#11 token\n"
    "([pkcs11] module and pin_file; object default troth-ID), and writes a\n"
    "PKCS#10 request for it to FILE. Have the\n"
    "root held elsewhere sign it as a CA certificate (CA:TRUE, keyCertSign,\n"
    "cRLSign), then: troth ca import --cert SIGNED.pem (import that root's\n"
    "certificate first: troth ca import --cert ROOT.pem).\n";

int cli_ca_issuing_csr(int argc, char **argv, const char *config_path)
{
    if (cli_wants_help(argc, argv)) {
        fputs(csr_usage, stdout);
        return 0;
    }
    const char *id = "issuing", *spec = "ec:P-256", *out = NULL, *store = NULL;
    static const struct option opts[] = {{"id", required_argument, 0, 'i'},
                                         {"key", required_argument, 0, 'k'},
                                         {"key-store", required_argument, 0, 's'},
                                         {"out", required_argument, 0, 'o'},
                                         {0, 0, 0, 0}};
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'i') id = optarg;
        else if (c == 'k') spec = optarg;
        else if (c == 's') store = optarg;
        else if (c == 'o') out = optarg;
        else { fputs(csr_usage, stderr); return 2; }
    }
    if (!out || optind != argc) {
        fputs(csr_usage, stderr);
        return 2;
    }
    struct config cfg;
    if (cli_load_config(&cfg, config_path))
        return 1;
    struct db *db = cli_open_db(&cfg);
    int rc = 1;
    if (db) {
        struct audit_actor actor = cli_actor();
        char err[512] = "";
        char *pem = ca_issuing_csr(db, &cfg, id, spec, store, &actor, err, sizeof err);
        FILE *f = pem ? fopen(out, "w") : NULL;
        if (!pem)
            fprintf(stderr, "troth ca issuing-csr: %s\n", err);
        else if (!f || fputs(pem, f) < 0 || fclose(f) != 0)
            fprintf(stderr, "troth ca issuing-csr: cannot write %s: %s\n", out,
                    strerror(errno));
        else {
            audit_seal(db, 1000);
            fprintf(stderr, "request for CA %s written to %s; import the signed "
                            "certificate with troth ca import --cert\n", id, out);
            rc = 0;
        }
        free(pem);
    }
    db_close(db);
    config_free(&cfg);
    return rc;
}

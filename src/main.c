/* troth: the community CA service and its command line. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

struct command {
    const char *name;
    int (*run)(int argc, char **argv, const char *config_path);
    const char *summary;
};

static const struct command commands[] = {
    {"serve", cmd_serve, "run the public and admin listeners"},
    {"migrate", cmd_migrate, "apply pending database migrations"},
    {"init", cmd_init, "create the community and the first admin"},
    {"user", cmd_user, "add a user"},
    {"token", cmd_token, "create an API token"},
    {"member", cmd_member, "add a member organisation (onboarding scripts)"},
    {"cert", cmd_cert, "issue, revoke, list or show certificates"},
    {"ca", cmd_ca, "list or import CAs"},
    {"crl", cmd_crl, "generate CRLs now; sign (offline root) or import one"},
    {"audit", cmd_audit, "verify or seal the audit log's hash chain"},
    {"udap", cmd_udap, "validate a signed UDAP JWT"},
    {"sandbox", cmd_sandbox, "create or refresh the conformance sandbox (test fixtures)"},
    {"routes", cmd_routes, "print the route table as JSON"},
    {"version", cmd_version, "print the version"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: troth [-c FILE] COMMAND [ARGS] (default FILE: ./troth.conf)\n"
               "commands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "`troth COMMAND --help` describes each.\n");
}

int main(int argc, char **argv)
{
    const char *config_path = "troth.conf";
    /* take -c FILE / --config FILE out of argv, wherever it stands */
    int n = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-c") || !strcmp(argv[i], "--config")) {
            if (i + 1 >= argc) {
                fprintf(stderr, "troth: %s needs a file\n", argv[i]);
                return 2;
            }
            config_path = argv[++i];
            continue;
        }
        argv[++n] = argv[i];
    }
    argc = n + 1;
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
        !strcmp(argv[1], "help")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].run(argc - 2, argv + 2, config_path);
    fprintf(stderr, "troth: unknown command \"%s\"\n", argv[1]);
    usage(stderr);
    return 2;
}

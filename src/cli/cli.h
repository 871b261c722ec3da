/* The troth subcommands. Each gets argv after the command name (with -c
 * FILE already taken out) and the config path; returns the exit status. */
#ifndef TROTH_CLI_H
#define TROTH_CLI_H
#include <stdbool.h>

#include "audit/audit.h"

struct config;
struct db;

int cmd_serve(int argc, char **argv, const char *config_path);
int cmd_migrate(int argc, char **argv, const char *config_path);
int cmd_version(int argc, char **argv, const char *config_path);
int cmd_routes(int argc, char **argv, const char *config_path);
int cmd_user(int argc, char **argv, const char *config_path);
int cmd_token(int argc, char **argv, const char *config_path);
int cmd_audit(int argc, char **argv, const char *config_path);
int cmd_member(int argc, char **argv, const char *config_path);
int cmd_init(int argc, char **argv, const char *config_path);
int cmd_cert(int argc, char **argv, const char *config_path);
int cmd_ca(int argc, char **argv, const char *config_path);
int cmd_crl(int argc, char **argv, const char *config_path);
int cmd_udap(int argc, char **argv, const char *config_path);
int cmd_sandbox(int argc, char **argv, const char *config_path);

/* Key custody (cli/ca_keys.c); argv[0] is the subcommand. */
int cli_crl_sign_root(int argc, char **argv);
int cli_crl_import(int argc, char **argv, const char *config_path);
int cli_ca_revoke_intermediate(int argc, char **argv);
int cli_ca_ceremony_report(int argc, char **argv, const char *config_path);
int cli_ca_issuing_csr(int argc, char **argv, const char *config_path);
/* troth ca signatures (cli/ca_signatures.c) */
int cli_ca_signatures(int argc, char **argv, const char *config_path);

/* Loads the config or prints "file:line: what" and returns -1. */
int cli_load_config(struct config *cfg, const char *path);

/* Opens a database connection for a CLI command; prints why on failure. */
struct db *cli_open_db(const struct config *cfg);

/* The audit actor of the command line: "cli:<unix user>". */
struct audit_actor cli_actor(void);

/* Wipes a secret held in a string. */
void cli_wipe(char *s);

/* True if argv holds -h or --help. */
bool cli_wants_help(int argc, char **argv);

#endif

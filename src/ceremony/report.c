/* `troth ca ceremony-report CA`: a CA's key history as plain text that a
 * witness can read, compare with what was shown at the ceremony, and sign. */
#include "ceremony/ceremony.h"

#include <pwd.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit/audit.h"

DB_STMT(q_ca, 1,
        "SELECT c.kind, coalesce(c.parent_id, ''), c.subject, c.fingerprint_sha256, "
        "c.key_description, c.key_store, coalesce(c.key_uri, ''), "
        SQL_TIME("c.not_before") ", " SQL_TIME("c.not_after") ", "
        "(SELECT uri || ' (' || name || ')' FROM community LIMIT 1) "
        "FROM cas c WHERE c.id = $1");
DB_STMT(q_events, 1,
        "SELECT id, coalesce(chain_seq::text, 'not yet sealed'), " SQL_TIME("at") ", "
        "actor, action, details::text FROM audit_events "
        "WHERE object_type = 'ca' AND object_id = $1 "
        "AND (action IN ('ca.create', 'ca.import') OR action LIKE 'ceremony.%') "
        "ORDER BY id");

/* What the key signed (sql/migrations/0012_signatures.sql), by kind and state. */
DB_STMT(q_sig_counts, 1,
        "SELECT kind, state, count(*), coalesce(" SQL_TIME("min(reserved_at)") ", ''), "
        "coalesce(" SQL_TIME("max(reserved_at)") ", '') FROM signatures WHERE ca_id = $1 "
        "GROUP BY kind, state ORDER BY kind, state");
DB_STMT(q_sig_open, 1,
        "SELECT kind, coalesce(serial, crl_number::text), state, coalesce(tbs_sha256, ''), "
        SQL_TIME("reserved_at") ", requested_by, coalesce(reason, '') FROM signatures "
        "WHERE ca_id = $1 AND state <> 'issued' ORDER BY id LIMIT 200");

static const char *const FIRST[] = {"key", "spki_sha256", "key_location", "operator",
                                    "host", "at"};

static void print_details(FILE *f, const char *text)
{
    json_t *d = json_loads(text, 0, NULL);
    if (!json_is_object(d)) {
        json_decref(d);
        return;
    }
    for (size_t i = 0; i < sizeof FIRST / sizeof FIRST[0]; i++) {
        json_t *v = json_object_get(d, FIRST[i]);
        if (json_is_string(v) && *json_string_value(v))
            fprintf(f, "      %-16s %s\n", FIRST[i], json_string_value(v));
    }
    const char *k;
    json_t *v;
    json_object_foreach(d, k, v) {
        bool shown = !strcmp(k, "event") || !strcmp(k, "ca");
        for (size_t i = 0; i < sizeof FIRST / sizeof FIRST[0]; i++)
            shown = shown || !strcmp(k, FIRST[i]);
        if (shown)
            continue;
        char *s = json_is_string(v) ? strdup(json_string_value(v))
                                    : json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        fprintf(f, "      %-16s %s\n", k, s ? s : "?");
        free(s);
    }
    json_decref(d);
}

static const char *state_label(const char *state)
{
    return !strcmp(state, "reserved") ? "reserved (signed or about to be, never stored)"
           : !strcmp(state, "abandoned") ? "abandoned (signed or refused, never published)"
                                         : "issued";
}

/* The signature record: counts, then every signature not issued. */
static void print_signatures(struct db *db, const char *id, FILE *f)
{
    PGresult *n, *open;
    fprintf(f, "Signatures made with this key (from the signature record):\n\n");
    if (db_exec(db, &q_sig_counts, &n, (const char *[]){id}) != DB_OK) {
        fprintf(f, "  (could not be read: database error)\n\n");
        return;
    }
    for (int i = 0; i < PQntuples(n); i++)
        fprintf(f, "  %-11s %s: %s (%s to %s)\n", PQgetvalue(n, i, 0),
                state_label(PQgetvalue(n, i, 1)), PQgetvalue(n, i, 2), PQgetvalue(n, i, 3),
                PQgetvalue(n, i, 4));
    if (PQntuples(n) == 0)
        fprintf(f, "  (none recorded)\n");
    PQclear(n);
    if (db_exec(db, &q_sig_open, &open, (const char *[]){id}) != DB_OK) {
        fputc('\n', f);
        return;
    }
    if (PQntuples(open) > 0)
        fprintf(f, "\n  Not issued (each a signature that was asked for and not published):\n");
    for (int i = 0; i < PQntuples(open); i++)
        fprintf(f, "    %s %s %s %s\n      tbs sha256 %s, asked by %s%s%s\n",
                PQgetvalue(open, i, 4), PQgetvalue(open, i, 0), PQgetvalue(open, i, 1),
                PQgetvalue(open, i, 2), PQgetvalue(open, i, 3), PQgetvalue(open, i, 5),
                PQgetvalue(open, i, 6)[0] ? "; " : "", PQgetvalue(open, i, 6));
    PQclear(open);
    fputc('\n', f);
}

int ceremony_report(struct db *db, const char *id, FILE *f)
{
    PGresult *ca, *ev;
    if (db_exec(db, &q_ca, &ca, (const char *[]){id}) != DB_OK)
        return -1;
    if (PQntuples(ca) != 1) {
        PQclear(ca);
        return 1;
    }
    if (db_exec(db, &q_events, &ev, (const char *[]){id}) != DB_OK) {
        PQclear(ca);
        return -1;
    }
    struct audit_verdict v = {0};
    int vrc = audit_verify(db, &v);
    char now[32], host[256] = "unknown";
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", &tm);
    gethostname(host, sizeof host - 1);
    struct passwd *pw = getpwuid(getuid());
    const char *store = PQgetvalue(ca, 0, 5);
    fprintf(f, "KEY CEREMONY TRANSCRIPT: certificate authority \"%s\"\n\n", id);
    fprintf(f, "Community:            %s\n", PQgetvalue(ca, 0, 9));
    fprintf(f, "CA:                   %s (%s%s%s)\n", id, PQgetvalue(ca, 0, 0),
            PQgetvalue(ca, 0, 1)[0] ? ", issued by " : "", PQgetvalue(ca, 0, 1));
    fprintf(f, "Subject:              %s\n", PQgetvalue(ca, 0, 2));
    fprintf(f, "Certificate SHA-256:  %s\n", PQgetvalue(ca, 0, 3));
    fprintf(f, "Key:                  %s\n", PQgetvalue(ca, 0, 4));
    fprintf(f, "Key held:             %s%s%s\n",
            !strcmp(store, "database") ? CEREMONY_AT_DATABASE
            : !strcmp(store, "offline") ? "offline (never on this system)"
                                        : "PKCS#11 token ",
            !strcmp(store, "pkcs11") ? PQgetvalue(ca, 0, 6) : "", "");
    fprintf(f, "Valid:                %s to %s\n", PQgetvalue(ca, 0, 7), PQgetvalue(ca, 0, 8));
    fprintf(f, "Transcript printed:   %s by %s on %s\n\n", now, pw ? pw->pw_name : "unknown",
            host);
    fprintf(f, "Key events, oldest first (from the audit log):\n\n");
    for (int i = 0; i < PQntuples(ev); i++) {
        fprintf(f, "  %d. %s  %s\n", i + 1, PQgetvalue(ev, i, 2), PQgetvalue(ev, i, 4));
        fprintf(f, "      %-16s %s (audit event %s, chain position %s)\n", "recorded by",
                PQgetvalue(ev, i, 3), PQgetvalue(ev, i, 0), PQgetvalue(ev, i, 1));
        print_details(f, PQgetvalue(ev, i, 5));
        fputc('\n', f);
    }
    if (PQntuples(ev) == 0)
        fprintf(f, "  (none recorded)\n\n");
    print_signatures(db, id, f);
    if (vrc != 0)
        fprintf(f, "Audit chain: could not be checked (database error)\n");
    else if (v.broken_seq)
        fprintf(f, "Audit chain: BROKEN at position %lld (event %s): %s\n",
                (long long)v.broken_seq, v.broken_id, v.reason);
    else
        fprintf(f, "Audit chain: %ld sealed events checked, intact; %ld not yet sealed\n",
                v.checked, v.unsealed);
    fprintf(f, "\nI witnessed the key events listed above, and the key type and SHA-256\n"
               "fingerprints shown here match those displayed during the ceremony.\n\n"
               "Witness:  name ______________________  signature ______________________  date __________\n\n"
               "Operator: name ______________________  signature ______________________  date __________\n");
    PQclear(ca);
    PQclear(ev);
    return 0;
}

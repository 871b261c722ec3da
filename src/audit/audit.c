#include "audit/audit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEAL_LOCK_KEY "7206414868"

DB_STMT(q_insert, 8,
        "INSERT INTO audit_events (actor_user_id, actor_token_id, actor, "
        "source_ip, action, object_type, object_id, details) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8)");

enum db_rc audit_write(struct db *db, const struct audit_actor *actor,
                       const char *action, const char *object_type,
                       const char *object_id, json_t *details)
{
    char *d = details ? json_dumps(details, JSON_COMPACT | JSON_SORT_KEYS)
                      : NULL;
    json_decref(details);
    const char *p[] = {actor->user_id, actor->token_id,
                       actor->name ? actor->name : "system",
                       actor->ip ? actor->ip : "", action,
                       object_type ? object_type : "",
                       object_id ? object_id : "", d ? d : "{}"};
    enum db_rc rc = db_exec(db, &q_insert, NULL, p);
    free(d);
    return rc;
}

DB_STMT(q_seal_lock, 0, "SELECT pg_try_advisory_xact_lock(" SEAL_LOCK_KEY ")");
DB_STMT(q_chain_head, 0,
        "SELECT chain_seq, hash FROM audit_events WHERE chain_seq IS NOT NULL "
        "ORDER BY chain_seq DESC LIMIT 1");
DB_STMT(q_unsealed, 1,
        "SELECT id FROM audit_events WHERE chain_seq IS NULL ORDER BY id LIMIT $1");
DB_STMT(q_seal_one, 3,
        "UPDATE audit_events SET chain_seq = $2, prev_hash = $3::bytea, "
        "hash = sha256($3::bytea || audit_canonical(audit_events)) "
        "WHERE id = $1 AND chain_seq IS NULL RETURNING encode(hash, 'hex')");

struct seal_arg {
    long limit;
    long sealed;
};

static enum db_rc seal_tx(struct db *db, void *arg)
{
    struct seal_arg *a = arg;
    PGresult *res;
    enum db_rc rc = db_exec(db, &q_seal_lock, &res, NULL);
    if (rc != DB_OK)
        return rc;
    bool got = PQgetvalue(res, 0, 0)[0] == 't';
    PQclear(res);
    if (!got)
        return DB_OK; /* another instance is sealing */
    if ((rc = db_exec(db, &q_chain_head, &res, NULL)) != DB_OK)
        return rc;
    long long seq = 0;
    char prev[80] = "\\x"; /* the genesis link: an empty prev_hash */
    if (PQntuples(res)) {
        seq = atoll(PQgetvalue(res, 0, 0));
        snprintf(prev, sizeof prev, "%s", PQgetvalue(res, 0, 1));
    }
    PQclear(res);
    char lim[24];
    snprintf(lim, sizeof lim, "%ld", a->limit);
    const char *lp[] = {lim};
    if ((rc = db_exec(db, &q_unsealed, &res, lp)) != DB_OK)
        return rc;
    for (int i = 0; i < PQntuples(res); i++) {
        char seqs[24];
        snprintf(seqs, sizeof seqs, "%lld", seq + 1);
        const char *p[] = {PQgetvalue(res, i, 0), seqs, prev};
        PGresult *r2;
        rc = db_exec(db, &q_seal_one, &r2, p);
        if (rc != DB_OK)
            break;
        if (PQntuples(r2) == 1) {
            snprintf(prev, sizeof prev, "\\x%s", PQgetvalue(r2, 0, 0));
            seq++;
            a->sealed++;
        }
        PQclear(r2);
    }
    PQclear(res);
    return rc;
}

long audit_seal(struct db *db, long limit)
{
    struct seal_arg a = {limit, 0};
    if (db_tx(db, DB_READ_COMMITTED, seal_tx, &a) != DB_OK)
        return -1;
    return a.sealed;
}

DB_STMT(q_walk, 2,
        "SELECT id, chain_seq, encode(prev_hash, 'hex'), encode(hash, 'hex'), "
        "encode(sha256(prev_hash || audit_canonical(audit_events)), 'hex') "
        "FROM audit_events WHERE chain_seq > $1 ORDER BY chain_seq LIMIT $2");
DB_STMT(q_count_unsealed, 0,
        "SELECT count(*) FROM audit_events WHERE chain_seq IS NULL");

static void broken(struct audit_verdict *v, const char *id, long long seq,
                   const char *why)
{
    v->broken_seq = seq;
    snprintf(v->broken_id, sizeof v->broken_id, "%s", id);
    snprintf(v->reason, sizeof v->reason, "%s", why);
}

int audit_verify(struct db *db, struct audit_verdict *v)
{
    memset(v, 0, sizeof *v);
    char prev[72] = "";
    long long seq = 0;
    for (;;) {
        char after[24];
        snprintf(after, sizeof after, "%lld", seq);
        const char *p[] = {after, "5000"};
        PGresult *res;
        if (db_exec(db, &q_walk, &res, p) != DB_OK)
            return -1;
        int n = PQntuples(res);
        for (int i = 0; i < n && !v->broken_seq; i++) {
            const char *id = PQgetvalue(res, i, 0);
            long long s = atoll(PQgetvalue(res, i, 1));
            const char *ph = PQgetvalue(res, i, 2), *h = PQgetvalue(res, i, 3),
                       *want = PQgetvalue(res, i, 4);
            if (s != seq + 1)
                broken(v, id, s, "a link is missing before this event");
            else if (strcmp(ph, prev) != 0)
                broken(v, id, s, "prev_hash does not match the previous event");
            else if (strcmp(h, want) != 0)
                broken(v, id, s, "the event was changed after it was sealed");
            seq = s;
            snprintf(prev, sizeof prev, "%s", h);
            v->checked++;
        }
        PQclear(res);
        if (n < 5000 || v->broken_seq)
            break;
    }
    PGresult *res;
    if (db_exec(db, &q_count_unsealed, &res, NULL) != DB_OK)
        return -1;
    v->unsealed = atol(PQgetvalue(res, 0, 0));
    PQclear(res);
    return 0;
}

/* User accounts: their columns, their JSON, creating one. */
#include "auth/users.h"

#include <stdio.h>

#include "audit/audit.h"

static const struct row_col user_cols[] = {USER_ROW(ROW_COL, )};

json_t *user_json(PGresult *res, int row)
{
    return row_json(user_cols, USER_COL_COUNT, res, row);
}

DB_STMT(q_insert, 4,
        "INSERT INTO users (username, role, member_id, password_hash) "
        "VALUES ($1, $2, $3::bigint, $4) RETURNING id");
DB_STMT(q_member_exists, 1, "SELECT 1 FROM members WHERE id = $1::bigint");

enum db_rc users_insert(struct db *db, const struct audit_actor *actor,
                        const char *username, const char *role,
                        const char *member_id, const char *password_hash,
                        char id_out[24])
{
    PGresult *res;
    enum db_rc rc;
    if (member_id) {
        const char *mp[] = {member_id};
        if ((rc = db_exec(db, &q_member_exists, &res, mp)) != DB_OK)
            return rc;
        int n = PQntuples(res);
        PQclear(res);
        if (n != 1)
            return DB_NOTFOUND;
    }
    const char *p[] = {username, role, member_id, password_hash};
    if ((rc = db_exec(db, &q_insert, &res, p)) != DB_OK)
        return rc;
    snprintf(id_out, 24, "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
    json_t *d = json_pack("{s:s, s:s}", "username", username, "role", role);
    if (member_id)
        json_object_set_new(d, "member_id", json_string(member_id));
    return audit_write(db, actor, "user.create", "user", id_out, d);
}

DB_STMT(q_id_by_name, 1, "SELECT id FROM users WHERE username = $1 AND NOT disabled");

enum db_rc users_id_by_name(struct db *db, const char *username, char id_out[24])
{
    PGresult *res;
    enum db_rc rc = db_exec(db, &q_id_by_name, &res, (const char *[]){username});
    if (rc != DB_OK)
        return rc;
    if (PQntuples(res) == 1)
        snprintf(id_out, 24, "%s", PQgetvalue(res, 0, 0));
    else
        rc = DB_NOTFOUND;
    PQclear(res);
    return rc;
}

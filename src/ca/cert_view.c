#include "ca/cert_view.h"

#include <stdlib.h>
#include <string.h>

#include "ca/registry.h"
#include "pki/encode.h"

bool ca_serial_valid(const char *s)
{
    size_t n = strlen(s);
    if (n < 2 || n > 40)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

char *cert_pem_of_b64(const char *b64)
{
    size_t n = strlen(b64);
    char *out = malloc(n + n / 64 + 64);
    if (!out)
        return NULL;
    char *o = out;
    o += sprintf(o, "-----BEGIN CERTIFICATE-----\n");
    for (size_t i = 0; i < n; i += 64) {
        size_t l = n - i < 64 ? n - i : 64;
        memcpy(o, b64 + i, l);
        o += l;
        *o++ = '\n';
    }
    sprintf(o, "-----END CERTIFICATE-----\n");
    return out;
}

static const struct row_col cert_cols[] = {CERT_ROW(ROW_COL, )};

json_t *cert_json(PGresult *res, int i, bool with_pem)
{
    json_t *o = row_json(cert_cols, CERT_COL_DER_B64, res, i);
    if (!with_pem)
        return o;
    const char *b64 = PQgetvalue(res, i, CERT_COL_DER_B64);
    char *pem = cert_pem_of_b64(b64);
    const struct ca_info *ca = ca_find(ca_current(), PQgetvalue(res, i, CERT_COL_CA));
    char *ca_pem = ca ? pki_der_to_pem(ca->der, ca->der_len, "CERTIFICATE") : NULL;
    char *ca_b64 = ca ? pki_base64(ca->der, ca->der_len) : NULL;
    size_t chain_len = (pem ? strlen(pem) : 0) + (ca_pem ? strlen(ca_pem) : 0) + 1;
    char *chain = malloc(chain_len);
    if (chain)
        snprintf(chain, chain_len, "%s%s", pem ? pem : "", ca_pem ? ca_pem : "");
    json_t *x5c = json_pack("[s]", b64);
    if (ca_b64)
        json_array_append_new(x5c, json_string(ca_b64));
    json_object_set_new(o, "certificate_pem", json_string(pem ? pem : ""));
    json_object_set_new(o, "chain_pem", json_string(chain ? chain : ""));
    json_object_set_new(o, "x5c", x5c);
    free(pem);
    free(ca_pem);
    free(ca_b64);
    free(chain);
    return o;
}

DB_STMT(q_fetch, 2,
        "SELECT " CERT_COLUMNS " FROM certificates c WHERE c.serial = $1 "
        "AND ($2::bigint IS NULL OR c.member_id = $2::bigint)");

enum db_rc cert_fetch(struct db *db, const char *serial, const char *only_member,
                      PGresult **res)
{
    enum db_rc rc = db_exec(db, &q_fetch, res, (const char *[]){serial, only_member});
    if (rc == DB_OK && PQntuples(*res) != 1) {
        PQclear(*res);
        *res = NULL;
        return DB_NOTFOUND;
    }
    return rc;
}

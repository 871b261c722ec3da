"""Rows from one column list per resource (issue 9 item 4): the code that
turns a row into JSON reads columns by name, never by position, and the
JSON of each resource is pinned here (keys, types, values checked against
the database), so that moving a resource onto its column list changes no
answer."""
import pathlib
import re

from pki_util import csr_pem, ec_key

ROOT = pathlib.Path(__file__).resolve().parents[2]
# each file that selects a resource's row and reads or shows it
ROW_FILES = ["src/ca/cert_view.c", "src/api/certificates.c", "src/api/certificate_read.c",
             "src/cli/cert.c"]
# a column read at a literal position other than 0 (a one-column result)
POSITION = re.compile(r"PQget(?:value|isnull)\(\s*[^,()]+,\s*[^,()]+,\s*[1-9][0-9]*\s*\)")
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def test_row_code_reads_columns_by_name():
    found = []
    for f in ROW_FILES:
        for n, line in enumerate((ROOT / f).read_text().splitlines(), 1):
            if POSITION.search(line):
                found.append(f"{f}:{n}: {line.strip()}")
    assert not found, "columns read by position:\n" + "\n".join(found)


def test_the_position_check_catches_a_position():
    assert POSITION.search("snprintf(p, n, \"%s\", PQgetvalue(old, 0, 2));")
    assert not POSITION.search("PQgetvalue(old, 0, CERT_COL_PROFILE)")


CERT_KEYS = ["serial", "status", "profile", "member_id", "ca", "subject", "uris", "key",
             "not_before", "not_after", "fingerprint_sha256", "revocation_reason",
             "revoked_at", "renewed_from", "created_at", "renewed_by"]
PEM_KEYS = ["certificate_pem", "chain_pem", "x5c"]


def db_cert(cluster, serial):
    row = cluster.psql(
        "SELECT status, profile, member_id, ca_id, subject, array_to_string(uris, ' '), "
        "key_description, fingerprint_sha256, coalesce(revocation_reason, '-'), "
        "coalesce(renewed_from, '-') FROM certificates WHERE serial = '%s'" % serial)
    return row.split("|")


def check_cert(cluster, c, keys):
    assert list(c) == keys
    st, profile, member, ca, subject, uris, key, fp, reason, renewed = db_cert(cluster, c["serial"])
    assert (c["status"], c["profile"], c["member_id"], c["ca"], c["subject"], c["key"],
            c["fingerprint_sha256"]) == (st, profile, member, ca, subject, key, fp)
    assert c["uris"] == uris.split(" ")
    assert c["revocation_reason"] == (None if reason == "-" else reason)
    assert c["renewed_from"] == (None if renewed == "-" else renewed)
    for k in ("not_before", "not_after", "created_at"):
        assert RFC3339.match(c[k]), (k, c[k])
    assert c["revoked_at"] is None if st == "valid" else RFC3339.match(c["revoked_at"])


def test_certificate_json(cluster, admin, community):
    m, uris = community.member(kinds=("client",))
    r = community.issue(admin, m["id"], "udap-client", ec_key(), uris["client"])
    assert r.status_code == 201, r.text
    issued = r.json()
    check_cert(cluster, issued, CERT_KEYS + PEM_KEYS)
    assert issued["status"] == "valid" and issued["renewed_by"] is None
    serial = issued["serial"]
    got = admin.get(f"/api/v1/certificates/{serial}").json()
    assert got == issued
    listed = admin.get(f"/api/v1/certificates?member_id={m['id']}").json()["items"]
    assert listed == [{k: issued[k] for k in CERT_KEYS}]
    # a renewal: renewed_from on the new one, renewed_by on the old one
    r = admin.post(f"/api/v1/certificates/{serial}/renew", json={"csr": csr_pem(ec_key())})
    assert r.status_code == 201, r.text
    new = r.json()
    check_cert(cluster, new, CERT_KEYS + PEM_KEYS)
    assert new["renewed_from"] == serial and new["uris"] == issued["uris"]
    assert new["profile"] == issued["profile"] and new["member_id"] == issued["member_id"]
    old = admin.get(f"/api/v1/certificates/{serial}").json()
    assert old["renewed_by"] == new["serial"]
    # revoked: reason and time
    r = admin.post(f"/api/v1/certificates/{new['serial']}/revoke",
                   json={"reason": "superseded"})
    assert r.status_code == 200, r.text
    check_cert(cluster, r.json(), CERT_KEYS)
    assert r.json()["status"] == "revoked" and r.json()["revocation_reason"] == "superseded"
    cluster.psql(f"UPDATE certificates SET not_after = now() - interval '1 day', "
                 f"not_before = now() - interval '2 days' WHERE serial = '{serial}'")
    assert admin.get(f"/api/v1/certificates/{serial}").json()["status"] == "expired"

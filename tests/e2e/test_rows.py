"""Rows from one column list per resource (issue 9 item 4): the code that
turns a row into JSON reads columns by name, never by position, and the
JSON of each resource is pinned here (keys, types, values checked against
the database), so that moving a resource onto its column list changes no
answer."""
import json
import pathlib
import re
import time

import requests

from pki_util import csr_pem, ec_key, uniq

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


# JSON built from a column at a literal position, anywhere in src/; files not
# yet on their column list are named here (this set only shrinks)
JSON_CALL = re.compile(r"json_(?:pack|object_set_new|string|array_append_new)\(")
NOT_YET = {"src/sandbox/store.c"}


def json_from_positions(text):
    for m in JSON_CALL.finditer(text):
        call = text[m.start():text.find(";", m.start())]
        if POSITION.search(call):
            yield call.splitlines()[0].strip()


def test_no_json_from_column_positions():
    found = [f"{f.relative_to(ROOT)}: {c}" for f in sorted((ROOT / "src").rglob("*.c"))
             if str(f.relative_to(ROOT)) not in NOT_YET
             for c in json_from_positions(f.read_text())]
    assert not found, "JSON from columns by position:\n" + "\n".join(found)
    still = [f for f in NOT_YET if list(json_from_positions((ROOT / f).read_text()))]
    assert sorted(still) == sorted(NOT_YET), "moved: take them out of NOT_YET"


def test_the_position_check_catches_a_position():
    assert list(json_from_positions('x = json_pack("{s:s}",\n "id", PQgetvalue(res, i, 3));'))
    assert POSITION.search("snprintf(p, n, \"%s\", PQgetvalue(old, 0, 2));")
    assert not POSITION.search("PQgetvalue(old, 0, CERT_COL_PROFILE)")


CERT_KEYS = ["serial", "status", "profile", "member_id", "ca", "subject", "uris", "key",
             "key_origin", "not_before", "not_after", "fingerprint_sha256", "revocation_reason",
             "revoked_at", "renewed_from", "created_at", "renewed_by"]
PEM_KEYS = ["certificate_pem", "chain_pem", "x5c"]


def db_cert(cluster, serial):
    row = cluster.psql(
        "SELECT status, profile, member_id, ca_id, subject, array_to_string(uris, ' '), "
        "key_description, fingerprint_sha256, coalesce(revocation_reason, '-'), "
        "coalesce(renewed_from, '-'), key_origin FROM certificates WHERE serial = '%s'" % serial)
    return row.split("|")


def check_cert(cluster, c, keys):
    assert list(c) == keys
    st, profile, member, ca, subject, uris, key, fp, reason, renewed, origin = \
        db_cert(cluster, c["serial"])
    assert (c["status"], c["profile"], c["member_id"], c["ca"], c["subject"], c["key"],
            c["key_origin"], c["fingerprint_sha256"]) == \
        (st, profile, member, ca, subject, key, origin, fp)
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


MEMBER_KEYS = ["id", "name", "organization_id", "npi", "contacts", "status", "notes",
               "created_at", "updated_at"]
URI_KEYS = ["id", "member_id", "uri", "kind", "status", "created_at", "approved_at"]


def check_member(cluster, m):
    assert list(m) == MEMBER_KEYS
    name, org, npi, contacts, status, notes = cluster.psql(
        "SELECT name, organization_id, coalesce(npi, '-'), contacts::text, status, notes "
        f"FROM members WHERE id = {m['id']}").split("|")
    assert (m["name"], m["organization_id"], m["status"], m["notes"]) == (name, org, status, notes)
    assert m["npi"] == (None if npi == "-" else npi)
    assert m["contacts"] == json.loads(contacts)
    assert RFC3339.match(m["created_at"]) and RFC3339.match(m["updated_at"])


def test_member_json(cluster, admin, community):
    org = f"https://{uniq('rows')}.example/"
    r = admin.post("/api/v1/members", json={"name": "Rows Health", "organization_id": org})
    assert r.status_code == 201, r.text
    check_member(cluster, r.json())
    assert r.json()["npi"] is None and r.json()["contacts"] == [] and r.json()["notes"] == ""
    mid = r.json()["id"]
    contacts = [{"name": "Ann", "email": "ann@example.org"}]
    r = admin.patch(f"/api/v1/members/{mid}", json={"npi": "1234567893", "contacts": contacts,
                                                     "notes": "two\nlines"})
    assert r.status_code == 200, r.text
    check_member(cluster, r.json())
    assert r.json()["npi"] == "1234567893" and r.json()["notes"] == "two\nlines"
    assert r.json()["contacts"][0]["email"] == "ann@example.org"
    assert admin.get(f"/api/v1/members/{mid}").json() == r.json()
    listed = admin.get("/api/v1/members", params={"q": org}).json()["items"]
    assert listed == [r.json()]
    r = admin.post(f"/api/v1/members/{mid}/activate")
    check_member(cluster, r.json())
    assert r.json()["status"] == "active"


def check_uri(cluster, u, keys=URI_KEYS):
    assert list(u) == keys
    member, uri, kind, status, approved = cluster.psql(
        "SELECT member_id, uri, kind, status, approved_at IS NOT NULL "
        f"FROM member_uris WHERE id = {u['id']}").split("|")
    assert (u["member_id"], u["uri"], u["kind"], u["status"]) == (member, uri, kind, status)
    assert RFC3339.match(u["created_at"])
    assert RFC3339.match(u["approved_at"]) if approved == "t" else u["approved_at"] is None


def test_member_uri_json(cluster, server, admin, community):
    m, _ = community.member(kinds=())
    host = uniq("rowsuri")
    first = community.add_uri(m["id"], f"https://{host}.example.org/app", "client")
    check_uri(cluster, first, URI_KEYS + ["lookalikes"])
    assert first["lookalikes"] == []
    r = admin.post(f"/api/v1/members/{m['id']}/uris",
                   json={"uri": f"https://{host.upper()}.example.org/app", "kind": "client",
                         "confirm_lookalike": True})
    assert r.status_code == 201, r.text
    check_uri(cluster, r.json(), URI_KEYS + ["lookalikes"])
    assert r.json()["lookalikes"] == [{"id": first["id"], "uri": first["uri"],
                                       "member_id": m["id"], "kind": "client",
                                       "status": "approved", "member_name": m["name"]}]
    listed = admin.get(f"/api/v1/members/{m['id']}/uris").json()["items"]
    assert [u["id"] for u in listed] == [first["id"], r.json()["id"]]
    for u in listed:
        check_uri(cluster, u)
    # a member user's proposal: pending, no approved_at; with its member in /uris
    mu = community.member_user(m["id"])
    r = mu.post(f"/api/v1/members/{m['id']}/uris",
                json={"uri": f"https://{host}.example.org/other", "kind": "server"})
    assert r.status_code == 201, r.text
    check_uri(cluster, r.json(), URI_KEYS + ["lookalikes"])
    assert r.json()["status"] == "pending" and r.json()["approved_at"] is None
    pending = [u for u in admin.get("/api/v1/uris", params={"status": "pending", "limit": 200})
               .json()["items"] if u["id"] == r.json()["id"]]
    assert len(pending) == 1
    check_uri(cluster, pending[0], URI_KEYS + ["member_name", "member_status"])
    assert (pending[0]["member_name"], pending[0]["member_status"]) == (m["name"], "active")


USER_KEYS = ["id", "username", "role", "member_id", "disabled", "must_change_password",
             "created_at", "updated_at"]
TOKEN_KEYS = ["id", "name", "user_id", "username", "created_at", "expires_at",
              "last_used_at", "revoked_at"]


def check_user(cluster, u):
    assert list(u) == USER_KEYS
    name, role, member, disabled, must = cluster.psql(
        f"SELECT username, role, coalesce(member_id::text, '-'), disabled, must_change_password "
        f"FROM users WHERE id = {u['id']}").split("|")
    assert u["must_change_password"] is (must == "t")
    assert (u["username"], u["role"]) == (name, role)
    assert u["member_id"] == (None if member == "-" else member)
    assert u["disabled"] is (disabled == "t")
    assert RFC3339.match(u["created_at"]) and RFC3339.match(u["updated_at"])


def test_user_json(server, cluster, admin, community):
    name = uniq("rowsop")
    r = admin.post("/api/v1/users", json={"username": name, "role": "operator",
                                          "password": "correct horse battery staple"})
    assert r.status_code == 201, r.text
    check_user(cluster, r.json())
    uid = r.json()["id"]
    assert r.json()["member_id"] is None and r.json()["disabled"] is False
    # the session answer carries the same user
    s = requests.post(server.admin + "/api/v1/session",
                      json={"username": name, "password": "correct horse battery staple"})
    assert s.status_code == 200, s.text
    assert s.json()["user"] == r.json()
    r = admin.patch(f"/api/v1/users/{uid}", json={"disabled": True})
    assert r.status_code == 200, r.text
    check_user(cluster, r.json())
    assert r.json()["disabled"] is True
    assert admin.get(f"/api/v1/users/{uid}").json() == r.json()
    m, _ = community.member(kinds=())
    mu = community.member_user(m["id"])
    users = admin.get(f"/api/v1/members/{m['id']}/users").json()["items"]
    assert len(users) == 1 and users[0]["member_id"] == m["id"]
    check_user(cluster, users[0])
    me = mu.get("/api/v1/me").json()
    assert me["member_id"] == m["id"]

def check_token(cluster, t):
    assert list(t) == TOKEN_KEYS
    name, user, username, used, revoked = cluster.psql(
        "SELECT t.name, t.user_id, u.username, t.last_used_at IS NOT NULL, "
        f"t.revoked_at IS NOT NULL FROM api_tokens t JOIN users u ON u.id = t.user_id "
        f"WHERE t.id = {t['id']}").split("|")
    assert (t["name"], t["user_id"], t["username"]) == (name, user, username)
    for k in ("created_at", "expires_at"):
        assert RFC3339.match(t[k])
    assert RFC3339.match(t["last_used_at"]) if used == "t" else t["last_used_at"] is None
    assert RFC3339.match(t["revoked_at"]) if revoked == "t" else t["revoked_at"] is None


def test_token_json(server, cluster, admin):
    name = uniq("rowstok")
    r = admin.post("/api/v1/users", json={"username": name, "role": "auditor"})
    assert r.status_code == 201, r.text
    uid = r.json()["id"]
    r = admin.post("/api/v1/tokens", json={"name": "rows", "user_id": uid, "days": 5})
    assert r.status_code == 201, r.text
    tid, secret = r.json()["id"], r.json()["token"]
    listed = admin.get("/api/v1/tokens", params={"user_id": uid}).json()["items"]
    assert [t["id"] for t in listed] == [tid]
    check_token(cluster, listed[0])
    assert listed[0]["last_used_at"] is None and listed[0]["revoked_at"] is None
    assert requests.get(server.admin + "/api/v1/me",
                        headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    assert admin.delete(f"/api/v1/tokens/{tid}").status_code in (200, 204)
    t = admin.get("/api/v1/tokens", params={"user_id": uid}).json()["items"][0]
    check_token(cluster, t)
    assert t["revoked_at"] is not None and t["last_used_at"] is not None


INVITATION_KEYS = ["id", "member_id", "username", "email", "created_at", "expires_at",
                   "accepted_at", "accepted_user_id", "status"]


def check_invitation(cluster, i):
    assert list(i) == INVITATION_KEYS
    member, username, email, user = cluster.psql(
        "SELECT member_id, username, coalesce(email, '-'), coalesce(accepted_user_id::text, '-') "
        f"FROM invitations WHERE id = {i['id']}").split("|")
    assert (i["member_id"], i["username"]) == (member, username)
    assert i["email"] == (None if email == "-" else email)
    assert i["accepted_user_id"] == (None if user == "-" else user)
    assert RFC3339.match(i["created_at"]) and RFC3339.match(i["expires_at"])
    assert RFC3339.match(i["accepted_at"]) if user != "-" else i["accepted_at"] is None


def test_invitation_json(server, cluster, admin, community):
    m, _ = community.member(kinds=())
    name = uniq("rowsinv")
    r = admin.post(f"/api/v1/members/{m['id']}/invitations",
                   json={"username": name, "email": "inv@example.org"})
    assert r.status_code == 201, r.text
    body = r.json()
    assert list(body) == INVITATION_KEYS + ["token", "accept_url_path"]
    check_invitation(cluster, {k: body[k] for k in INVITATION_KEYS})
    token = body["token"]
    listed = admin.get(f"/api/v1/members/{m['id']}/invitations").json()["items"]
    assert len(listed) == 1
    check_invitation(cluster, listed[0])
    assert listed[0]["status"] == "pending" and listed[0]["email"] == "inv@example.org"
    r = requests.post(server.admin + "/api/v1/invitations/accept",
                      json={"token": token, "password": "correct horse battery staple"})
    assert r.status_code == 201, r.text
    uid = cluster.psql(f"SELECT id FROM users WHERE username = '{name}'")
    assert r.json() == {"user": {"id": uid, "username": name, "role": "member",
                                 "member_id": m["id"]}}
    i = admin.get(f"/api/v1/members/{m['id']}/invitations").json()["items"][0]
    check_invitation(cluster, i)
    assert i["status"] == "accepted" and i["accepted_user_id"] == uid
    r = admin.post(f"/api/v1/members/{m['id']}/invitations", json={"username": uniq("rowsx")})
    cluster.psql(f"UPDATE invitations SET created_at = now() - interval '2 days', "
                 f"expires_at = now() - interval '1 day' WHERE id = {r.json()['id']}")
    i = admin.get(f"/api/v1/members/{m['id']}/invitations").json()["items"][0]
    check_invitation(cluster, i)
    assert i["status"] == "expired" and i["email"] is None


EVENT_KEYS = ["id", "at", "actor", "actor_user_id", "actor_token_id", "source_ip", "action",
              "object_type", "object_id", "details", "sealed", "object"]
RFC3339_US = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")


def check_event(cluster, e):
    assert list(e) == EVENT_KEYS
    row = cluster.psql(
        "SELECT actor, coalesce(actor_user_id::text, '-'), coalesce(actor_token_id::text, '-'), "
        "source_ip, action, object_type, object_id, details::text, chain_seq IS NOT NULL "
        f"FROM audit_events WHERE id = {e['id']}").split("|")
    actor, uid, tid, ip, action, otype, oid, details, sealed = row
    assert (e["actor"], e["source_ip"], e["action"], e["object_type"], e["object_id"]) == \
        (actor, ip, action, otype, oid)
    assert e["actor_user_id"] == (None if uid == "-" else uid)
    assert e["actor_token_id"] == (None if tid == "-" else tid)
    assert e["details"] == json.loads(details)
    assert e["sealed"] is False or sealed == "t"  # the sealer may seal it since
    assert RFC3339_US.match(e["at"])


def test_audit_event_json(server, cluster, admin, community):
    m, uris = community.member(kinds=("client",))
    r = community.issue(admin, m["id"], "udap-client", ec_key(), uris["client"])
    assert r.status_code == 201, r.text
    cert = r.json()
    events = admin.get("/api/v1/audit", params={"limit": 200}).json()["items"]
    by = {}
    for e in events:
        check_event(cluster, e)
        by.setdefault((e["object_type"], e["object_id"]), []).append(e)
    member = by[("member", m["id"])][0]
    assert member["object"] == {"name": m["name"], "member_id": m["id"]}
    assert member["actor_user_id"] is not None and member["actor_token_id"] is not None
    c = by[("certificate", cert["serial"])][0]
    assert c["object"] == {"member_id": m["id"], "member_name": m["name"],
                           "subject": cert["subject"]}
    uri = [e for e in events if e["object_type"] == "member_uri"
           and e["details"].get("member_id") == m["id"]][0]
    assert uri["object"] == {"member_id": m["id"], "member_name": m["name"]}
    assert any(e["object"] == {} for e in events)
    # the chain head
    for _ in range(100):  # the sealer runs every second or so
        v = admin.get("/api/v1/audit/verify").json()
        if v["head"] is not None:
            break
        time.sleep(0.1)
    assert RFC3339.match(v["verified_at"]) and v["intact"] is True
    assert list(v["head"]) == ["chain_seq", "hash", "event_id", "at"]
    seq, h, at = cluster.psql(
        "SELECT chain_seq, encode(hash, 'hex'), "
        "to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') "
        f"FROM audit_events WHERE id = {v['head']['event_id']}").split("|")
    assert (v["head"]["chain_seq"], v["head"]["hash"], v["head"]["at"]) == (int(seq), h, at)


CA_PUBLIC_KEYS = ["id", "kind", "subject", "fingerprint_sha256", "not_before", "not_after",
                  "certificate_url", "crl_url"]
CRL_KEYS = ["crl_number", "this_update", "next_update"]
CA_STAFF_KEYS = CA_PUBLIC_KEYS + ["issues_members", "key_store", "key_uri", "crl_warning"] + \
    CRL_KEYS


def test_ca_json_is_written_in_one_place():
    """anchors.json and GET /api/v1/cas show a CA by one function (the
    sandbox's test CAs are another thing, with their own JSON)."""
    files = sorted(str(f.relative_to(ROOT)) for f in (ROOT / "src").rglob("*.c")
                   if '"certificate_url"' in f.read_text() and "sandbox" not in f.parts)
    assert files == ["src/ca/ca_view.c"]


def test_ca_json(server, cluster, admin):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    cas = admin.get("/api/v1/cas").json()["items"]
    anchors = requests.get(server.public + "/anchors.json").json()["cas"]
    assert [c["id"] for c in cas] == [a["id"] for a in anchors] and cas
    for c, a in zip(cas, anchors):
        assert list(c) == CA_STAFF_KEYS
        assert list(a) == CA_PUBLIC_KEYS + (CRL_KEYS if c["crl_number"] is not None else [])
        assert a == {k: c[k] for k in a}
        cert = x509.load_der_x509_certificate(requests.get(c["certificate_url"]).content)
        assert c["fingerprint_sha256"] == cert.fingerprint(hashes.SHA256()).hex()
        assert c["not_before"] == cert.not_valid_before.strftime("%Y-%m-%dT%H:%M:%SZ")
        assert c["not_after"] == cert.not_valid_after.strftime("%Y-%m-%dT%H:%M:%SZ")
        kind, store, members = cluster.psql(
            f"SELECT kind, key_store, issues_members FROM cas WHERE id = '{c['id']}'").split("|")
        assert (c["kind"], c["key_store"], c["issues_members"]) == (kind, store, members == "t")
        assert c["crl_url"] == f"{server.public}/crl/{c['id']}.crl"
        assert c["certificate_url"] == f"{server.public}/ca/{c['id']}.crt"
        if c["crl_number"] is not None:
            crl = x509.load_der_x509_crl(requests.get(c["crl_url"]).content)
            assert c["this_update"] == crl.last_update.strftime("%Y-%m-%dT%H:%M:%SZ")
            assert c["next_update"] == crl.next_update.strftime("%Y-%m-%dT%H:%M:%SZ")


HOOK_KEYS = ["id", "url", "events", "created_at", "pending", "dead"]
NOTICE_KEYS = ["id", "channel", "webhook_id", "event", "status", "attempts", "last_error",
               "created_at", "next_attempt_at", "payload", "log"]


def test_webhook_and_notice_json(cluster, admin):
    url = f"http://127.0.0.1:9/{uniq('rowshook')}"
    r = admin.post("/api/v1/webhooks", json={"url": url, "events": ["crl.published"]})
    assert r.status_code == 201, r.text
    hook = r.json()
    assert list(hook)[:len(HOOK_KEYS)] == HOOK_KEYS
    assert (hook["url"], hook["events"], hook["pending"], hook["dead"]) == \
        (url, ["crl.published"], 0, 0)
    assert RFC3339.match(hook["created_at"])
    listed = [h for h in admin.get("/api/v1/webhooks").json()["items"] if h["id"] == hook["id"]]
    assert listed == [{k: hook[k] for k in HOOK_KEYS}]
    now = admin.post("/api/v1/cas/issuing/crl")
    assert now.status_code == 200, now.text
    assert list(now.json()) == CA_STAFF_KEYS  # the CA as GET /api/v1/cas shows it
    items = admin.get(f"/api/v1/webhooks/{hook['id']}/deliveries").json()["items"]
    assert items, "the CRL's notice"
    n = items[0]
    assert list(n) == NOTICE_KEYS
    channel, wid, event, attempts, payload = cluster.psql(
        "SELECT channel, webhook_id, event, attempts, payload::text FROM outbox "
        f"WHERE id = {n['id']}").split("|")
    assert (n["channel"], n["webhook_id"], n["event"]) == (channel, wid, event) == \
        ("webhook", hook["id"], "crl.published")
    assert isinstance(n["attempts"], int) and n["attempts"] <= int(attempts)
    assert n["payload"] == json.loads(payload) and isinstance(n["log"], list)
    assert isinstance(n["last_error"], str)
    assert RFC3339.match(n["created_at"]) and RFC3339.match(n["next_attempt_at"])
    for a in n["log"]:
        assert list(a) == ["at", "ok", "http_status", "error", "duration_ms"]
    listed = admin.get("/api/v1/notifications", params={"channel": "webhook"}).json()["items"]
    assert [x["id"] for x in listed if x["id"] == n["id"]] == [n["id"]]
    mine = [x for x in listed if x["id"] == n["id"]][0]
    assert list(mine) == NOTICE_KEYS and mine["webhook_id"] == hook["id"]


SIG_KEYS = ["id", "ca", "kind", "serial", "crl_number", "tbs_sha256", "requested_by", "state",
            "reason", "signed_sha256", "reserved_at", "decided_at", "certificate_serial"]


def test_signature_json(cluster, admin, community):
    m, uris = community.member(kinds=("client",))
    r = community.issue(admin, m["id"], "udap-client", ec_key(), uris["client"])
    assert r.status_code == 201, r.text
    serial = r.json()["serial"]
    items = admin.get("/api/v1/cas/issuing/signatures", params={"limit": 200}).json()["items"]
    kinds = set()
    for s in items:
        assert list(s) == SIG_KEYS
        row = cluster.psql(
            "SELECT kind, coalesce(serial, '-'), coalesce(crl_number::text, '-'), "
            "coalesce(tbs_sha256, '-'), requested_by, state, coalesce(reason, '-'), "
            "coalesce(signed_sha256, '-'), decided_at IS NOT NULL, "
            "coalesce((SELECT c.serial FROM certificates c WHERE c.signature_id = s.id), '-') "
            f"FROM signatures s WHERE id = {s['id']}").split("|")
        kind, ser, number, tbs, by, state, reason, signed, decided, cert = row
        null = lambda v: None if v == "-" else v
        assert (s["ca"], s["kind"], s["requested_by"]) == ("issuing", kind, by)
        assert (s["serial"], s["tbs_sha256"], s["reason"], s["signed_sha256"],
                s["certificate_serial"]) == (null(ser), null(tbs), null(reason), null(signed),
                                             null(cert))
        assert s["crl_number"] == (None if number == "-" else int(number))
        assert RFC3339_US.match(s["reserved_at"])
        assert RFC3339_US.match(s["decided_at"]) if decided == "t" else s["decided_at"] is None
        kinds.add(kind)
    mine = [s for s in items if s["serial"] == serial]
    assert len(mine) == 1 and mine[0]["certificate_serial"] == serial
    assert mine[0]["state"] == "issued"

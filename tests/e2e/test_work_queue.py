"""The staff's work queue (issue 14 §3): GET /api/v1/attention and
GET /api/v1/uris. Each kind of work appears while it waits and leaves when it
is done; what only looks like work (a renewed certificate, an invitation with
a week left) stays out; bad input is named by field."""
import datetime

from cryptography.hazmat.primitives.asymmetric import ec

from harness import problem
from pki_util import csr_pem
from test_members import PASSWORD, make_user, new_member, uniq  # noqa: F401


def attention(who, **q):
    r = who.get("/api/v1/attention", params={"limit": 200, **q})
    assert r.status_code == 200, r.text
    body = r.json()
    for name, sec in body.items():
        if name != "total":
            assert sec["count"] >= len(sec["items"]), name
    assert body["total"] == sum(s["count"] for n, s in body.items() if n != "total")
    return body


def ids(body, section, key="id"):
    return {x[key] for x in body[section]["items"]}


def when(s):
    return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)


def issue(op, member_id, uri):
    r = op.post("/api/v1/certificates", {
        "member_id": member_id, "profile": "udap-client", "uris": [uri],
        "csr": csr_pem(ec.generate_private_key(ec.SECP256R1()))})
    assert r.status_code == 201, r.text
    return r.json()


def test_work_appears_while_it_waits_and_leaves_when_done(server, cluster):
    op, adm = make_user(server, "operator"), make_user(server, "admin")
    aud = make_user(server, "auditor")
    # a pending member
    waiting = new_member(op)
    assert waiting["id"] in ids(attention(op), "pending_members")
    # an active member whose user proposes a URI
    m = new_member(op)
    assert op.post(f"/api/v1/members/{m['id']}/activate").status_code == 200
    mu = make_user(server, "member", member=m["id"])
    uri = f"https://{uniq('app')}.example/fhir"
    p = mu.post(f"/api/v1/members/{m['id']}/uris", {"uri": uri, "kind": "client"})
    assert p.status_code == 201 and p.json()["status"] == "pending", p.text
    body = attention(aud)
    row = next(x for x in body["pending_uris"]["items"] if x["id"] == p.json()["id"])
    assert row["member_name"] == m["name"] and row["uri"] == uri and row["member_id"] == m["id"]
    listed = op.get("/api/v1/uris", params={"limit": 200}).json()["items"]
    assert any(x["id"] == p.json()["id"] and x["member_name"] == m["name"] for x in listed)
    assert all(x["status"] == "pending" for x in listed)
    # approving it and activating the member take both off the queue
    assert op.post(f"/api/v1/members/{m['id']}/uris/{p.json()['id']}/approve").status_code == 200
    assert op.post(f"/api/v1/members/{waiting['id']}/activate").status_code == 200
    body = attention(op)
    assert p.json()["id"] not in ids(body, "pending_uris")
    assert waiting["id"] not in ids(body, "pending_members")
    approved = op.get("/api/v1/uris", params={"status": "approved", "limit": 200}).json()["items"]
    assert p.json()["id"] in {x["id"] for x in approved}

    # invitations: one lapsing tomorrow is work, one with a week left is not
    soon = op.post(f"/api/v1/members/{m['id']}/invitations", {"username": uniq("inv")})
    later = op.post(f"/api/v1/members/{m['id']}/invitations", {"username": uniq("inv")})
    assert soon.status_code == 201 and later.status_code == 201, soon.text
    cluster.psql(f"UPDATE invitations SET expires_at = now() + interval '1 day' WHERE id = {soon.json()['id']}")
    cluster.psql(f"UPDATE invitations SET expires_at = now() + interval '7 days' WHERE id = {later.json()['id']}")
    body = attention(op)
    assert soon.json()["id"] in ids(body, "invitations_lapsing")
    assert later.json()["id"] not in ids(body, "invitations_lapsing")

    # certificates: expiring in 10 days without a successor is work; renewed, not
    forgotten, renewed, far = (issue(op, m["id"], uri) for _ in range(3))
    cluster.psql("UPDATE certificates SET not_after = now() + interval '10 days' "
                 f"WHERE serial IN ('{forgotten['serial']}', '{renewed['serial']}')")
    cluster.psql(f"UPDATE certificates SET not_after = now() + interval '60 days' WHERE serial = '{far['serial']}'")
    body = attention(op)
    assert {forgotten["serial"], renewed["serial"]} <= ids(body, "certificates_expiring", "serial")
    row = next(x for x in body["certificates_expiring"]["items"] if x["serial"] == forgotten["serial"])
    assert row["member_name"] == m["name"] and row["profile"] == "udap-client"
    r = op.post(f"/api/v1/certificates/{renewed['serial']}/renew",
                {"csr": csr_pem(ec.generate_private_key(ec.SECP256R1()))})
    assert r.status_code == 201, r.text
    expiring = ids(attention(op), "certificates_expiring", "serial")
    assert forgotten["serial"] in expiring
    assert renewed["serial"] not in expiring and far["serial"] not in expiring
    assert r.json()["serial"] not in expiring
    # a revoked successor is no successor: the original is work again
    assert op.post(f"/api/v1/certificates/{r.json()['serial']}/revoke",
                   {"reason": "superseded"}).status_code == 200
    assert renewed["serial"] in ids(attention(op), "certificates_expiring", "serial")

    # dead notifications: for admins only, like GET /api/v1/notifications
    assert "dead_notifications" in attention(adm)
    assert "dead_notifications" not in attention(op)
    assert "dead_notifications" not in attention(aud)


def test_crl_and_ca_rows_are_true(server):
    """Every CRL listed is past 75% of its period, every CA listed ends
    within 90 days, checked against GET /api/v1/cas."""
    op = make_user(server, "operator")
    body = attention(op)
    now = datetime.datetime.now(datetime.timezone.utc)
    for row in body["crls_due"]["items"]:
        this, nxt = when(row["this_update"]), when(row["next_update"])
        assert now >= this + (nxt - this) * 0.75, row
    cas = {c["id"]: c for c in op.get("/api/v1/cas").json()["items"]}
    for row in body["cas_expiring"]["items"]:
        assert row["id"] in cas
        assert when(row["not_after"]) <= now + datetime.timedelta(days=90, minutes=1)


def test_bad_input_is_named(server):
    op = make_user(server, "operator")
    for bad in ("0", "201", "x", "-1"):
        assert problem(op.get("/api/v1/attention", params={"limit": bad}), 400)["field"] == "limit"
        assert problem(op.get("/api/v1/uris", params={"limit": bad}), 400)["field"] == "limit"
    assert problem(op.get("/api/v1/uris", params={"status": "bogus"}), 400)["field"] == "status"
    assert problem(op.get("/api/v1/uris", params={"cursor": "abc"}), 400)["field"] == "cursor"
    m = new_member(op)
    assert op.post(f"/api/v1/members/{m['id']}/activate").status_code == 200
    mu = make_user(server, "member", member=m["id"])
    problem(mu.get("/api/v1/attention"), 403)
    problem(mu.get("/api/v1/uris"), 403)


def test_suspend_and_terminate_record_a_reason(server, cluster):
    """Issue 14 §6: suspend and terminate take an optional reason, recorded
    in the audit event; a bad reason is named and changes nothing."""
    op = make_user(server, "operator")
    m = new_member(op)
    assert op.post(f"/api/v1/members/{m['id']}/activate").status_code == 200
    for bad in ({"reason": 5}, {"reason": "x" * 1001}, {"why": "typo"}):
        r = op.post(f"/api/v1/members/{m['id']}/terminate", bad)
        assert problem(r, 400)["field"] in ("reason", "why"), r.text
    assert op.get(f"/api/v1/members/{m['id']}").json()["status"] == "active"
    r = op.post(f"/api/v1/members/{m['id']}/suspend", {"reason": "unpaid dues, ticket 42"})
    assert r.status_code == 200 and r.json()["status"] == "suspended", r.text
    r = op.post(f"/api/v1/members/{m['id']}/reinstate")
    assert r.status_code == 200, r.text
    r = op.post(f"/api/v1/members/{m['id']}/terminate", {"reason": "left the community\nby letter"})
    assert r.status_code == 200 and r.json()["status"] == "terminated", r.text
    rows = cluster.psql("SELECT action || '|' || coalesce(details->>'reason', '-') FROM audit_events "
                        f"WHERE object_type = 'member' AND object_id = '{m['id']}' "
                        "AND action IN ('member.suspend', 'member.reinstate', 'member.terminate') ORDER BY id")
    assert rows.split("\n") == ["member.suspend|unpaid dues, ticket 42", "member.reinstate|-",
                                "member.terminate|left the community", "by letter"]
    # without a body, as before: no reason
    m2 = new_member(op)
    assert op.post(f"/api/v1/members/{m2['id']}/terminate").status_code == 200
    assert cluster.psql("SELECT count(*) FROM audit_events WHERE action = 'member.terminate' "
                        f"AND object_id = '{m2['id']}' AND NOT details ? 'reason'") == "1"

"""Invitations can be revoked and resent (issue 14 §10): each audited in its
transaction; a revoked token no longer works; resending gives a new token (the
old one stops working), a new expiry, and an e-mail notice via the outbox when
the invitation has an address; accepted ones can be neither."""
import requests

from harness import Unchanged, problem
from test_members import PASSWORD, audit_rows, invite, new_member, op, staff, uniq  # noqa: F401


def accept(server, token):
    return requests.post(server.admin + "/api/v1/invitations/accept",
                         json={"token": token, "password": PASSWORD})


def test_revoke(server, cluster, op):
    m = new_member(op)
    inv = invite(op, m["id"])
    base = f"/api/v1/members/{m['id']}/invitations/{inv['id']}"
    r = op.post(base + "/revoke")
    assert r.status_code == 200 and r.json()["status"] == "revoked", r.text
    assert [x[0] for x in audit_rows(cluster, "invitation", inv["id"])] == [
        "invitation.create", "invitation.revoke"]
    problem(accept(server, inv["token"]), 410, "invitation-revoked")
    other = new_member(op)
    with Unchanged(cluster):
        problem(op.post(base + "/revoke"), 410, "invitation-revoked")
        problem(op.post(base + "/resend"), 410, "invitation-revoked")
        problem(op.post(f"/api/v1/members/{m['id']}/invitations/999999/revoke"), 404,
                "invitation-not-found")
        problem(op.post(f"/api/v1/members/{other['id']}/invitations/{inv['id']}/revoke"), 404,
                "invitation-not-found")
    listed = op.get(f"/api/v1/members/{m['id']}/invitations").json()["items"]
    assert [(i["id"], i["status"]) for i in listed] == [(inv["id"], "revoked")]


def test_resend_gives_a_new_token_and_tells_the_invitee(server, cluster, op):
    m = new_member(op, name="Resend Care " + uniq(""))
    inv = invite(op, m["id"], email="invitee@example.org", days=1)
    base = f"/api/v1/members/{m['id']}/invitations/{inv['id']}"
    before = int(cluster.psql("SELECT count(*) FROM outbox WHERE event = 'invitation.resent'"))
    r = op.post(base + "/resend", {"days": 10})
    assert r.status_code == 200, r.text
    new = r.json()
    assert new["token"] != inv["token"] and new["accept_url_path"].endswith(new["token"])
    assert new["expires_at"] > inv["expires_at"] and new["status"] == "pending"
    assert r.headers["Cache-Control"] == "no-store"
    assert [x[0] for x in audit_rows(cluster, "invitation", inv["id"])] == [
        "invitation.create", "invitation.resend"]
    rows = cluster.psql("SELECT recipients::text || '|' || (payload->>'member') || '|' || "
                        "(payload->>'username') || '|' || payload::text FROM outbox "
                        "WHERE event = 'invitation.resent' ORDER BY id DESC LIMIT 1")
    assert int(cluster.psql("SELECT count(*) FROM outbox WHERE event = 'invitation.resent'")) == before + 1
    assert rows.startswith("{invitee@example.org}|" + m["name"] + "|" + inv["username"] + "|")
    assert new["token"] not in rows and "trinv_" not in rows   # the token is never stored
    problem(accept(server, inv["token"]), 404, "invitation-not-found")   # the old link
    assert accept(server, new["token"]).status_code == 201
    with Unchanged(cluster):
        problem(op.post(base + "/resend"), 410, "invitation-used")
        problem(op.post(base + "/revoke"), 410, "invitation-used")
        problem(op.post(base + "/resend", {"days": 99}), 400, "invalid-field")


def test_resend_without_address_queues_nothing(server, cluster, op):
    m = new_member(op)
    inv = invite(op, m["id"])
    before = int(cluster.psql("SELECT count(*) FROM outbox"))
    r = op.post(f"/api/v1/members/{m['id']}/invitations/{inv['id']}/resend")
    assert r.status_code == 200, r.text
    assert int(cluster.psql("SELECT count(*) FROM outbox")) == before

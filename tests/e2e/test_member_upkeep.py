"""Members can be maintained (issue 14 §10): contacts with name and role
through PATCH (audited, with the changed fields), and an invitation says what
one joins before a password is chosen (POST /api/v1/invitations/lookup: the
member's name and the username, for the token's holder; changes nothing)."""
import requests

from harness import Unchanged, problem
from test_members import PASSWORD, audit_rows, invite, new_member, op, staff, uniq  # noqa: F401


def test_contacts_keep_name_and_role(cluster, op):
    m = new_member(op)
    contacts = [{"email": "ada@example.org", "name": "Ada Lovelace", "role": "security officer"},
                {"email": "ops@example.org", "role": "operations"}]
    r = op.patch(f"/api/v1/members/{m['id']}", {"contacts": contacts, "notes": "two contacts"})
    assert r.status_code == 200, r.text
    assert r.json()["contacts"] == contacts
    assert op.get(f"/api/v1/members/{m['id']}").json()["contacts"] == contacts
    rows = audit_rows(cluster, "member", m["id"])
    assert rows[-1][0] == "member.update" and "contacts" in rows[-1][2] and "notes" in rows[-1][2]
    with Unchanged(cluster):
        p = problem(op.patch(f"/api/v1/members/{m['id']}",
                             {"contacts": [{"email": "a@example.org", "role": "x" * 129}]}),
                    400, "invalid-field")
        assert p["field"] == "contacts[0].role"
        p = problem(op.patch(f"/api/v1/members/{m['id']}",
                             {"contacts": [{"email": "a@example.org", "title": "boss"}]}),
                    400, "invalid-field")
        assert p["field"].startswith("contacts[0]")


def test_invitation_lookup_says_what_one_joins(server, cluster, op):
    m = new_member(op, name="Lookup Clinic " + uniq(""))
    inv = invite(op, m["id"])
    anon = requests.Session()
    url = server.admin + "/api/v1/invitations/lookup"
    with Unchanged(cluster):
        r = anon.post(url, json={"token": inv["token"]})
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["member_name"] == m["name"] and body["username"] == inv["username"]
        assert body["expires_at"] == inv["expires_at"]
        assert "token" not in body and "id" not in body
        problem(anon.post(url, json={"token": "not-a-token"}), 404, "invitation-not-found")
        problem(anon.post(url, json={}), 400, "invalid-field")
    r = anon.post(server.admin + "/api/v1/invitations/accept",
                  json={"token": inv["token"], "password": PASSWORD})
    assert r.status_code == 201, r.text
    problem(anon.post(url, json={"token": inv["token"]}), 410, "invitation-used")

"""Members and onboarding: members, their URIs, invitations, who sees what,
bad input named by field, and refused requests that change nothing."""
import datetime
import hashlib
import itertools
import os

import pytest
import requests

from harness import Unchanged, problem

PASSWORD = "correct horse battery staple"
_n = itertools.count()


def uniq(prefix):
    return f"{prefix}{os.getpid()}x{next(_n)}"


class Client:
    """The admin listener with a bearer token (or none)."""

    def __init__(self, base, token=None, username=None):
        self.base, self.username = base, username
        self.s = requests.Session()
        if token:
            self.s.headers["Authorization"] = f"Bearer {token}"

    def get(self, path, **kw):
        return self.s.get(self.base + path, **kw)

    def post(self, path, json=None, **kw):
        return self.s.post(self.base + path, json=json, **kw)

    def patch(self, path, json=None, **kw):
        return self.s.patch(self.base + path, json=json, **kw)

    def delete(self, path, **kw):
        return self.s.delete(self.base + path, **kw)


def make_user(server, role, member=None, name=None):
    name = name or uniq(role)
    args = ["user", "add", name, "--role", role, "--password-stdin"]
    if member:
        args += ["--member", member]
    r = server.cli(*args, input=PASSWORD + "\n")
    assert r.returncode == 0, r.stderr
    r = server.cli("token", "create", "--user", name)
    assert r.returncode == 0, r.stderr
    return Client(server.admin, r.stdout.strip(), name)


@pytest.fixture(scope="module")
def staff(server):
    return {role: make_user(server, role) for role in ("admin", "operator", "auditor")}


@pytest.fixture(scope="module")
def op(staff):
    return staff["operator"]


def new_member(op, **fields):
    body = {"name": uniq("Org "), "organization_id": f"https://{uniq('org')}.example/"}
    body.update(fields)
    r = op.post("/api/v1/members", body)
    assert r.status_code == 201, r.text
    return r.json()


def count(cluster, table, where="true"):
    return int(cluster.psql(f"SELECT count(*) FROM {table} WHERE {where}"))


def audit_rows(cluster, object_type, object_id):
    out = cluster.psql("SELECT action || '|' || actor || '|' || details::text "
                       f"FROM audit_events WHERE object_type = '{object_type}' "
                       f"AND object_id = '{object_id}' ORDER BY id")
    return [line.split("|", 2) for line in out.splitlines()]


# ---- members ----

def test_create_and_read_member(server, cluster, op, staff):
    org = f"https://{uniq('acme')}.example/org"
    r = op.post("/api/v1/members", {
        "name": "Acme Health", "organization_id": org, "npi": "1234567893",
        "contacts": [{"email": "ops@acme.example", "name": "Ops"}],
        "notes": "line one\nline two"})
    assert r.status_code == 201, r.text
    m = r.json()
    assert isinstance(m["id"], str) and m["id"].isdigit()
    assert m["name"] == "Acme Health" and m["organization_id"] == org
    assert m["status"] == "pending" and m["npi"] == "1234567893"
    assert m["contacts"] == [{"email": "ops@acme.example", "name": "Ops"}]
    assert m["notes"] == "line one\nline two"
    for t in ("created_at", "updated_at"):
        datetime.datetime.strptime(m[t], "%Y-%m-%dT%H:%M:%SZ")
    for who in (op, staff["admin"], staff["auditor"]):
        g = who.get(f"/api/v1/members/{m['id']}")
        assert g.status_code == 200 and g.json() == m
    rows = audit_rows(cluster, "member", m["id"])
    assert [r[0] for r in rows] == ["member.create"]
    assert rows[0][1] == op.username


def test_member_without_optional_fields(op):
    m = new_member(op)
    assert m["npi"] is None and m["contacts"] == [] and m["notes"] == ""


def test_duplicate_organization_id_is_409_and_changes_nothing(cluster, op):
    m = new_member(op)
    with Unchanged(cluster):
        r = op.post("/api/v1/members", {"name": "Other", "organization_id": m["organization_id"]})
        assert problem(r, 409)["field"] == "organization_id"


BAD_MEMBERS = [
    ({"organization_id": "https://x.example/"}, "name"),
    ({"name": "", "organization_id": "https://x.example/"}, "name"),
    ({"name": "x" * 257, "organization_id": "https://x.example/"}, "name"),
    # X.520 ub-organization-name: the legal name is the certificates' O
    ({"name": "\u00e9" * 65, "organization_id": "https://x.example/"}, "name"),
    ({"name": "bad\x01name", "organization_id": "https://x.example/"}, "name"),
    ({"name": "bad\nname", "organization_id": "https://x.example/"}, "name"),
    ({"name": 5, "organization_id": "https://x.example/"}, "name"),
    ({"name": "n"}, "organization_id"),
    ({"name": "n", "organization_id": "x.example/org"}, "organization_id"),
    # a fragment is allowed (issue 16: "namespace#value"), an empty or double one not
    ({"name": "n", "organization_id": "https://x.example/#"}, "organization_id"),
    ({"name": "n", "organization_id": "https://x.example/#a#b"}, "organization_id"),
    ({"name": "n", "organization_id": "https://x.example./"}, "organization_id"),
    ({"name": "n", "organization_id": "ftp://x.example/"}, "organization_id"),
    ({"name": "n", "organization_id": "https://x.example/a b"}, "organization_id"),
    ({"name": "n", "organization_id": "https://x.example/" + "a" * 2048}, "organization_id"),
    ({"name": "n", "organization_id": "https://x.example/", "npi": "1234567890"}, "npi"),
    ({"name": "n", "organization_id": "https://x.example/", "npi": "12345678"}, "npi"),
    ({"name": "n", "organization_id": "https://x.example/", "npi": "12345678ab"}, "npi"),
    ({"name": "n", "organization_id": "https://x.example/", "npi": 1234567893}, "npi"),
    ({"name": "n", "organization_id": "https://x.example/",
      "contacts": [{"email": "not-an-email"}]}, "contacts[0].email"),
    ({"name": "n", "organization_id": "https://x.example/",
      "contacts": [{"email": "a@b.org"}, {"email": "a b@c.org"}]}, "contacts[1].email"),
    ({"name": "n", "organization_id": "https://x.example/",
      "contacts": [{"name": "no mail"}]}, "contacts[0].email"),
    ({"name": "n", "organization_id": "https://x.example/",
      "contacts": [{"email": "a@b.org", "phone": "1"}]}, "contacts[0].phone"),
    ({"name": "n", "organization_id": "https://x.example/", "contacts": ["a@b.org"]},
     "contacts[0]"),
    ({"name": "n", "organization_id": "https://x.example/", "contacts": {}}, "contacts"),
    ({"name": "n", "organization_id": "https://x.example/",
      "contacts": [{"email": "a@b.org"}] * 21}, "contacts"),
    ({"name": "n", "organization_id": "https://x.example/", "notes": "x" * 4001}, "notes"),
    ({"name": "n", "organization_id": "https://x.example/", "notes": "a\x07b"}, "notes"),
    ({"name": "n", "organization_id": "https://x.example/", "status": "active"}, "status"),
]


@pytest.mark.parametrize("body,field", BAD_MEMBERS,
                         ids=[f"{i}-{f}" for i, (_, f) in enumerate(BAD_MEMBERS)])
def test_bad_member_input_names_the_field(cluster, op, body, field):
    with Unchanged(cluster):
        p = problem(op.post("/api/v1/members", body), 400, "invalid-field")
        assert p["field"] == field, p
        assert p["detail"]


def test_list_search_and_paginate(op, staff):
    tag = uniq("Zeta")
    made = [new_member(op, name=f"{tag} {i}") for i in range(5)]
    seen, cursor = [], None
    while True:
        q = {"q": tag.lower(), "limit": 2}
        if cursor:
            q["cursor"] = cursor
        r = op.get("/api/v1/members", params=q)
        assert r.status_code == 200, r.text
        page = r.json()
        assert len(page["items"]) <= 2
        seen += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            break
        assert isinstance(cursor, str)
    assert [m["id"] for m in seen] == [m["id"] for m in made]
    # by organization_id
    r = staff["auditor"].get("/api/v1/members", params={"q": made[2]["organization_id"]})
    assert [m["id"] for m in r.json()["items"]] == [made[2]["id"]]
    # by a URI
    uri = f"https://{uniq('search')}.example/fhir"
    assert op.post(f"/api/v1/members/{made[3]['id']}/uris",
                   {"uri": uri, "kind": "server"}).status_code == 201
    r = op.get("/api/v1/members", params={"q": uri})
    assert [m["id"] for m in r.json()["items"]] == [made[3]["id"]]
    # by status
    assert op.post(f"/api/v1/members/{made[1]['id']}/activate").status_code == 200
    r = op.get("/api/v1/members", params={"q": tag, "status": "active"})
    assert [m["id"] for m in r.json()["items"]] == [made[1]["id"]]
    r = op.get("/api/v1/members", params={"q": tag, "status": "pending", "limit": 200})
    assert len(r.json()["items"]) == 4
    # an empty q or status filters nothing; defaults: 50 at most
    r = op.get("/api/v1/members", params={"q": "", "status": ""})
    assert r.status_code == 200 and len(r.json()["items"]) <= 50


@pytest.mark.parametrize("params,field", [
    ({"limit": "0"}, "limit"), ({"limit": "201"}, "limit"), ({"limit": "x"}, "limit"),
    ({"cursor": "abc"}, "cursor"), ({"status": "gone"}, "status"),
    ({"q": "x" * 257}, "q"), ({"q": "a\x01b"}, "q"),
])
def test_bad_list_query_names_the_field(op, params, field):
    assert problem(op.get("/api/v1/members", params=params), 400)["field"] == field


def test_status_machine(cluster, op):
    m = new_member(op)
    base = f"/api/v1/members/{m['id']}"

    def act(action, status=200):
        r = op.post(f"{base}/{action}")
        assert r.status_code == status, r.text
        return r.json()

    for action in ("suspend", "reinstate"):
        p = act(action, 409)
        assert "pending" in p["detail"] and p["type"].endswith("invalid-status-transition")
    assert act("activate")["status"] == "active"
    assert "active" in act("activate", 409)["detail"]
    assert "active" in act("reinstate", 409)["detail"]
    assert act("suspend")["status"] == "suspended"
    assert "suspended" in act("suspend", 409)["detail"]
    assert "suspended" in act("activate", 409)["detail"]
    assert act("reinstate")["status"] == "active"
    assert act("suspend")["status"] == "suspended"
    t = act("terminate")
    assert t["status"] == "terminated" and t["updated_at"] >= m["updated_at"]
    with Unchanged(cluster):
        for action in ("activate", "suspend", "reinstate", "terminate"):
            assert "terminated" in act(action, 409)["detail"]
    rows = audit_rows(cluster, "member", m["id"])
    assert [r[0] for r in rows] == [
        "member.create", "member.activate", "member.suspend", "member.reinstate",
        "member.suspend", "member.terminate"]
    assert '"from": "suspended"' in rows[-1][2] and '"to": "terminated"' in rows[-1][2]
    # pending can be terminated directly
    m2 = new_member(op)
    assert op.post(f"/api/v1/members/{m2['id']}/terminate").json()["status"] == "terminated"


def test_unknown_member_is_404(op):
    for path in ("/api/v1/members/999999999", "/api/v1/members/abc",
                 "/api/v1/members/999999999/uris", "/api/v1/members/999999999/invitations"):
        problem(op.get(path), 404)
    problem(op.post("/api/v1/members/999999999/activate"), 404)
    problem(op.patch("/api/v1/members/999999999", {"name": "x"}), 404)
    problem(op.post("/api/v1/members/999999999/uris",
                    {"uri": "https://nobody.example/", "kind": "client"}), 404)
    problem(op.post("/api/v1/members/999999999/invitations", {"username": uniq("u")}), 404)


def test_patch_member(cluster, op, staff):
    m = new_member(op, npi="1234567893", notes="old")
    r = op.patch(f"/api/v1/members/{m['id']}", {
        "name": "Renamed", "npi": None, "contacts": [{"email": "new@x.example"}]})
    assert r.status_code == 200, r.text
    n = r.json()
    assert n["name"] == "Renamed" and n["npi"] is None and n["notes"] == "old"
    assert n["contacts"] == [{"email": "new@x.example"}]
    assert n["organization_id"] == m["organization_id"] and n["status"] == "pending"
    assert op.get(f"/api/v1/members/{m['id']}").json() == n
    rows = audit_rows(cluster, "member", m["id"])
    assert [r[0] for r in rows] == ["member.create", "member.update"]
    with Unchanged(cluster):
        for body, field in [({}, None), ({"status": "active"}, "status"),
                            ({"organization_id": "https://y.example/"}, "organization_id"),
                            ({"name": ""}, "name"), ({"name": None}, "name"),
                            ({"npi": "1234567890"}, "npi"),
                            ({"contacts": [{"email": "@x"}]}, "contacts[0].email")]:
            p = problem(op.patch(f"/api/v1/members/{m['id']}", body), 400)
            assert p.get("field") == field, (body, p)
        problem(staff["auditor"].patch(f"/api/v1/members/{m['id']}", {"name": "x"}), 403)


def test_auditor_reads_only(cluster, op, staff):
    aud = staff["auditor"]
    m = new_member(op)
    assert aud.get(f"/api/v1/members/{m['id']}/uris").status_code == 200
    assert aud.get(f"/api/v1/members/{m['id']}/invitations").status_code == 200
    with Unchanged(cluster):
        problem(aud.post("/api/v1/members", {"name": "n", "organization_id": "urn:x:y"}), 403)
        problem(aud.post(f"/api/v1/members/{m['id']}/activate"), 403)
        problem(aud.post(f"/api/v1/members/{m['id']}/uris",
                         {"uri": "https://aud.example/", "kind": "client"}), 403)
        problem(aud.post(f"/api/v1/members/{m['id']}/invitations", {"username": "x"}), 403)


def test_anonymous_gets_401(server):
    for path in ("/api/v1/members", "/api/v1/members/1", "/api/v1/members/1/uris"):
        problem(requests.get(server.admin + path), 401)


# ---- URIs ----

def test_uri_ownership_is_exclusive(server, cluster, op):
    a, b = new_member(op, name="Alpha " + uniq("")), new_member(op)
    uri = f"https://{uniq('app')}.example/client"
    r = op.post(f"/api/v1/members/{a['id']}/uris", {"uri": uri, "kind": "client"})
    assert r.status_code == 201, r.text
    u = r.json()
    assert u["uri"] == uri and u["kind"] == "client" and u["status"] == "approved"
    assert u["member_id"] == a["id"] and u["lookalikes"] == [] and u["approved_at"]
    mb = make_user(server, "member", b["id"])
    with Unchanged(cluster):
        p = problem(op.post(f"/api/v1/members/{b['id']}/uris", {"uri": uri, "kind": "server"}),
                    409, "uri-taken")
        assert p["field"] == "uri" and a["id"] in p["detail"] and a["name"] in p["detail"]
        p = problem(op.post(f"/api/v1/members/{a['id']}/uris", {"uri": uri, "kind": "client"}),
                    409, "uri-taken")
        assert "this member" in p["detail"]
    # a member user of B is not told that another member has it: its
    # proposal waits for staff, who see the owner (test_uri_squatting.py)
    r = mb.post(f"/api/v1/members/{b['id']}/uris", {"uri": uri, "kind": "client"})
    assert r.status_code == 201 and r.json()["status"] == "pending", r.text
    assert a["name"] not in r.text
    listed = op.get(f"/api/v1/members/{a['id']}/uris").json()
    assert [x["uri"] for x in listed["items"]] == [uri] and listed["next_cursor"] is None
    rows = audit_rows(cluster, "member_uri", u["id"])
    assert [r[0] for r in rows] == ["uri.create"]


def test_uris_are_stored_byte_exact_and_lookalikes_warned(op):
    a, b = new_member(op), new_member(op)
    host = uniq("look")
    first = f"https://{host}.example/fhir"
    r = op.post(f"/api/v1/members/{a['id']}/uris", {"uri": first, "kind": "server"})
    assert r.json()["lookalikes"] == []
    for variant in (f"https://{host.upper()}.EXAMPLE/fhir", f"https://{host}.example:443/fhir",
                    f"https://{host}.example/fhir/"):
        problem(op.post(f"/api/v1/members/{b['id']}/uris", {"uri": variant, "kind": "server"}),
                409, "uri-lookalike")   # asked first (issue 14 §12)
        r = op.post(f"/api/v1/members/{b['id']}/uris",
                    {"uri": variant, "kind": "server", "confirm_lookalike": True})
        assert r.status_code == 201, r.text
        body = r.json()
        assert body["uri"] == variant  # not normalised
        looks = {x["uri"]: x for x in body["lookalikes"]}
        assert first in looks and looks[first]["member_id"] == a["id"]
    # not look-alikes: other port, path case, http
    for other in (f"https://{host}.example:8443/fhir", f"https://{host}.example/FHIR",
                  f"http://{host}.example/fhir"):
        r = op.post(f"/api/v1/members/{b['id']}/uris", {"uri": other, "kind": "server"})
        assert r.status_code == 201 and r.json()["lookalikes"] == [], r.text
    stored = [x["uri"] for x in op.get(f"/api/v1/members/{b['id']}/uris").json()["items"]]
    assert f"https://{host.upper()}.EXAMPLE/fhir" in stored


@pytest.mark.parametrize("body,field", [
    ({"kind": "client"}, "uri"),
    # a client URI may carry a fragment (issue 16), a FHIR base URL not
    ({"uri": "https://a.example/x#frag", "kind": "server"}, "uri"),
    ({"uri": "https://a.example/x#frag", "kind": "idp"}, "uri"),
    ({"uri": "https://a.example/x#", "kind": "client"}, "uri"),
    ({"uri": "https://a.example./x", "kind": "client"}, "uri"),
    ({"uri": "https://a%2Eexample/x", "kind": "client"}, "uri"),
    ({"uri": "not a uri", "kind": "client"}, "uri"),
    ({"uri": "relative/path", "kind": "client"}, "uri"),
    ({"uri": "javascript:alert(1)", "kind": "client"}, "uri"),
    ({"uri": "https://a.example/\u00e9", "kind": "client"}, "uri"),
    ({"uri": "https://user@a.example/", "kind": "client"}, "uri"),
    ({"uri": "https://a.example/" + "x" * 2040, "kind": "client"}, "uri"),
    ({"uri": "https://a.example/"}, "kind"),
    ({"uri": "https://a.example/", "kind": "browser"}, "kind"),
    ({"uri": "https://a.example/", "kind": "client", "status": "approved"}, "status"),
])
def test_bad_uri_input_names_the_field(cluster, op, body, field):
    m = new_member(op)
    with Unchanged(cluster):
        p = problem(op.post(f"/api/v1/members/{m['id']}/uris", body), 400)
        assert p["field"] == field, p


def test_other_uri_schemes(op):
    m = new_member(op)
    for uri, kind in ((f"urn:uuid:{uniq('')}-0000", "client"), (f"did:web:{uniq('d')}.example", "idp")):
        r = op.post(f"/api/v1/members/{m['id']}/uris", {"uri": uri, "kind": kind})
        assert r.status_code == 201, r.text


def test_member_proposes_and_operator_approves(server, cluster, op):
    m = new_member(op)
    user = make_user(server, "member", m["id"])
    uri = f"https://{uniq('prop')}.example/app"
    r = user.post(f"/api/v1/members/{m['id']}/uris", {"uri": uri, "kind": "client"})
    assert r.status_code == 201, r.text
    u = r.json()
    assert u["status"] == "pending" and u["approved_at"] is None
    base = f"/api/v1/members/{m['id']}/uris/{u['id']}"
    problem(user.post(base + "/approve"), 403)
    a = op.post(base + "/approve")
    assert a.status_code == 200 and a.json()["status"] == "approved" and a.json()["approved_at"]
    with Unchanged(cluster):
        problem(op.post(base + "/approve"), 409)
        # the member may withdraw its pending proposals, not approved URIs
        problem(user.delete(base), 403)
    assert [r[0] for r in audit_rows(cluster, "member_uri", u["id"])] == \
        ["uri.create", "uri.approve"]
    # a second proposal, withdrawn by the member
    r = user.post(f"/api/v1/members/{m['id']}/uris",
                  {"uri": uri + "2", "kind": "client"})
    pid = r.json()["id"]
    assert user.delete(f"/api/v1/members/{m['id']}/uris/{pid}").status_code == 204
    # the operator removes the approved one; the URI is free again
    assert op.delete(base).status_code == 204
    problem(op.delete(base), 404)
    problem(op.post(base + "/approve"), 404)
    assert [r[0] for r in audit_rows(cluster, "member_uri", u["id"])] == \
        ["uri.create", "uri.approve", "uri.delete"]
    other = new_member(op)
    assert op.post(f"/api/v1/members/{other['id']}/uris",
                   {"uri": uri, "kind": "client"}).status_code == 201
    # a URI id of another member is not found under this member
    problem(op.delete(f"/api/v1/members/{m['id']}/uris/{r.json()['id']}"), 404)


def test_terminated_member_gets_no_uris_or_invitations(cluster, op):
    m = new_member(op)
    op.post(f"/api/v1/members/{m['id']}/terminate")
    with Unchanged(cluster):
        problem(op.post(f"/api/v1/members/{m['id']}/uris",
                        {"uri": f"https://{uniq('t')}.example/", "kind": "client"}), 409)
        problem(op.post(f"/api/v1/members/{m['id']}/invitations",
                        {"username": uniq("t")}), 409)


def test_member_user_sees_only_its_own_member(server, cluster, op):
    a, b = new_member(op), new_member(op)
    op.post(f"/api/v1/members/{b['id']}/uris",
            {"uri": f"https://{uniq('b')}.example/", "kind": "client"})
    inv = op.post(f"/api/v1/members/{b['id']}/invitations", {"username": uniq("binv")}).json()
    ua = make_user(server, "member", a["id"])
    assert ua.get(f"/api/v1/members/{a['id']}").json()["id"] == a["id"]
    assert ua.get(f"/api/v1/members/{a['id']}/uris").status_code == 200
    assert ua.get(f"/api/v1/members/{a['id']}/invitations").status_code == 200
    # its users: the member user itself, and none of another member's
    mine = ua.get(f"/api/v1/members/{a['id']}/users").json()["items"]
    me = ua.get("/api/v1/me").json()
    assert [u["id"] for u in mine] == [me["id"]] and mine[0]["member_id"] == a["id"]
    assert "password" not in mine[0]
    assert [m["id"] for m in ua.get("/api/v1/members").json()["items"]] == [a["id"]]
    assert ua.get("/api/v1/members", params={"q": b["name"]}).json()["items"] == []
    missing = "999999999"
    with Unchanged(cluster):
        for mid in (b["id"], missing):
            for path in (f"/api/v1/members/{mid}", f"/api/v1/members/{mid}/uris",
                         f"/api/v1/members/{mid}/invitations",
                         f"/api/v1/members/{mid}/users"):
                p = problem(ua.get(path), 404, "member-not-found")
            problem(ua.post(f"/api/v1/members/{mid}/uris",
                            {"uri": f"https://{uniq('x')}.example/", "kind": "client"}), 404)
            problem(ua.delete(f"/api/v1/members/{mid}/uris/1"), 404)
        # another member's invitation id does not help either
        assert inv["id"]
        # never 403 for a route a member may use on its own member
        # members cannot change their member, its status, approve or invite
        problem(ua.patch(f"/api/v1/members/{a['id']}", {"name": "mine"}), 403)
        problem(ua.post(f"/api/v1/members/{a['id']}/activate"), 403)
        problem(ua.post(f"/api/v1/members/{a['id']}/invitations", {"username": "x"}), 403)
        problem(ua.post("/api/v1/members", {"name": "n", "organization_id": "urn:a:b"}), 403)
    # the 404 for another member looks exactly like the one for nothing
    pb = ua.get(f"/api/v1/members/{b['id']}").json()
    pm = ua.get(f"/api/v1/members/{missing}").json()
    assert pb["type"] == pm["type"] and pb["title"] == pm["title"]


# ---- invitations ----

def invite(op, member_id, **kw):
    body = {"username": uniq("invitee")}
    body.update(kw)
    r = op.post(f"/api/v1/members/{member_id}/invitations", body)
    assert r.status_code == 201, r.text
    return r.json()


def test_invitation_accept_signs_in_and_lands_in_the_member(server, cluster, op):
    m = new_member(op)
    inv = invite(op, m["id"], email="new.user@member.example")
    token = inv["token"]
    assert token and inv["accept_url_path"].endswith(token)
    assert inv["status"] == "pending" and inv["member_id"] == m["id"]
    exp = datetime.datetime.strptime(inv["expires_at"], "%Y-%m-%dT%H:%M:%SZ")
    created = datetime.datetime.strptime(inv["created_at"], "%Y-%m-%dT%H:%M:%SZ")
    assert abs((exp - created) - datetime.timedelta(days=7)) < datetime.timedelta(minutes=1)
    # only the hash is stored
    digest = hashlib.sha256(token.encode()).hexdigest()
    assert count(cluster, "invitations", f"token_hash = '\\x{digest}'::bytea") == 1
    assert count(cluster, "invitations", f"position('{token}' in token_hash::text) > 0") == 0
    listed = op.get(f"/api/v1/members/{m['id']}/invitations").json()["items"]
    assert [i["id"] for i in listed] == [inv["id"]] and "token" not in listed[0]
    assert token not in cluster.psql("SELECT string_agg(details::text, ' ') FROM audit_events")
    anon = requests.Session()
    url = server.admin + "/api/v1/invitations/accept"
    with Unchanged(cluster):
        p = problem(anon.post(url, json={"token": token, "password": "short"}), 422,
                    "password-too-short")
        assert p["field"] == "password"
        problem(anon.post(url, json={"token": token}), 400)
        problem(anon.post(url, json={"token": "trinv_nope", "password": PASSWORD}), 404)
    r = anon.post(url, json={"token": token, "password": PASSWORD})
    assert r.status_code == 201, r.text
    user = r.json()["user"]
    assert user["username"] == inv["username"] and user["role"] == "member"
    assert user["member_id"] == m["id"]
    # the new user signs in and sees its member
    s = requests.Session()
    r = s.post(server.admin + "/api/v1/session",
               json={"username": inv["username"], "password": PASSWORD})
    assert r.status_code == 200, r.text
    me = s.get(server.admin + "/api/v1/me").json()
    assert me["member_id"] == m["id"] and me["role"] == "member"
    assert s.get(server.admin + f"/api/v1/members/{m['id']}").status_code == 200
    # reuse never creates a second user
    with Unchanged(cluster):
        problem(anon.post(url, json={"token": token, "password": PASSWORD + "x"}), 410,
                "invitation-used")
    assert count(cluster, "users", f"username = '{inv['username']}'") == 1
    listed = op.get(f"/api/v1/members/{m['id']}/invitations").json()["items"]
    assert listed[0]["status"] == "accepted" and listed[0]["accepted_user_id"] == user["id"]
    rows = audit_rows(cluster, "invitation", inv["id"])
    assert [r[0] for r in rows] == ["invitation.create", "invitation.accept"]
    assert rows[1][1] == inv["username"]


def test_expired_invitation_is_refused(server, cluster, op):
    m = new_member(op)
    inv = invite(op, m["id"], days=1)
    cluster.psql(f"UPDATE invitations SET expires_at = now() - interval '1 second' "
                 f"WHERE id = {inv['id']}")
    with Unchanged(cluster):
        problem(requests.post(server.admin + "/api/v1/invitations/accept",
                              json={"token": inv["token"], "password": PASSWORD}),
                410, "invitation-expired")
    assert op.get(f"/api/v1/members/{m['id']}/invitations").json()["items"][0]["status"] \
        == "expired"


def test_invitation_input(server, cluster, op):
    m = new_member(op)
    taken = make_user(server, "auditor").username
    with Unchanged(cluster):
        for body, status, field in [
            ({}, 400, "username"), ({"username": ""}, 400, "username"),
            ({"username": "x" * 129}, 400, "username"),
            ({"username": "a\tb"}, 400, "username"),
            ({"username": uniq("u"), "email": "nope"}, 400, "email"),
            ({"username": uniq("u"), "days": 0}, 400, "days"),
            ({"username": uniq("u"), "days": 31}, 400, "days"),
            ({"username": uniq("u"), "token": "mine"}, 400, "token"),
            ({"username": taken}, 409, "username"),
        ]:
            p = problem(op.post(f"/api/v1/members/{m['id']}/invitations", body), status)
            assert p.get("field") == field, (body, p)


def test_concurrent_accepts_create_one_user(server, cluster, op):
    import concurrent.futures
    m = new_member(op)
    inv = invite(op, m["id"])
    url = server.admin + "/api/v1/invitations/accept"
    with concurrent.futures.ThreadPoolExecutor(4) as ex:
        codes = list(ex.map(lambda _: requests.post(
            url, json={"token": inv["token"], "password": PASSWORD}).status_code, range(4)))
    assert sorted(codes)[0] == 201 and codes.count(201) == 1, codes
    assert set(codes) <= {201, 410}
    assert count(cluster, "users", f"username = '{inv['username']}'") == 1


# ---- CLI ----

def test_cli_member_add(server, cluster, op):
    org = f"urn:oid:2.16.840.1.{os.getpid()}.{next(_n)}"
    client, srv = f"https://{uniq('cli')}.example/app", f"https://{uniq('cli')}.example/fhir"
    r = server.cli("member", "add", "--name", "CLI Org", "--org-id", org,
                   "--uri", client, "--server-uri", srv)
    assert r.returncode == 0, r.stderr
    mid = r.stdout.strip()
    assert mid.isdigit() and r.stdout == mid + "\n"
    m = op.get(f"/api/v1/members/{mid}").json()
    assert m["name"] == "CLI Org" and m["organization_id"] == org and m["status"] == "pending"
    uris = {u["uri"]: u for u in op.get(f"/api/v1/members/{mid}/uris").json()["items"]}
    assert uris[client]["kind"] == "client" and uris[srv]["kind"] == "server"
    assert all(u["status"] == "approved" for u in uris.values())
    rows = audit_rows(cluster, "member", mid)
    assert [r[0] for r in rows] == ["member.create"] and rows[0][1].startswith("cli:")
    # refusals change nothing
    with Unchanged(cluster):
        r = server.cli("member", "add", "--name", "Dup", "--org-id", f"urn:x:{uniq('')}",
                       "--uri", client)
        assert r.returncode == 1 and f"member {mid}" in r.stderr
        r = server.cli("member", "add", "--name", "Dup", "--org-id", org)
        assert r.returncode == 1 and "organization_id" in r.stderr
        r = server.cli("member", "add", "--name", "Bad", "--org-id", "urn:x:y",
                       "--server-uri", "https://a.example/#f")
        assert r.returncode == 2 and "fragment" in r.stderr
        r = server.cli("member", "add", "--name", "Bad")
        assert r.returncode == 2
    assert server.cli("member", "--help").returncode == 0


def test_member_user_sees_no_lookalikes_of_other_members(server, op):
    a, b = new_member(op), new_member(op)
    host = uniq("mlook")
    op.post(f"/api/v1/members/{a['id']}/uris", {"uri": f"https://{host}.example/x", "kind": "client"})
    ub = make_user(server, "member", b["id"])
    r = ub.post(f"/api/v1/members/{b['id']}/uris",
                {"uri": f"https://{host}.example/x/", "kind": "client"})
    assert r.status_code == 201, r.text
    assert r.json()["lookalikes"] == []   # neither whose nor which (issue 13)


def test_invitation_of_a_terminated_member_is_refused(server, cluster, op):
    m = new_member(op)
    inv = invite(op, m["id"])
    op.post(f"/api/v1/members/{m['id']}/terminate")
    with Unchanged(cluster):
        problem(requests.post(server.admin + "/api/v1/invitations/accept",
                              json={"token": inv["token"], "password": PASSWORD}),
                410, "member-terminated")

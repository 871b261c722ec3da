"""Look-alike URIs are asked about before they are stored (issue 14 §12,
issue 13's leftover): staff adding or approving a URI that looks like
another one, approved or still a pending proposal of any member, get a 409
uri-lookalike naming the look-alike and its member, and nothing changes
until they repeat the request with "confirm_lookalike": true. A member user
is asked only about its own member's URIs: of other members it learns
nothing (neither whose nor which, issue 13)."""
from harness import Unchanged, problem
from test_members import make_user, new_member, op, staff, uniq  # noqa: F401


def add(client, member_id, uri, kind="server", **extra):
    return client.post(f"/api/v1/members/{member_id}/uris",
                       {"uri": uri, "kind": kind, **extra})


def test_staff_add_is_asked_and_names_the_member(cluster, op):
    x = new_member(op, name="Member X " + uniq(""))
    b = new_member(op)
    host = uniq("ask")
    first = f"https://{host}.example/fhir"
    assert add(op, x["id"], first).status_code == 201
    variant = f"https://{host}.example/fhir/"
    with Unchanged(cluster):
        p = problem(add(op, b["id"], variant), 409, "uri-lookalike")
    assert p["field"] == "uri"
    assert variant in p["detail"] and first in p["detail"] and x["name"] in p["detail"]
    [look] = p["lookalikes"]
    assert look["uri"] == first and look["member_id"] == x["id"]
    assert look["member_name"] == x["name"] and look["status"] == "approved"
    # a false confirmation is no confirmation
    problem(add(op, b["id"], variant, confirm_lookalike=False), 409, "uri-lookalike")
    problem(add(op, b["id"], variant, confirm_lookalike="yes"), 400, "invalid-field")
    r = add(op, b["id"], variant, confirm_lookalike=True)
    assert r.status_code == 201, r.text
    assert r.json()["uri"] == variant and r.json()["status"] == "approved"
    assert [x_["uri"] for x_ in r.json()["lookalikes"]] == [first]


def test_staff_are_asked_about_pending_proposals_of_other_members(server, cluster, op):
    p_member = new_member(op, name="Proposer " + uniq(""))
    up = make_user(server, "member", p_member["id"])
    host = uniq("pend")
    proposed = f"https://{host}.example/app"
    r = add(up, p_member["id"], proposed, kind="client")
    assert r.status_code == 201 and r.json()["status"] == "pending", r.text
    b = new_member(op)
    with Unchanged(cluster):
        p = problem(add(op, b["id"], f"https://{host.upper()}.example/app", kind="client"),
                    409, "uri-lookalike")
    [look] = p["lookalikes"]
    assert look["uri"] == proposed and look["status"] == "pending"
    assert look["member_id"] == p_member["id"] and p_member["name"] in p["detail"]


def test_approving_a_lookalike_proposal_is_asked(server, cluster, op):
    x = new_member(op, name="Owner " + uniq(""))
    host = uniq("appr")
    owned = f"https://{host}.example/fhir"
    assert add(op, x["id"], owned).status_code == 201
    m = new_member(op)
    um = make_user(server, "member", m["id"])
    r = add(um, m["id"], owned + "/")
    assert r.status_code == 201 and r.json()["lookalikes"] == [], r.text
    pid = r.json()["id"]
    url = f"/api/v1/members/{m['id']}/uris/{pid}/approve"
    with Unchanged(cluster):
        p = problem(op.post(url), 409, "uri-lookalike")
    assert owned in p["detail"] and x["name"] in p["detail"]
    assert [(lk["uri"], lk["member_id"]) for lk in p["lookalikes"]] == [(owned, x["id"])]
    r = op.post(url, {"confirm_lookalike": True})
    assert r.status_code == 200 and r.json()["status"] == "approved", r.text


def test_member_is_asked_about_its_own_lookalikes_only(server, cluster, op):
    x = new_member(op, name="Other " + uniq(""))
    host = uniq("mine")
    theirs = f"https://{host}.example/x"
    assert add(op, x["id"], theirs, kind="client").status_code == 201
    m = new_member(op)
    um = make_user(server, "member", m["id"])
    # another member's look-alike: not asked, nothing said of it
    r = add(um, m["id"], theirs + "/", kind="client")
    assert r.status_code == 201, r.text
    assert r.json()["lookalikes"] == [] and x["name"] not in r.text
    assert f'"{theirs}"' not in r.text
    # its own look-alike: asked, with its own URI only
    own = add(um, m["id"], f"https://{host}.example/y", kind="client").json()
    with Unchanged(cluster):
        p = problem(add(um, m["id"], f"https://{host}.example/y/", kind="client"),
                    409, "uri-lookalike")
    assert p["lookalikes"] == [{"uri": own["uri"], "same_member": True, "id": own["id"]}]
    assert "this member" in p["detail"] and x["name"] not in str(p)
    r = add(um, m["id"], f"https://{host}.example/y/", kind="client", confirm_lookalike=True)
    assert r.status_code == 201 and r.json()["status"] == "pending", r.text


def test_declined_proposals_are_not_lookalikes(server, op):
    a = new_member(op)
    ua = make_user(server, "member", a["id"])
    host = uniq("decl")
    uri = f"https://{host}.example/app"
    assert add(ua, a["id"], uri, kind="client").status_code == 201
    b = new_member(op)
    assert add(op, b["id"], uri, kind="client").status_code == 201   # declines A's
    # A's declined proposal does not count; B's approved one does
    c = new_member(op)
    p = problem(add(op, c["id"], uri + "/", kind="client"), 409, "uri-lookalike")
    assert [(lk["member_id"], lk["status"]) for lk in p["lookalikes"]] == [(b["id"], "approved")]


def test_purpose_fragments_of_ones_own_uri_are_not_asked(cluster, op):
    """A member registers its app URI and the same URI with purpose
    fragments (TEFCA's #T-TREAT ...) on purpose: not look-alikes of each
    other. The same variants of another member's URI still are."""
    m = new_member(op)
    base = f"https://{uniq('purp')}.example/fhir"
    for uri in (base, base + "#T-TREAT", base + "#T-PYMNT"):
        r = add(op, m["id"], uri, kind="client")
        assert r.status_code == 201, r.text
        assert r.json()["lookalikes"] == [], r.text
    # a fragment differing only in case is still asked about, own or not
    p = problem(add(op, m["id"], base + "#t-treat", kind="client"), 409, "uri-lookalike")
    assert [lk["uri"] for lk in p["lookalikes"]] == [base + "#T-TREAT"]
    other = new_member(op)
    with Unchanged(cluster):
        p = problem(add(op, other["id"], base + "#T-RQST", kind="client"), 409, "uri-lookalike")
    assert [lk["uri"] for lk in p["lookalikes"]] == [base]

"""Members cannot squat or probe URIs (issue 13): a member user's pending
proposal never blocks staff (staff win, the proposal is declined and the
member sees it so), and what a member user is answered when proposing a
URI is the same whether or not another member has it: it learns neither
whose nor which URIs (no other members' look-alikes)."""
from harness import Unchanged, problem
from test_members import audit_rows, make_user, new_member, op, staff, uniq  # noqa: F401


def uris_of(client, member_id):
    return {u["uri"]: u for u in
            client.get(f"/api/v1/members/{member_id}/uris").json()["items"]}


def shape(body):
    """A proposal's answer without what differs between any two proposals."""
    return {k: v for k, v in body.items()
            if k not in ("id", "uri", "created_at", "member_id")}


def test_pending_proposal_does_not_block_staff(server, cluster, op):
    a, b = new_member(op), new_member(op)
    ua = make_user(server, "member", a["id"])
    uri = f"https://{uniq('squat')}.example/app"
    r = ua.post(f"/api/v1/members/{a['id']}/uris", {"uri": uri, "kind": "client"})
    assert r.status_code == 201 and r.json()["status"] == "pending", r.text
    # staff give the URI to its real owner: not blocked (was 409)
    r = op.post(f"/api/v1/members/{b['id']}/uris", {"uri": uri, "kind": "client"})
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "approved" and r.json()["member_id"] == b["id"]
    # the squatter's proposal is declined, and its member is told so
    mine = uris_of(ua, a["id"])[uri]
    assert mine["status"] == "declined", mine
    rows = audit_rows(cluster, "member_uri", mine["id"])
    assert [x[0] for x in rows] == ["uri.create", "uri.decline"], rows
    # a declined proposal cannot be approved, and its member may remove it
    problem(op.post(f"/api/v1/members/{a['id']}/uris/{mine['id']}/approve"),
            409, "invalid-uri-status")
    assert ua.delete(f"/api/v1/members/{a['id']}/uris/{mine['id']}").status_code == 204


def test_approving_a_proposal_declines_the_others(server, op):
    a, b = new_member(op), new_member(op)
    ua, ub = make_user(server, "member", a["id"]), make_user(server, "member", b["id"])
    uri = f"https://{uniq('twice')}.example/app"
    pa = ua.post(f"/api/v1/members/{a['id']}/uris", {"uri": uri, "kind": "client"}).json()
    pb = ub.post(f"/api/v1/members/{b['id']}/uris", {"uri": uri, "kind": "client"})
    assert pb.status_code == 201, pb.text
    pb = pb.json()
    r = op.post(f"/api/v1/members/{b['id']}/uris/{pb['id']}/approve")
    assert r.status_code == 200 and r.json()["status"] == "approved", r.text
    assert uris_of(ua, a["id"])[uri]["status"] == "declined"
    # and the declined one cannot take the URI back
    problem(op.post(f"/api/v1/members/{a['id']}/uris/{pa['id']}/approve"),
            409, "invalid-uri-status")


def test_member_learns_nothing_of_other_members_uris(server, cluster, op):
    a = new_member(op, name="Alpha " + uniq(""))
    host = uniq("probe")
    taken = f"https://{host}.example/x"
    assert op.post(f"/api/v1/members/{a['id']}/uris",
                   {"uri": taken, "kind": "client"}).status_code == 201
    # a registered URI, a look-alike of it, and a URI nobody has, each
    # proposed by a member of its own: one answer
    answers = []
    for uri in (taken, taken + "/", f"https://{uniq('free')}.example/y"):
        m = new_member(op)
        um = make_user(server, "member", m["id"])
        r = um.post(f"/api/v1/members/{m['id']}/uris", {"uri": uri, "kind": "client"})
        assert r.status_code == 201, r.text
        answers.append(r.json())
        assert r.json()["member_id"] == m["id"] and a["name"] not in r.text
        # nor does the member's list say anything of A
        listed = um.get(f"/api/v1/members/{m['id']}/uris").json()["items"]
        assert [(u["member_id"], u["status"]) for u in listed] == [(m["id"], "pending")]
    assert shape(answers[0]) == shape(answers[1]) == shape(answers[2])
    assert answers[0]["lookalikes"] == answers[1]["lookalikes"] == []
    b = {"id": answers[0]["member_id"]}
    ub = um
    # staff see the conflict (and the owner) when they review the proposal
    p = problem(op.post(f"/api/v1/members/{b['id']}/uris/{answers[0]['id']}/approve"),
                409, "uri-taken")
    assert a["id"] in p["detail"]
    # the owner's URI is untouched
    assert uris_of(op, a["id"])[taken]["status"] == "approved"
    # a member's own look-alikes are still shown in full
    c = {"id": answers[2]["member_id"]}
    own = ub.post(f"/api/v1/members/{c['id']}/uris",
                  {"uri": f"https://{host}.example/y", "kind": "client"}).json()
    again = ub.post(f"/api/v1/members/{c['id']}/uris",
                    {"uri": f"https://{host}.example/y/", "kind": "client",
                     "confirm_lookalike": True}).json()
    assert again["lookalikes"] == [{"uri": own["uri"], "same_member": True, "id": own["id"]}]


def test_own_duplicate_is_still_refused(server, cluster, op):
    b = new_member(op)
    ub = make_user(server, "member", b["id"])
    uri = f"https://{uniq('dup')}.example/app"
    assert ub.post(f"/api/v1/members/{b['id']}/uris",
                   {"uri": uri, "kind": "client"}).status_code == 201
    with Unchanged(cluster):
        p = problem(ub.post(f"/api/v1/members/{b['id']}/uris",
                            {"uri": uri, "kind": "client"}), 409, "uri-taken")
        assert "this member" in p["detail"]

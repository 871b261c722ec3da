"""The audit log: one event per change, a hash chain that shows tampering,
and rows the service cannot update or delete."""
import subprocess
import time

import pytest

from harness import problem


def wait_sealed(admin, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = admin.get("/api/v1/audit/verify").json()
        if v["unsealed"] == 0:
            return v
        time.sleep(0.1)
    raise AssertionError("events were not sealed")


def test_chain_is_intact_and_shows_tampering(server, admin, cluster):
    admin.post("/api/v1/users", json={"username": "audited-user", "role": "auditor"})
    v = wait_sealed(admin)
    assert v["intact"] is True and v["checked"] >= 2
    eid = cluster.psql("SELECT id FROM audit_events WHERE action = 'user.create' "
                       "AND details->>'username' = 'audited-user'")
    original = cluster.psql(f"SELECT details::text FROM audit_events WHERE id = {eid}")
    # tamper as the cluster's superuser would: bypass the guard trigger
    cluster.psql("SET session_replication_role = replica; "
                 f"UPDATE audit_events SET details = '{{\"username\": \"someone-else\"}}' "
                 f"WHERE id = {eid}", admin=True)
    try:
        v = admin.get("/api/v1/audit/verify").json()
        assert v["intact"] is False
        assert v["first_broken"]["event_id"] == eid
        assert "changed after it was sealed" in v["first_broken"]["reason"]
        r = server.cli("audit", "verify")
        assert r.returncode == 1 and f"BROKEN at event {eid}" in r.stdout
    finally:
        cluster.psql("SET session_replication_role = replica; "
                     f"UPDATE audit_events SET details = '{original}' WHERE id = {eid}",
                     admin=True)
    assert admin.get("/api/v1/audit/verify").json()["intact"] is True
    assert server.cli("audit", "verify").returncode == 0


def test_a_deleted_link_is_found(cluster, server, admin):
    wait_sealed(admin)
    eid = cluster.psql("SELECT id FROM audit_events WHERE chain_seq = 2")
    row = "2"
    # move the event out of the chain (as if deleted) and back
    cluster.psql("SET session_replication_role = replica; "
                 f"UPDATE audit_events SET chain_seq = -chain_seq WHERE id = {eid}",
                 admin=True)
    try:
        v = admin.get("/api/v1/audit/verify").json()
        assert v["intact"] is False
        assert v["first_broken"]["chain_seq"] == 3
        assert "missing" in v["first_broken"]["reason"]
    finally:
        cluster.psql("SET session_replication_role = replica; "
                     f"UPDATE audit_events SET chain_seq = {row} WHERE id = {eid}",
                     admin=True)


@pytest.mark.parametrize("sql", [
    "UPDATE audit_events SET actor = 'x' WHERE id = 1",
    "UPDATE audit_events SET hash = NULL WHERE id = 1",
    "DELETE FROM audit_events WHERE id = 1",
    "TRUNCATE audit_events",
])
def test_the_service_role_cannot_change_events(cluster, sql, admin):
    wait_sealed(admin)
    with pytest.raises(subprocess.CalledProcessError) as e:
        cluster.psql(sql)
    assert "audit events cannot be" in e.value.stderr


def test_audit_list_filters_and_access(server, admin):
    r = admin.get("/api/v1/audit", params={"action": "user", "limit": 5})
    assert r.status_code == 200
    items = r.json()["items"]
    assert items and all(e["action"].startswith("user.") for e in items)
    ids = [int(e["id"]) for e in items]
    assert ids == sorted(ids, reverse=True)
    problem(admin.get("/api/v1/audit", params={"since": "yesterday"}), 400)
    problem(admin.get("/api/v1/audit", params={"action": "a\x01"}), 400)
    assert admin.get("/api/v1/audit", params={"action": "user%"}).json()["items"] == []
    r = admin.post("/api/v1/users", json={"username": "op-audit", "role": "operator"})
    op = server.token("op-audit")
    problem(op.get("/api/v1/audit"), 403)
    r = admin.post("/api/v1/users", json={"username": "aud-audit", "role": "auditor"})
    assert server.token("aud-audit").get("/api/v1/audit").status_code == 200


def test_audit_events_name_their_objects(server, admin, community):
    """Issue 14 item 5: an event's object is named (the member, the
    certificate's subject and member) as the database holds it now."""
    from pki_util import ec_key
    m, uris = community.member(name="Audited Objects Clinic")
    r = community.issue(admin, m["id"], "udap-client", ec_key(), uris["client"])
    assert r.status_code == 201, r.text
    serial = r.json()["serial"]
    ev = admin.get("/api/v1/audit", params={"action": "member.create",
                                            "object_id": m["id"]}).json()["items"]
    assert len(ev) == 1 and ev[0]["object"] == {"name": "Audited Objects Clinic",
                                                "member_id": m["id"]}
    ev = admin.get("/api/v1/audit", params={"action": "certificate.issue",
                                            "object_id": serial}).json()["items"]
    assert len(ev) == 1
    obj = ev[0]["object"]
    assert obj["member_id"] == m["id"] and obj["member_name"] == "Audited Objects Clinic"
    assert obj["subject"] == r.json()["subject"] and obj["subject"]
    # a URI's events name the member it belongs to
    ev = admin.get("/api/v1/audit", params={"object_type": "member_uri", "action": "uri"}).json()
    named = [e for e in ev["items"] if e["details"].get("member_id") == m["id"]]
    assert named and all(e["object"]["member_name"] == "Audited Objects Clinic" for e in named)
    # an object id that is not a number names nothing and breaks nothing
    assert admin.get("/api/v1/audit", params={"object_type": "member",
                                              "object_id": "x'1"}).json()["items"] == []
    admin.post("/api/v1/users", json={"username": "named-in-audit", "role": "auditor"})
    ev = admin.get("/api/v1/audit", params={"action": "user.create", "limit": 1}).json()
    assert ev["items"][0]["object"] == {"name": "named-in-audit"}
    ev = admin.get("/api/v1/audit", params={"action": "community.create"}).json()
    assert ev["items"] and ev["items"][0]["object"] == {}


def test_audit_verify_gives_the_chain_head(server, admin, cluster):
    """The head (last sealed link's position, hash and time) and when the
    check ran, for keeping elsewhere; the hash is the one stored."""
    v = wait_sealed(admin)
    assert v["intact"] is True
    head = v["head"]
    assert head["chain_seq"] >= 1 and head["chain_seq"] <= v["checked"]
    stored = cluster.psql("SELECT encode(hash, 'hex') || ' ' || id FROM audit_events "
                          f"WHERE chain_seq = {head['chain_seq']}")
    assert stored == f"{head['hash']} {head['event_id']}"
    assert len(head["hash"]) == 64
    assert v["verified_at"].endswith("Z") and v["verified_at"] >= head["at"][:19]

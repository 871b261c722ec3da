"""Compromised keys stay dead: once a certificate is revoked for
keyCompromise, its public key (SPKI SHA-256) is refused with 422
key-compromised at issuance and renewal, for every member, from the moment
the revocation is acknowledged; revocations made before the table existed
are marked at start-up. Members may not choose the community's reasons
(privilegeWithdrawn, certificateHold)."""
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from harness import Server, problem
from pki_util import Community, csr_pem, ec_key, rsa_key, uniq


def issue(community, api, m, uris, key, kind="client"):
    profile = "udap-client" if kind == "client" else "udap-server"
    return community.issue(api, m["id"], profile, key, uris[kind])


@pytest.mark.parametrize("make_key,kind", [(ec_key, "client"), (rsa_key, "server")])
def test_compromised_key_refused_for_every_member(cluster, admin, community, make_key, kind):
    a, ua = community.member(kinds=(kind,))
    b, ub = community.member(kinds=(kind,))
    key = make_key()
    first = issue(community, admin, a, ua, key, kind)
    assert first.status_code == 201, first.text
    again = issue(community, admin, a, ua, key, kind)       # the same key twice: fine
    assert again.status_code == 201, again.text
    r = admin.post(f"/api/v1/certificates/{first.json()['serial']}/revoke",
                   json={"reason": "keyCompromise"})
    assert r.status_code == 200, r.text
    count = cluster.psql("SELECT count(*) FROM certificates")
    for m, u in ((a, ua), (b, ub)):
        p = problem(issue(community, admin, m, u, key, kind), 422, "key-compromised")
        assert "keyCompromise" in p["detail"]
    # renewal of the other certificate with the compromised key
    p = problem(admin.post(f"/api/v1/certificates/{again.json()['serial']}/renew",
                           json={"csr": csr_pem(key)}), 422, "key-compromised")
    assert cluster.psql("SELECT count(*) FROM certificates") == count   # nothing stored
    # a new key is fine, and renewal with it too
    assert issue(community, admin, a, ua, make_key(), kind).status_code == 201
    r = admin.post(f"/api/v1/certificates/{again.json()['serial']}/renew",
                   json={"csr": csr_pem(make_key())})
    assert r.status_code == 201, r.text


@pytest.mark.parametrize("reason", ["superseded", "cessationOfOperation", "unspecified"])
def test_other_reasons_leave_the_key_usable(admin, community, reason):
    m, u = community.member(kinds=("client",))
    key = ec_key()
    r = issue(community, admin, m, u, key)
    assert admin.post(f"/api/v1/certificates/{r.json()['serial']}/revoke",
                      json={"reason": reason}).status_code == 200
    assert issue(community, admin, m, u, key).status_code == 201


def test_hold_then_keycompromise_marks_the_key(admin, community):
    m, u = community.member(kinds=("client",))
    key = ec_key()
    r = issue(community, admin, m, u, key)
    s = r.json()["serial"]
    assert admin.post(f"/api/v1/certificates/{s}/revoke",
                      json={"reason": "certificateHold"}).status_code == 200
    assert issue(community, admin, m, u, key).status_code == 201   # a hold is not compromise
    assert admin.post(f"/api/v1/certificates/{s}/revoke",
                      json={"reason": "keyCompromise"}).status_code == 200
    problem(issue(community, admin, m, u, key), 422, "key-compromised")


def test_members_may_not_choose_the_communitys_reasons(server, admin, community):
    m, u = community.member(kinds=("client",))
    mu = community.member_user(m["id"])
    r = issue(community, mu, m, u, ec_key())
    assert r.status_code == 201, r.text
    s = r.json()["serial"]
    p = problem(mu.post(f"/api/v1/certificates/{s}/revoke",
                        json={"reason": "privilegeWithdrawn"}), 403, "reason-not-allowed")
    assert "community" in p["detail"]
    p = problem(mu.post(f"/api/v1/certificates/{s}/revoke",
                        json={"reason": "certificateHold"}), 403, "hold-not-allowed")
    assert "community" in p["detail"]
    assert admin.get(f"/api/v1/certificates/{s}").json()["status"] == "valid"
    # a member may say its own key is compromised, and that sticks for everyone
    key = ec_key()
    r = issue(community, mu, m, u, key)
    assert mu.post(f"/api/v1/certificates/{r.json()['serial']}/revoke",
                   json={"reason": "keyCompromise"}).status_code == 200
    other, uo = community.member(kinds=("client",))
    problem(issue(community, admin, other, uo, key), 422, "key-compromised")


def test_earlier_revocations_marked_at_start(cluster):
    """Data from before the table: a keyCompromise revocation whose key was
    never marked is found when serve starts."""
    s = Server(cluster, db=cluster.new_db())
    s.migrate()
    s.init()
    s.start()
    try:
        admin = s.token("admin")
        c = Community(s, admin)
        m, u = c.member(kinds=("client",))
        key = ec_key()
        r = c.issue(admin, m["id"], "udap-client", key, u["client"])
        assert admin.post(f"/api/v1/certificates/{r.json()['serial']}/revoke",
                          json={"reason": "keyCompromise"}).status_code == 200
    finally:
        s.stop()
    cluster.psql("DELETE FROM compromised_keys", db=s.db)      # as before migration 0011
    s.start()
    try:
        problem(c.issue(admin, m["id"], "udap-client", key, u["client"]), 422, "key-compromised")
        assert cluster.psql("SELECT count(*) FROM audit_events WHERE action = "
                            "'key.compromised.backfill'", db=s.db) == "1"
    finally:
        s.stop()

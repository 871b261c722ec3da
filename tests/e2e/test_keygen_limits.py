"""POST /api/v1/certificates/keygen cannot be used to burn the CPU: every
check comes before the key is made, key generations are bounded (503 with
Retry-After beyond), and they run off the threads that answer requests."""
import concurrent.futures as cf
import time

import pytest

from harness import Server, problem
from pki_util import Community


@pytest.fixture(scope="module")
def srv(cluster):
    # one admin thread: a key made on it would hold every other request
    s = Server(cluster, db=cluster.new_db("keygen"),
               extra={"server": {"threads": "1"}, "ca": {"keygen_concurrency": "1"}})
    s.migrate()
    s.init()
    s.start()
    yield s
    s.stop()


def keygen(api, member_id, uris, key_type="RSA-4096", profile="udap-server"):
    return api.post("/api/v1/certificates/keygen", json={
        "member_id": member_id, "profile": profile, "uris": uris,
        "key_type": key_type, "passphrase": "a long passphrase"}, timeout=120)


def test_a_slow_key_holds_neither_other_requests_nor_refusals(srv):
    admin = srv.token()
    other = srv.token()
    community = Community(srv, admin)
    m, uris = community.member(kinds=("server",))
    inactive, _ = community.member(kinds=("server",), activate=False)
    with cf.ThreadPoolExecutor(2) as pool:
        # RSA-4096 under ASan takes seconds; several in a row so that one is
        # surely running while the probes below are answered
        slow = pool.submit(lambda: [keygen(admin, m["id"], uris["server"])
                                    for _ in range(3)])
        time.sleep(0.5)
        busy = None
        for _ in range(20):
            if slow.done():
                break
            r = other.get("/api/v1/me")
            assert r.status_code == 200, r.text
            # refused at once, without a key: unknown, inactive, wrong profile
            problem(keygen(other, "999999", uris["server"]), 404)
            problem(keygen(other, inactive["id"], uris["server"]), 422, "member-not-active")
            problem(keygen(other, m["id"], ["https://not-approved.example/fhir"]), 422)
            problem(keygen(other, m["id"], uris["server"], key_type="EC-P256"), 422)
            r = keygen(other, m["id"], uris["server"], key_type="EC-P256",
                       profile="udap-client")
            problem(r, 422)
            # and a well-formed one beyond the single slot waits its turn
            r = keygen(other, m["id"], uris["server"], key_type="RSA-2048")
            if r.status_code == 503:
                busy = r
                break
        # every probe above was answered while the slow keys were still being
        # made: before, each waited for the key on the only admin thread
        assert not slow.done(), "the probes waited for the key generation"
        for r in slow.result():
            assert r.status_code in (201, 503), r.text
        assert any(r.status_code == 201 for r in slow.result())
    assert busy is not None, "a second key generation beyond the limit was accepted"
    problem(busy, 503, "busy")
    assert int(busy.headers["Retry-After"]) > 0

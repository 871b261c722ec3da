"""The CA under load and under failure: 200 concurrent issuances, signer
workers killed mid-run (503 then recovery, never a hang), and a revocation
acknowledged just before `troth serve` dies still reaching the next CRL."""
import concurrent.futures
import os
import signal
import subprocess
import tempfile
import time

import pytest
import requests
from cryptography import x509

from harness import Api, Server, problem
from pki_util import (Community, Relying, crl_entry, crl_reason, csr_pem, ec_key, fetch_crl,
                      load_pems, pem, wait_for)


# ---- 200 concurrent issuances ----

def test_200_concurrent_issuances(server, cluster, admin):
    community = Community(server, admin)
    m, uris = community.member(kinds=("client",))
    csrs = [csr_pem(ec_key()) for _ in range(200)]
    tokens = []
    for i in range(16):
        r = admin.post("/api/v1/tokens", json={"name": f"load {i}"})
        assert r.status_code == 201, r.text
        tokens.append(r.json()["token"])
    clients = [Api(server.admin, token=t) for t in tokens]

    def one(i):
        api = clients[i % 16]
        r = api.post("/api/v1/certificates", json={
            "member_id": m["id"], "profile": "udap-client", "csr": csrs[i],
            "uris": uris["client"]}, timeout=60)
        return r.status_code, r.json()

    # each thread its own session: requests.Session is not thread-safe, so
    # one client per worker index modulo 16 runs in one thread at a time
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        results = [None] * 200
        for base in range(0, 200, 16):
            futs = {pool.submit(one, i): i for i in range(base, min(base + 16, 200))}
            for f in concurrent.futures.as_completed(futs):
                results[futs[f]] = f.result()
    bad = [(s, b) for s, b in results if s != 201]
    assert not bad, bad[:3]
    serials = [b["serial"] for _, b in results]
    assert len(set(serials)) == 200
    stored = cluster.psql(f"SELECT serial FROM certificates WHERE member_id = {m['id']}")
    assert sorted(stored.split()) == sorted(serials)
    audit = int(cluster.psql("SELECT count(*) FROM audit_events WHERE "
                             "action = 'certificate.issue' AND object_id IN (" +
                             ",".join(f"'{s}'" for s in serials) + ")"))
    assert audit == 200
    # every one verifies with openssl, in one run
    rp = Relying(server, results[0][1]["certificate_pem"])
    with tempfile.TemporaryDirectory() as d:
        for name, text in (("anchors.pem", rp.anchors_pem), ("inter.pem", pem(rp.inter)),
                           ("crl1.pem", pem(rp.leaf_crl)), ("crl2.pem", pem(rp.inter_crl))):
            with open(os.path.join(d, name), "w") as f:
                f.write(text)
        leaves = []
        for i, (_, b) in enumerate(results):
            leaves.append(f"leaf{i}.pem")
            with open(os.path.join(d, leaves[-1]), "w") as f:
                f.write(b["certificate_pem"])
        p = subprocess.run(["openssl", "verify", "-crl_check_all", "-x509_strict",
                            "-CAfile", "anchors.pem", "-untrusted", "inter.pem",
                            "-CRLfile", "crl1.pem", "-CRLfile", "crl2.pem", *leaves],
                           cwd=d, capture_output=True, text=True)
        assert p.returncode == 0, p.stdout[-2000:] + p.stderr[-2000:]
        assert p.stdout.count(": OK") == 200
    for _, b in results:
        leaf = x509.load_pem_x509_certificate(b["certificate_pem"].encode())
        assert f"{leaf.serial_number:032x}" == b["serial"]


# ---- failures: a server of our own, which we kill ----

@pytest.fixture(scope="module")
def own(cluster):
    s = Server(cluster, db=cluster.new_db("pkicrash"))
    s.migrate()
    s.init()
    s.start()
    s.api = s.token("admin")
    s.community = Community(s, s.api)
    s.member, uris = s.community.member(kinds=("client",))
    s.uris = uris["client"]
    yield s
    s.stop()


def children(pid):
    """Pids of pid's children (from /proc)."""
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == pid:
            out.append(int(d))
    return out


def signer_pids(server):
    """The signer workers: the children of the signer supervisor, which is
    troth serve's child (it forks and restarts them; killing the supervisor
    itself is a different failure)."""
    return [w for sup in children(server.proc.pid) for w in children(sup)]


def issue(server, timeout=5):
    return server.api.post("/api/v1/certificates", json={
        "member_id": server.member["id"], "profile": "udap-client",
        "csr": csr_pem(ec_key()), "uris": server.uris}, timeout=timeout)


def test_signer_killed_gives_503_then_recovers(own):
    assert issue(own).status_code == 201
    pids = signer_pids(own)
    assert pids, "no signer workers found under troth serve"
    for p in pids:
        os.kill(p, signal.SIGKILL)
    t0 = time.monotonic()
    r = issue(own)
    took = time.monotonic() - t0
    assert took < 3, f"issuance took {took:.1f}s with the signer down"
    p = problem(r, 503)
    assert p["type"] == "urn:troth:problem:signer-unavailable"
    assert int(r.headers["Retry-After"]) > 0
    # /readyz may catch the outage; when it does, it names the signer
    ready = requests.get(own.public + "/readyz", timeout=5)
    if ready.status_code == 503:
        assert "signer" in ready.text.lower(), ready.text
    # nothing stored for the refused request
    # recovery: the upkeep thread restarts workers once a second
    seen, deadline = [], time.monotonic() + 15
    while time.monotonic() < deadline:
        t0 = time.monotonic()
        r = issue(own)
        assert time.monotonic() - t0 < 5, "an issuance hung while the signer restarted"
        seen.append(r.status_code)
        if r.status_code == 201:
            break
        problem(r, 503)
        time.sleep(0.1)
    assert seen[-1] == 201, seen
    new = signer_pids(own)
    assert new and not set(new) & set(pids)
    rp = Relying(own, r.json()["certificate_pem"])
    ok, out = rp.openssl_verify()
    assert ok, out
    ok_ready, _ = wait_for(lambda: requests.get(own.public + "/readyz").status_code == 200,
                           timeout=5)
    assert ok_ready


def test_revocation_acknowledged_before_a_crash_reaches_the_next_crl(own, cluster):
    cert = issue(own).json()
    ca = next(c for c in own.api.get("/api/v1/cas").json()["items"] if c["kind"] == "issuing")
    db_url = cluster.url(own.db)
    # another "instance" holds the CRL lock of the issuing CA: this server
    # cannot regenerate its CRL until the lock goes
    holder = subprocess.Popen(["psql", db_url, "-XqAt", "-v", "ON_ERROR_STOP=1"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    try:
        holder.stdin.write(f"SELECT pg_advisory_lock(hashtext('troth.crl.{ca['id']}'));\n"
                           "SELECT 'locked';\n")
        holder.stdin.flush()
        assert holder.stdout.readline().strip() in ("", "locked")
        held, _ = wait_for(lambda: cluster.psql(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted",
            db=own.db) != "0", timeout=5)
        assert held
        before = cluster.psql(f"SELECT max(crl_number) FROM crls WHERE ca_id = '{ca['id']}'",
                              db=own.db)
        r = own.api.post(f"/api/v1/certificates/{cert['serial']}/revoke",
                         json={"reason": "keyCompromise"})
        assert r.status_code == 200, r.text
        time.sleep(0.5)   # the CRL worker tries, and finds the lock taken
        # SIGKILL: no orderly shutdown, no last CRL
        own.proc.kill()
        own.proc.wait()
        own.log.close()
        own.proc = None
        after = cluster.psql(f"SELECT max(crl_number) FROM crls WHERE ca_id = '{ca['id']}'",
                             db=own.db)
        assert after == before, "a CRL was made despite the lock: the test proves nothing"
    finally:
        holder.stdin.close()
        holder.wait(timeout=10)
    # the signer workers leave with their parent
    own.start()
    url = ca["crl_url"].replace(ca["crl_url"].split("/crl/")[0], own.public)

    def listed():
        crl = fetch_crl(url)
        e = crl_entry(crl, cert["serial"])
        return crl if e is not None and crl_reason(e) == "keyCompromise" else None
    crl, took = wait_for(listed, timeout=10)
    assert crl is not None, f"revocation not in the CRL {took:.1f}s after restart"
    rp = Relying(own, cert["certificate_pem"])
    ok, out = rp.openssl_verify()
    assert not ok and "certificate revoked" in out, out

"""Faults under load, nothing acknowledged lost (issue 13): while clients
issue and revoke without pause, PostgreSQL is restarted, the signer workers
are killed, and `troth serve` is killed with SIGKILL and started again.
Then: every answer was 2xx, 503 or a closed connection (never a 500 or
another refusal), every acknowledged certificate can be read back as it was
answered, every acknowledged revocation is on the served CRL within 2 s of
recovery, no serial was answered twice, and the audit chain verifies."""
import base64
import os
import signal
import threading
import time

import pytest
import requests
from cryptography import x509

from harness import Cluster, Server
from pki_util import Community, csr_pem, ec_key, wait_for
from test_pki_stress import signer_pids

CLIENTS = 4


@pytest.fixture
def rig():
    cluster = Cluster()
    s = Server(cluster, extra={"server": {"threads": "4"}})
    s.migrate()
    s.init()
    s.start()
    s.api = s.token("admin")
    community = Community(s, s.api)
    s.member, uris = community.member(kinds=("client",))
    s.uris = uris["client"]
    yield cluster, s
    s.stop()
    cluster.destroy()


class Load:
    """CLIENTS threads issuing, and revoking every other certificate they
    got, until stopped; every answer is kept."""

    def __init__(self, s):
        self.s, self.stop = s, threading.Event()
        self.lock = threading.Lock()
        self.answers = []      # (what, status or "closed", text)
        self.issued = {}       # serial -> DER answered
        self.revoked = set()   # acknowledged revocations
        self.threads = [threading.Thread(target=self.run, daemon=True) for _ in range(CLIENTS)]

    def call(self, what, method, path, body):
        try:
            r = requests.request(method, self.s.admin + path, json=body, timeout=15,
                                 headers={"Authorization": self.s.api.s.headers["Authorization"]})
        except requests.RequestException:
            with self.lock:
                self.answers.append((what, "closed", ""))
            time.sleep(0.05)  # a server being restarted: do not spin
            return None
        with self.lock:
            self.answers.append((what, r.status_code, r.text[:300]))
        if r.status_code == 503:
            time.sleep(0.05)
        return r

    def run(self):
        n = 0
        while not self.stop.is_set():
            r = self.call("issue", "POST", "/api/v1/certificates", {
                "member_id": self.s.member["id"], "profile": "udap-client",
                "csr": csr_pem(ec_key()), "uris": self.s.uris})
            if r is None or r.status_code != 201:
                continue
            body = r.json()
            with self.lock:
                assert body["serial"] not in self.issued, "a serial answered twice"
                self.issued[body["serial"]] = base64.b64decode(body["x5c"][0])
            n += 1
            if n % 2:
                continue
            r = self.call("revoke", "POST", f"/api/v1/certificates/{body['serial']}/revoke",
                          {"reason": "keyCompromise"})
            if r is not None and r.status_code == 200:
                with self.lock:
                    self.revoked.add(body["serial"])

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join(timeout=30)

    def progress(self, at_least):
        """Waits until at least `at_least` more certificates are acknowledged."""
        with self.lock:
            target = len(self.issued) + at_least
        ok, _ = wait_for(lambda: len(self.issued) >= target, timeout=60, step=0.1)
        assert ok, f"no progress: {self.summary()}"

    def summary(self):
        with self.lock:
            seen = {}
            for what, st, _ in self.answers:
                seen[(what, st)] = seen.get((what, st), 0) + 1
            return seen


def ready(s):
    try:
        return requests.get(s.public + "/readyz", timeout=2).status_code == 200
    except requests.RequestException:
        return False


def served_serials(s):
    der = requests.get(s.public + "/crl/issuing.crl", timeout=5).content
    return {e.serial_number for e in x509.load_der_x509_crl(der)}


def test_nothing_acknowledged_is_lost(rig):
    cluster, s = rig
    with Load(s) as load:
        load.progress(10)
        # (1) PostgreSQL restarts under the load
        cluster.stop()
        time.sleep(2)
        cluster.start()
        assert wait_for(lambda: ready(s), timeout=30)[0], "not ready after the database came back"
        load.progress(10)
        # (2) every signer worker killed
        for pid in signer_pids(s):
            os.kill(pid, signal.SIGKILL)
        load.progress(10)
        # (3) troth serve killed outright, and started again
        s.proc.send_signal(signal.SIGKILL)
        s.proc.wait()
        s.log.close()
        time.sleep(0.5)
        s.start()
        load.progress(10)
    assert wait_for(lambda: ready(s), timeout=30)[0], "not ready at the end"
    recovered = time.monotonic()

    # every answer: 2xx, 503, or a closed connection
    bad = [a for a in load.answers
           if a[1] != "closed" and not (200 <= a[1] < 300 or a[1] == 503)]
    assert not bad, f"{len(bad)} answers neither 2xx nor 503, e.g. {bad[:5]}"
    print("answers:", load.summary())
    assert len(load.issued) >= 40 and load.revoked, load.summary()

    # every acknowledged revocation is served within 2 s of recovery
    revoked = {int(x, 16) for x in load.revoked}
    wait_for(lambda: not (revoked - served_serials(s)), timeout=2, step=0.1)
    late = {format(x, "032x") for x in revoked - served_serials(s)}
    assert not late, (f"{len(late)} of {len(load.revoked)} acknowledged revocations not on the "
                      f"CRL {time.monotonic() - recovered:.1f} s after recovery")

    # every acknowledged issuance reads back as it was answered
    for serial, der in load.issued.items():
        r = s.api.get(f"/api/v1/certificates/{serial}",
                      headers={"Accept": "application/pkix-cert"})
        assert r.status_code == 200 and r.content == der, serial
    stored = int(cluster.psql("SELECT count(*) FROM certificates"))
    distinct = int(cluster.psql("SELECT count(DISTINCT serial) FROM certificates"))
    assert stored == distinct and stored >= len(load.issued)

    # the audit chain verifies (once the sealer has caught up)
    def sealed():
        r = s.api.get("/api/v1/audit/verify")
        return r.status_code == 200 and r.json()["unsealed"] == 0 and r.json()
    v, _ = wait_for(sealed, timeout=20, step=0.5)
    assert v and v["intact"] is True, v
    # every acknowledged change has its event
    events = int(cluster.psql("SELECT count(*) FROM audit_events WHERE action IN "
                              "('certificate.issue', 'certificate.revoke')"))
    assert events >= len(load.issued) + len(load.revoked), events

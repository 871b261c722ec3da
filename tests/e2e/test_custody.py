"""Key custody (issue 10 section 1): the web process started as root runs as
[server] user under seccomp, cannot read the passphrase file and holds no
key; the signer workers are confined, not dumpable and have no environment;
a forged request on the web->signer socket is refused and logged; a killed
worker gives 503, then the supervisor's replacement serves."""
import ctypes
import datetime
import os
import pwd
import re
import signal
import socket
import struct
import subprocess
import time

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from harness import Server, troth
from pki_util import Community, ec_key

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root (privilege drop)")

PROTO_SIGN_CERT, PROTO_SIGN_CRL, PROTO_RESP = 3, 4, 0x80
REFUSED = 1


@pytest.fixture(scope="module")
def srv(cluster):
    s = Server(cluster, db=cluster.new_db(), extra={"ca": {"signer_workers": "1"}})
    s.migrate()
    s.init()
    s.start()
    yield s
    s.stop()


def children(pid):
    with open(f"/proc/{pid}/task/{pid}/children") as f:
        return [int(x) for x in f.read().split()]


def status(pid):
    with open(f"/proc/{pid}/status") as f:
        return dict(line.rstrip("\n").split(":\t", 1) for line in f if ":\t" in line)


def processes(s):
    """(web, supervisor, [workers]) pids of a running server."""
    web = s.proc.pid
    (sup,) = children(web)
    return web, sup, children(sup)


def wait_workers(sup, n, old=()):
    for _ in range(500):
        w = [p for p in children(sup) if p not in old]
        if len(w) >= n:
            return w
        time.sleep(0.01)
    raise AssertionError("the supervisor did not start its workers")


def test_web_process_dropped_to_troth_under_seccomp(srv):
    web, sup, workers = processes(srv)
    troth_uid = pwd.getpwnam("troth").pw_uid
    st = status(web)
    assert st["Uid"].split() == [str(troth_uid)] * 4
    assert st["Seccomp"] == "2" and st["NoNewPrivs"] == "1"
    assert st["CapEff"] == "0000000000000000"
    # the supervisor and the workers run as nobody; workers under their own filter
    nobody = str(pwd.getpwnam("nobody").pw_uid)
    assert status(sup)["Uid"].split() == [nobody] * 4
    assert workers
    for w in workers:
        ws = status(w)
        assert ws["Uid"].split() == [nobody] * 4
        assert ws["Seccomp"] == "2"
        # not dumpable: /proc/<pid>/environ and /mem are root's only
        assert os.stat(f"/proc/{w}/environ").st_uid == 0
        with open(f"/proc/{w}/environ", "rb") as f:
            assert f.read().strip(b"\0") == b"", "a worker has an environment"


def test_web_user_cannot_read_passphrase_or_worker_memory(srv):
    web, sup, workers = processes(srv)
    r = subprocess.run(["runuser", "-u", "troth", "--", "cat", str(srv.passphrase_file)],
                       capture_output=True, text=True)
    assert r.returncode != 0 and "Permission denied" in r.stderr
    # a process of the workers' own uid cannot read their memory (not dumpable)
    for pid in [sup] + workers:
        r = subprocess.run(["runuser", "-u", "nobody", "--", "dd", f"if=/proc/{pid}/mem",
                            "bs=1", "count=1", "skip=4096"], capture_output=True, text=True)
        assert r.returncode != 0 and "Permission denied" in r.stderr, r.stderr
    # nor does the web process hold a CA key, encrypted or not
    with open(f"/proc/{web}/maps") as f:
        regions = [l.split()[0].split("-") for l in f
                   if " rw" in l and "[vvar]" not in l and "[vsyscall]" not in l]
    found = []
    with open(f"/proc/{web}/mem", "rb", buffering=0) as mem:
        for lo, hi in regions:
            lo, hi = int(lo, 16), int(hi, 16)
            if hi - lo > 64 << 20:
                continue  # sanitizer shadow and reservations
            try:
                mem.seek(lo)
                data = mem.read(hi - lo)
            except OSError:
                continue
            if b"-----BEGIN ENCRYPTED PRIVATE KEY" in data or b"ENCRYPTED PRIVATE KEY" in data:
                found.append(hex(lo))
    assert not found, f"encrypted key text in the web process at {found}"


def expect_refusal(s, why):
    s.start(wait=False)
    assert s.proc.wait(timeout=60) != 0
    s.log.close()
    s.proc = None
    assert why in s.log_text()


def test_serve_refuses_a_passphrase_file_the_web_user_can_read(cluster):
    s = Server(cluster, db=cluster.new_db())
    s.migrate()
    s.init()
    os.chown(s.passphrase_file, pwd.getpwnam("troth").pw_uid, -1)
    expect_refusal(s, "is owned by the web process's user")
    os.chown(s.passphrase_file, 0, -1)
    os.chmod(s.passphrase_file, 0o640)
    expect_refusal(s, "group and others must have no access")
    os.chmod(s.passphrase_file, 0o600)
    s.start()  # and with the file as it should be, it serves
    s.stop()


# ---- forged requests on the web->signer socket ----

def peer_fd(web, worker):
    """The web process's descriptor of its socket to `worker` (via ss)."""
    mine = int(re.search(r"\d+", os.readlink(f"/proc/{worker}/fd/3")).group())
    out = subprocess.run(["ss", "-xH"], capture_output=True, text=True, check=True).stdout
    peer = None
    for line in out.splitlines():
        f = line.split()
        if len(f) >= 8 and f[5] == str(mine):
            peer = f[7]
    assert peer, f"no peer for socket {mine}"
    for fd in os.listdir(f"/proc/{web}/fd"):
        try:
            if os.readlink(f"/proc/{web}/fd/{fd}") == f"socket:[{peer}]":
                return int(fd)
        except OSError:
            pass
    raise AssertionError("the web process holds no socket to the worker")


def steal(pid, fd):
    """pidfd_getfd(2): a copy of another process's descriptor (root)."""
    libc = ctypes.CDLL(None, use_errno=True)
    pidfd = os.pidfd_open(pid)
    try:
        got = libc.syscall(438, pidfd, fd, 0)
        assert got >= 0, os.strerror(ctypes.get_errno())
        return socket.socket(fileno=got)
    finally:
        os.close(pidfd)


def frame(kind, *fields):
    body = bytes([kind]) + struct.pack(">H", len(fields))
    for f in fields:
        body += struct.pack(">I", len(f)) + f
    return struct.pack(">I", len(body)) + body


def read_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        assert chunk, "the worker closed the connection"
        buf += chunk
    return buf


def ask(sock, kind, ca, tbs):
    sock.sendall(frame(kind, ca.encode(), tbs))
    (n,) = struct.unpack(">I", read_exact(sock, 4))
    body = read_exact(sock, n)
    assert body[0] == PROTO_RESP
    fields, p = [], 3
    while p < len(body):
        (k,) = struct.unpack(">I", body[p:p + 4])
        fields.append(body[p + 4:p + 4 + k])
        p += 4 + k
    return fields[0][0], fields[1]


def ca_cert(s, ca):
    return x509.load_der_x509_certificate(requests.get(f"{s.public}/ca/{ca}.crt").content)


def forged_cert(issuer, ca_flag, curve=ec.SECP256R1, hash_=hashes.SHA256):
    """A TBSCertificate in issuer's name (signed by a throwaway key: only the TBS counts)."""
    k = ec.generate_private_key(curve())
    now = datetime.datetime.now(datetime.timezone.utc)
    b = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "forged")]))
         .issuer_name(issuer.subject).public_key(ec_key().public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=30))
         .add_extension(x509.BasicConstraints(ca=ca_flag, path_length=None), critical=True)
         .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.public_key()), critical=False))
    return b.sign(k, hash_()).tbs_certificate_bytes


def forged_crl(issuer, days):
    k = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    b = (x509.CertificateRevocationListBuilder().issuer_name(issuer.subject).last_update(now)
         .next_update(now + datetime.timedelta(days=days))
         .add_extension(x509.CRLNumber(10 ** 9), critical=False)
         .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.public_key()), critical=False))
    return b.sign(k, hashes.SHA256()).tbs_certlist_bytes


def test_forged_requests_on_the_signer_socket_are_refused_and_logged(srv):
    web, sup, (worker,) = processes(srv)
    issuing, root = ca_cert(srv, "issuing"), ca_cert(srv, "root")
    fd = peer_fd(web, worker)
    os.kill(web, signal.SIGSTOP)  # the web process's own calls stay out of the way
    try:
        sock = steal(web, fd)
        sock.settimeout(10)
        cases = [
            (PROTO_SIGN_CERT, "issuing", forged_cert(issuing, True), "refusing to sign a CA certificate"),
            (PROTO_SIGN_CERT, "issuing", forged_cert(root, False), "issuer is not CA issuing"),
            (PROTO_SIGN_CERT, "root", forged_cert(root, False, ec.SECP384R1, hashes.SHA384),
             "a root CA signs no end-entity certificate"),
            (PROTO_SIGN_CERT, "issuing", b"\x30\x03\x02\x01\x01", "does not parse"),
            (PROTO_SIGN_CRL, "issuing", forged_crl(issuing, 9999), "more than [ca] crl_validity_hours"),
        ]
        for kind, ca, tbs, why in cases:
            st, data = ask(sock, kind, ca, tbs)
            assert st == REFUSED, (why, data)
            assert why in data.decode(), data
        sock.close()
    finally:
        os.kill(web, signal.SIGCONT)
    log = srv.log_text()
    for _, ca, _, why in cases:
        assert re.search(rf"troth-signer\[{worker}\]: refused (certificate|CRL) for CA {ca}: .*"
                         + re.escape(why), log), why
    assert requests.get(srv.public + "/readyz", timeout=10).status_code == 200


def test_killed_worker_gives_503_then_the_supervisor_replaces_it(srv):
    admin = srv.token("admin")
    community = Community(srv, admin)
    m, uris = community.member()

    def issue():
        return community.issue(admin, m["id"], "udap-client", ec_key(), uris["client"])

    assert issue().status_code == 201
    web, sup, (worker,) = processes(srv)
    os.kill(sup, signal.SIGSTOP)  # no replacement while we look
    try:
        os.kill(worker, signal.SIGKILL)
        for _ in range(2):  # the dead worker, then none alive
            r = issue()
            assert r.status_code == 503, r.text
            assert r.json()["type"].endswith("signer-unavailable") or "signer" in r.json()["detail"]
            assert r.headers.get("Retry-After")
    finally:
        os.kill(sup, signal.SIGCONT)
    start = time.monotonic()
    (new,) = wait_workers(sup, 1, old=(worker,))
    while issue().status_code != 201:
        assert time.monotonic() - start < 1.0, "no recovery within a second"
        time.sleep(0.02)
    assert status(new)["Seccomp"] == "2"
    assert "worker 0 restarted" in srv.log_text()

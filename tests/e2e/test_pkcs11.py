"""CA keys in a PKCS#11 token (issue 10 section 3), against a real SoftHSM2
token that the test initialises with softhsm2-util: `troth init
--issuing-key-store pkcs11:token=...` makes the key inside the token
(pkcs11-tool from OpenSC shows it sensitive and never extractable), the
database keeps only its URI, certificates and CRLs it signs verify with
`openssl verify -crl_check_all -x509_strict`, and a token that goes away
turns issuance and /readyz to 503, then comes back by itself."""
import os
import pathlib
import pwd
import re
import shutil
import subprocess
import tempfile
import time

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from harness import Server, troth
from pki_util import Community, Relying, ec_key

MODULE = "/usr/lib/softhsm/libsofthsm2.so"
PIN = "4711-troth"
SO_PIN = "so-pin-1234"

pytestmark = [
    pytest.mark.skipif(not os.path.exists(MODULE) or not shutil.which("pkcs11-tool"),
                       reason="scripts/deps test installs softhsm2 and opensc"),
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root (the signer drops to nobody)"),
]


class Token:
    """A SoftHSM2 token in a directory of its own (SOFTHSM2_CONF)."""

    def __init__(self, label):
        self.label = label
        self.dir = pathlib.Path(tempfile.mkdtemp(prefix="troth-softhsm."))
        os.chmod(self.dir, 0o755)
        self.tokens = self.dir / "tokens"
        self.tokens.mkdir()
        self.conf = self.dir / "softhsm2.conf"
        self.conf.write_text(f"directories.tokendir = {self.tokens}\n"
                             "objectstore.backend = file\nlog.level = ERROR\n")
        os.chmod(self.conf, 0o644)
        self.env = {"SOFTHSM2_CONF": str(self.conf)}
        self.pin_file = self.dir / "pin"
        self.pin_file.write_text(PIN + "\n")
        os.chmod(self.pin_file, 0o600)
        subprocess.run(["softhsm2-util", "--init-token", "--free", "--label", label,
                        "--so-pin", SO_PIN, "--pin", PIN], env=dict(os.environ, **self.env),
                       check=True, capture_output=True)

    def give_to_signer(self):
        """The signer workers run as nobody: SoftHSM2's files must be theirs."""
        nobody = pwd.getpwnam("nobody")
        for p in [self.tokens, *self.tokens.rglob("*")]:
            os.chown(p, nobody.pw_uid, nobody.pw_gid)

    def tool(self, *args):
        return subprocess.run(["pkcs11-tool", "--module", MODULE, "--token-label", self.label,
                               "--login", "--pin", PIN, *args], env=dict(os.environ, **self.env),
                              capture_output=True, text=True, check=True).stdout

    def store(self):
        (d,) = [p for p in self.tokens.iterdir() if p.is_dir()]
        return d

    def destroy(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def token_server(cluster, token, prefix):
    s = Server(cluster, db=cluster.new_db(prefix), extra={
        "ca": {"signer_workers": "2"},
        "pkcs11": {"module": MODULE, "pin_file": str(token.pin_file)}})
    s.migrate()
    return s


def init(s, token, *args):
    r = troth("init", *args, conf=s.conf, env=token.env)
    assert r.returncode == 0, r.stderr
    return r


@pytest.fixture(scope="module")
def softhsm():
    old = os.environ.get("SOFTHSM2_CONF")
    t = Token("troth-e2e")
    os.environ["SOFTHSM2_CONF"] = str(t.conf)  # troth serve, as an operator's unit file would
    yield t
    if old is None:
        os.environ.pop("SOFTHSM2_CONF", None)
    else:
        os.environ["SOFTHSM2_CONF"] = old
    t.destroy()


@pytest.fixture(scope="module")
def rsa_srv(cluster, softhsm):
    """Issuing CA rsa:3072 in the token, root ec:P-384 encrypted in the database."""
    s = token_server(cluster, softhsm, "p11rsa")
    init(s, softhsm, "--root-key", "ec:P-384", "--issuing-key", "rsa:3072",
         "--issuing-key-store", f"pkcs11:token={softhsm.label};object=rsa-issuing")
    softhsm.give_to_signer()
    s.admin_password = "unused"
    s.start()
    yield s
    s.stop()


def issue(s):
    admin = s.token()
    community = Community(s, admin)
    member, uris = community.member(kinds=("client",))
    return community.issue(admin, member["id"], "udap-client", ec_key(), uris["client"])


def check_chain(s, kind):
    r = issue(s)
    assert r.status_code == 201, r.text
    rp = Relying(s, r.json()["certificate_pem"])
    assert isinstance(rp.inter.public_key(), kind)
    ok, out = rp.openssl_verify()
    assert ok, out
    # the leaf and the issuing CA's CRL are the token key's signatures
    assert rp.leaf_crl.is_signature_valid(rp.inter.public_key())
    return rp


def key_objects(token):
    """pkcs11-tool's description of each private key: {label: text}."""
    out = token.tool("--list-objects", "--type", "privkey")
    blocks = re.split(r"(?m)^Private Key Object", out)[1:]
    return {re.search(r"label:\s*(\S+)", b).group(1): b for b in blocks}


def test_rsa_key_made_in_the_token_is_sensitive_and_never_extractable(rsa_srv, softhsm):
    obj = key_objects(softhsm)["rsa-issuing"]
    assert "RSA 3072" in obj or "RSA" in obj, obj
    access = re.search(r"Access:\s*(.*)", obj).group(1)
    assert "sensitive" in access and "never extractable" in access, access
    assert "always sensitive" in access and "local" in access, access
    assert re.search(r"Usage:\s*sign\b", obj), obj


def test_the_database_keeps_only_the_uri(rsa_srv, cluster):
    rows = cluster.psql("SELECT id, key_store, key_encrypted IS NULL, coalesce(key_uri, '') "
                        "FROM cas ORDER BY id", db=rsa_srv.db).splitlines()
    issuing = rows[0].split("|")
    assert issuing[:3] == ["issuing", "pkcs11", "t"], rows
    assert re.fullmatch(r"pkcs11:token=troth-e2e;object=rsa-issuing;id=(%[0-9A-F]{2}){16};type=private",
                        issuing[3]), issuing[3]
    assert rows[1].split("|")[:3] == ["root", "database", "f"], rows
    dump = subprocess.run(["pg_dump", cluster.url(rsa_srv.db)], capture_output=True,
                          check=True).stdout
    # one key in the whole database's data (COPY rows: PEM line ends as \\n): the root's
    assert dump.count(b"-----BEGIN ENCRYPTED PRIVATE KEY-----\\n") == 1
    for plain in (b"BEGIN PRIVATE KEY", b"BEGIN RSA PRIVATE KEY", b"BEGIN EC PRIVATE KEY"):
        assert plain not in dump
    api = rsa_srv.token()
    cas = {c["id"]: c for c in api.get("/api/v1/cas").json()["items"]}
    assert cas["issuing"]["key_store"] == "pkcs11"
    assert cas["issuing"]["key_uri"] == issuing[3]
    assert cas["root"]["key_uri"] is None


def test_rsa_token_key_signs_certificates_and_crls_that_openssl_verifies(rsa_srv):
    rp = check_chain(rsa_srv, rsa.RSAPublicKey)
    # a fresh CRL, signed now through the workers
    api = rsa_srv.token()
    r = api.post("/api/v1/cas/issuing/crl")
    assert r.status_code in (200, 201), r.text
    rp.refresh_crls()
    ok, out = rp.openssl_verify()
    assert ok, out


def test_ceremony_record_names_the_token(rsa_srv, cluster):
    rows = cluster.psql("SELECT details::text FROM audit_events WHERE action = 'ca.create' "
                        "AND object_id = 'issuing'", db=rsa_srv.db)
    assert "pkcs11:token=troth-e2e" in rows, rows
    uri = cluster.psql("SELECT key_uri FROM cas WHERE id = 'issuing'", db=rsa_srv.db)
    r = rsa_srv.cli("ca", "ceremony-report", "issuing")
    assert r.returncode == 0, r.stderr
    assert uri in r.stdout, r.stdout  # the witness sees where the key lives


def wait_for_status(url, want, timeout=30):
    deadline = time.time() + timeout
    r = None
    while time.time() < deadline:
        r = requests.get(url, timeout=15)
        if r.status_code == want:
            return r
        time.sleep(0.2)
    raise AssertionError(f"{url}: {r.status_code if r is not None else None}, wanted {want}: "
                         f"{r.text if r is not None else ''}")


def test_token_gone_gives_503_then_comes_back_by_itself(rsa_srv, softhsm):
    assert requests.get(rsa_srv.public + "/readyz", timeout=15).status_code == 200
    store = softhsm.store()
    hidden = softhsm.dir / "unplugged"  # out of the token directory SoftHSM2 scans
    store.rename(hidden)  # the token is gone (a pulled HSM, a dead network token)
    try:
        r = issue(rsa_srv)
        assert r.status_code == 503, r.text
        assert r.headers.get("Retry-After")
        assert r.headers["Content-Type"].startswith("application/problem+json")
        ready = wait_for_status(rsa_srv.public + "/readyz", 503)
        assert "issuing" in ready.json()["checks"]["ca"], ready.text
        assert "token" in ready.json()["checks"]["ca"], ready.text
        assert ready.headers.get("Retry-After")
    finally:
        hidden.rename(store)
    wait_for_status(rsa_srv.public + "/readyz", 200)
    check_chain(rsa_srv, rsa.RSAPublicKey)
    log = rsa_srv.log_text()
    assert "key token unavailable" in log
    assert "killed by signal 31" not in log, log[-3000:]  # SIGSYS: the sandbox refused a call


def token_probes(s):
    """troth_token_probes_total by result, from GET /metrics."""
    out = {}
    for line in s.token().get("/metrics").text.splitlines():
        if line.startswith("troth_token_probes_total{"):
            out[line.split('result="', 1)[1].split('"', 1)[0]] = int(line.rsplit(" ", 1)[1])
    return out


def test_a_flood_of_readyz_signs_in_the_token_at_most_once_a_second(rsa_srv):
    """/readyz is public: each call must not become a signature in the token
    (slow on a real HSM). The probe runs at most once a second, whatever
    the rate; callers meanwhile get the last answer."""
    before = token_probes(rsa_srv)
    session = requests.Session()
    start = time.monotonic()
    n = 0
    while time.monotonic() - start < 3.0:
        assert session.get(rsa_srv.public + "/readyz", timeout=15).status_code == 200
        n += 1
    elapsed = time.monotonic() - start
    after = token_probes(rsa_srv)
    probes = after.get("ok", 0) - before.get("ok", 0)
    assert n >= 30, n  # a flood, not a trickle
    assert 1 <= probes <= int(elapsed) + 2, (probes, n, elapsed)
    assert after.get("failed", 0) == before.get("failed", 0)


@pytest.mark.parametrize("curve,cls", [("P-256", ec.SECP256R1), ("P-384", ec.SECP384R1)])
def test_ec_token_keys_sign_what_openssl_verifies(cluster, softhsm, curve, cls):
    s = token_server(cluster, softhsm, "p11ec")
    label = f"ec-{curve.lower()}"
    init(s, softhsm, "--root-key", "ec:P-384", "--issuing-key", f"ec:{curve}",
         "--issuing-key-store", f"pkcs11:token={softhsm.label};object={label}")
    softhsm.give_to_signer()
    obj = key_objects(softhsm)[label]
    access = re.search(r"Access:\s*(.*)", obj).group(1)
    assert "sensitive" in access and "never extractable" in access, access
    s.admin_password = "unused"
    s.start()
    try:
        rp = check_chain(s, ec.EllipticCurvePublicKey)
        assert isinstance(rp.inter.public_key().curve, cls)
    finally:
        s.stop()


def test_root_and_issuing_both_in_the_token(cluster, softhsm):
    s = token_server(cluster, softhsm, "p11both")
    init(s, softhsm, "--root-key", "ec:P-384", "--issuing-key", "ec:P-256",
         "--root-key-store", f"pkcs11:token={softhsm.label};object=both-root",
         "--issuing-key-store", f"pkcs11:token={softhsm.label};object=both-issuing")
    softhsm.give_to_signer()
    rows = cluster.psql("SELECT id, key_store FROM cas ORDER BY id", db=s.db).splitlines()
    assert rows == ["issuing|pkcs11", "root|pkcs11"]
    dump = subprocess.run(["pg_dump", cluster.url(s.db)], capture_output=True, check=True).stdout
    assert b"PRIVATE KEY-----\\n" not in dump  # no PEM key in any row
    s.admin_password = "unused"
    s.start()
    try:
        check_chain(s, ec.EllipticCurvePublicKey)
        api = s.token()
        r = api.post("/api/v1/cas/root/crl")
        assert r.status_code in (200, 201), r.text
    finally:
        s.stop()


def test_bad_key_store_uris_and_missing_config_are_refused(cluster, softhsm):
    s = token_server(cluster, softhsm, "p11bad")
    for uri, why in [("pkcs11:object=x", "token=LABEL is required"),
                     ("pkcs11:token=troth-e2e?pin-value=1234", "no query attributes"),
                     ("pkcs11:token=troth-e2e;id=%01", "not an id"),
                     ("pkcs11:token=no-such-token", "no PKCS#11 token labelled no-such-token"),
                     ("file:/tmp/key", "PKCS#11 URI")]:
        r = troth("init", "--issuing-key", "ec:P-256", "--issuing-key-store", uri,
                  conf=s.conf, env=softhsm.env)
        assert r.returncode != 0 and why in r.stderr, (uri, r.stderr)
        assert cluster.psql("SELECT count(*) FROM cas", db=s.db) == "0"
    os.chmod(softhsm.pin_file, 0o644)
    try:
        r = troth("init", "--issuing-key", "ec:P-256", "--issuing-key-store",
                  f"pkcs11:token={softhsm.label}", conf=s.conf, env=softhsm.env)
        assert r.returncode != 0 and "chmod 600" in r.stderr, r.stderr
    finally:
        os.chmod(softhsm.pin_file, 0o600)


def test_cli_signs_a_crl_with_the_token_key(rsa_srv, softhsm, cluster):
    """`troth crl generate` runs its own signer supervisor: the token works there too."""
    q = "SELECT max(crl_number) FROM crls WHERE ca_id = 'issuing'"
    before = int(cluster.psql(q, db=rsa_srv.db))
    r = troth("crl", "generate", "--ca", "issuing", conf=rsa_srv.conf, env=softhsm.env)
    assert r.returncode == 0, r.stderr
    assert int(cluster.psql(q, db=rsa_srv.db)) == before + 1
    hexder = cluster.psql("SELECT encode(der, 'hex') FROM crls WHERE ca_id = 'issuing' "
                          "ORDER BY crl_number DESC LIMIT 1", db=rsa_srv.db)
    crl = x509.load_der_x509_crl(bytes.fromhex(hexder))
    issuing = x509.load_der_x509_certificate(
        requests.get(f"{rsa_srv.public}/ca/issuing.crt", timeout=10).content)
    assert crl.is_signature_valid(issuing.public_key())


def test_serve_refuses_a_pin_file_the_web_user_owns(cluster, softhsm):
    s = token_server(cluster, softhsm, "p11pin")
    init(s, softhsm, "--root-key", "ec:P-384", "--issuing-key", "ec:P-256",
         "--issuing-key-store", f"pkcs11:token={softhsm.label};object=pin-check")
    softhsm.give_to_signer()
    web = pwd.getpwnam("troth").pw_uid
    os.chown(softhsm.pin_file, web, -1)
    try:
        s.start(wait=False)
        assert s.proc.wait(timeout=60) != 0
        s.log.close()
        s.proc = None
        assert "is owned by the web process's user" in s.log_text()
        assert str(softhsm.pin_file) in s.log_text()
    finally:
        os.chown(softhsm.pin_file, 0, -1)


def test_issuing_csr_with_the_key_made_in_the_token(cluster, softhsm):
    """`troth ca issuing-csr --key-store pkcs11:...`: the key of an issuing CA
    that a root held elsewhere signs is made inside the token (sensitive,
    never extractable); `troth ca import --cert` of the signed result finds
    it there, the database keeps only its URI, and it signs what openssl
    verifies."""
    from test_issuing_csr import other_root, root_crl, sign_ca, write
    from cryptography.hazmat.primitives import serialization
    from pki_util import pem
    s = token_server(cluster, softhsm, "p11csr")
    rkey, root = other_root()
    assert s.cli("ca", "import", "--cert", write(s, "root.pem", pem(root))).returncode == 0
    uri = f"pkcs11:token={softhsm.label};object=csr-issuing"
    r = troth("ca", "issuing-csr", "--key", "ec:P-256", "--key-store", uri,
              "--out", str(s.dir / "req.csr"), conf=s.conf, env=softhsm.env)
    assert r.returncode == 0, r.stderr
    csr = x509.load_pem_x509_csr((s.dir / "req.csr").read_bytes())
    assert csr.is_signature_valid
    assert isinstance(csr.public_key().curve, ec.SECP256R1)
    obj = key_objects(softhsm)["csr-issuing"]
    access = re.search(r"Access:\s*(.*)", obj).group(1)
    assert "sensitive" in access and "never extractable" in access, access
    assert cluster.psql("SELECT key_store, key_encrypted IS NULL, key_uri LIKE $$" + uri +
                        ";id=%$$ FROM ca_pending_keys", db=s.db) == "pkcs11|t|t"
    r = troth("ca", "import", "--cert",
              str(write(s, "issuing.pem", pem(sign_ca(rkey, root, csr, s.public)))),
              conf=s.conf, env=softhsm.env)
    assert r.returncode == 0, r.stderr
    assert cluster.psql("SELECT count(*) FROM ca_pending_keys", db=s.db) == "0"
    rows = cluster.psql("SELECT id, key_store, key_encrypted IS NULL, key_uri LIKE $$" + uri +
                        ";id=%$$ FROM cas ORDER BY id", db=s.db).splitlines()
    assert rows == ["issuing|pkcs11|t|t", "root|offline|t|"], rows
    r = s.cli("crl", "import", write(s, "root.crl", root_crl(rkey, root, 3).public_bytes(
        serialization.Encoding.DER)))
    assert r.returncode == 0, r.stderr
    report = s.cli("ca", "ceremony-report", "issuing").stdout
    assert "ceremony.key.generate" in report and uri in report, report
    softhsm.give_to_signer()
    s.init()
    s.start()
    try:
        check_chain(s, ec.EllipticCurvePublicKey)
    finally:
        s.stop()

"""An offline root (`troth init --offline-root DIR`): its key stays in DIR,
its CRLs are signed there (`troth crl sign-root`) and imported (`troth crl
import`), checked with openssl(1) and python3-cryptography; /readyz warns
before a pre-signed CRL runs out and fails past it; every key event is in
the audit log and the ceremony report."""
import datetime
import hashlib
import json
import pathlib
import secrets
import subprocess
import tempfile

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from harness import Server, troth
from pki_util import Community, Relying, ec_key, pem, wait_for

ROOT_PASS = "offline root passphrase " + secrets.token_hex(8)


@pytest.fixture(scope="module")
def off(cluster):
    """A community whose root key lives in a directory of its own."""
    s = Server(cluster, db=cluster.new_db("off"))
    s.migrate()
    s.root_dir = s.dir / "root-media"
    s.pass_file = s.dir / "root-pass"
    s.pass_file.write_text(ROOT_PASS + "\n")
    r = s.cli("init", "--root-key", "ec:P-384", "--issuing-key", "ec:P-256",
              "--offline-root", s.root_dir, "--root-passphrase-file", s.pass_file,
              "--root-crl-days", "30")
    assert r.returncode == 0, r.stderr
    s.admin_password = "unused"
    s.start()
    yield s
    s.stop()


def root_cert(off):
    return x509.load_pem_x509_certificate((off.root_dir / "root.pem").read_bytes())


def root_key(off):
    return serialization.load_pem_private_key((off.root_dir / "root-key.pem").read_bytes(),
                                              ROOT_PASS.encode())


def public_crl(off, ca="root"):
    r = requests.get(f"{off.public}/crl/{ca}.crl", timeout=5)
    assert r.status_code == 200
    return x509.load_der_x509_crl(r.content)


def crl_number(crl):
    return crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number


def sign_root(off, days, out):
    return troth("crl", "sign-root", "--root", off.root_dir, "--next-update", days,
                 "--out", out, "--root-passphrase-file", off.pass_file)


def test_the_database_never_holds_the_root_key(off, cluster):
    rows = cluster.psql("SELECT id, key_store, key_encrypted IS NULL FROM cas ORDER BY id",
                        db=off.db)
    assert rows.splitlines() == ["issuing|database|f", "root|offline|t"]
    key = (off.root_dir / "root-key.pem").read_text()
    assert key.startswith("-----BEGIN ENCRYPTED PRIVATE KEY-----")
    assert oct((off.root_dir / "root-key.pem").stat().st_mode & 0o777) == "0o600"
    root_key(off)  # the passphrase opens it
    # no byte of the root's key material anywhere in the database
    dump = subprocess.run(["pg_dump", cluster.url(off.db)], capture_output=True,
                          check=True).stdout
    body = "".join(key.splitlines()[1:-1])
    assert body[:40].encode() not in dump


def test_leaf_verifies_through_the_offline_root_with_crl_check_all(off):
    admin = off.token()
    community = Community(off, admin)
    member, uris = community.member(kinds=("client",))
    r = community.issue(admin, member["id"], "udap-client", ec_key(), uris["client"])
    assert r.status_code == 201, r.text
    rp = Relying(off, r.json()["certificate_pem"])
    assert rp.roots[0] == root_cert(off)
    ok, out = rp.openssl_verify()
    assert ok, out
    first = public_crl(off)
    assert crl_number(first) == 1
    assert first.is_signature_valid(root_cert(off).public_key())
    assert first.next_update - first.last_update == datetime.timedelta(days=30)
    text = subprocess.run(["openssl", "crl", "-inform", "DER", "-noout", "-text"],
                          input=requests.get(f"{off.public}/crl/root.crl").content,
                          capture_output=True, check=True).stdout.decode()
    assert "X509v3 CRL Number" in text and "No Revoked Certificates" in text


def test_online_crl_generation_never_touches_the_offline_root(off, admin_of=None):
    r = off.cli("crl", "generate", "--ca", "root")
    assert r.returncode == 1 and "key offline" in r.stderr
    api = off.token()
    r = api.post("/api/v1/cas/root/crl")
    assert r.status_code == 409 and r.json()["type"].endswith("ca-key-offline"), r.text
    cas = {c["id"]: c for c in api.get("/api/v1/cas").json()["items"]}
    assert cas["root"]["key_store"] == "offline" and cas["issuing"]["key_store"] == "database"
    assert cas["root"]["crl_warning"] is None


def test_sign_root_import_revokes_the_intermediate(off):
    d = pathlib.Path(tempfile.mkdtemp(prefix="troth-e2e-off."))
    issuing = x509.load_der_x509_certificate(
        requests.get(f"{off.public}/ca/issuing.crt").content)
    serial = format(issuing.serial_number, "x")
    r = troth("ca", "revoke-intermediate", "--root", off.root_dir, "00" + serial.upper(),
              "--reason", "nonsense")
    assert r.returncode == 1 and "reason" in r.stderr
    r = troth("ca", "revoke-intermediate", "--root", off.root_dir, "abcdef",
              "--reason", "superseded")
    assert r.returncode == 1 and "did not sign" in r.stderr
    # a CRL valid past the warning window, without entries, then one with the revocation
    r = sign_root(off, 20, d / "crl2.pem")
    assert r.returncode == 0, r.stderr
    r = troth("ca", "revoke-intermediate", "--root", off.root_dir, serial,
              "--reason", "superseded")
    assert r.returncode == 0, r.stderr
    r = sign_root(off, 20, d / "crl3.pem")
    assert r.returncode == 0, r.stderr
    crl3 = x509.load_pem_x509_crl((d / "crl3.pem").read_bytes())
    assert crl_number(crl3) == 3 and crl3.is_signature_valid(root_cert(off).public_key())
    assert crl3.get_revoked_certificate_by_serial_number(issuing.serial_number) is not None
    # newer first: then the older one is refused (number not above)
    r = off.cli("crl", "import", d / "crl3.pem", "--ceremony-log",
                off.root_dir / "ceremony.log")
    assert r.returncode == 0, r.stderr
    r = off.cli("crl", "import", d / "crl2.pem")
    assert r.returncode == 1 and "not above" in r.stderr
    r = off.cli("crl", "import", d / "crl3.pem")
    assert r.returncode == 1 and "not above" in r.stderr
    got, _ = wait_for(lambda: crl_number(public_crl(off)) == 3, timeout=5)
    assert got, "the imported CRL was not published"
    # openssl now refuses the chain: the intermediate is revoked by the root
    admin = off.token()
    community = Community(off, admin)
    member, uris = community.member(kinds=("client",))
    leaf = community.issue(admin, member["id"], "udap-client", ec_key(), uris["client"])
    ok, out = Relying(off, leaf.json()["certificate_pem"]).openssl_verify()
    assert not ok and "certificate revoked" in out, out


def forged_crl(off, number, this_update, next_update, key=None):
    b = (x509.CertificateRevocationListBuilder()
         .issuer_name(root_cert(off).subject)
         .last_update(this_update).next_update(next_update)
         .add_extension(x509.CRLNumber(number), critical=False))
    return b.sign(key or root_key(off), hashes.SHA384()).public_bytes(
        serialization.Encoding.DER)


def import_bytes(off, data):
    p = off.dir / f"import-{secrets.token_hex(4)}.crl"
    p.write_bytes(data)
    return off.cli("crl", "import", p)


def test_import_checks_signature_times_and_issuer(off):
    now = datetime.datetime.now(datetime.timezone.utc)
    day = datetime.timedelta(days=1)
    r = import_bytes(off, forged_crl(off, 50, now - day, now + day,
                                     key=ec.generate_private_key(ec.SECP384R1())))
    assert r.returncode == 1 and "signature does not verify" in r.stderr
    r = import_bytes(off, forged_crl(off, 50, now - 3 * day, now - day))
    assert r.returncode == 1 and "past its nextUpdate" in r.stderr
    r = import_bytes(off, forged_crl(off, 50, now + day, now + 3 * day))
    assert r.returncode == 1 and "thisUpdate is in the future" in r.stderr
    r = import_bytes(off, b"not a CRL")
    assert r.returncode == 1 and "not a DER or PEM" in r.stderr
    issuing_crl = requests.get(f"{off.public}/crl/issuing.crl").content
    r = import_bytes(off, issuing_crl)
    assert r.returncode == 1 and "signs its own CRLs here" in r.stderr
    assert crl_number(public_crl(off)) == 3


def test_readyz_warns_then_fails_naming_the_root(off):
    # a CRL inside the 7-day warning window: ready, with a warning
    d = pathlib.Path(tempfile.mkdtemp(prefix="troth-e2e-off."))
    r = sign_root(off, 2, d / "short.pem")
    assert r.returncode == 0, r.stderr
    r = off.cli("crl", "import", d / "short.pem")
    assert r.returncode == 0, r.stderr

    def warned():
        j = requests.get(off.public + "/readyz").json()
        return j if j["warnings"] else None
    j, _ = wait_for(warned, timeout=5)
    assert j and j["status"] == "ready", j
    assert "offline CA root" in j["warnings"][0]
    cas = {c["id"]: c for c in off.token().get("/api/v1/cas").json()["items"]}
    assert "offline CA root" in cas["root"]["crl_warning"]
    # one that runs out in seconds: past its nextUpdate /readyz is 503 naming the CA
    now = datetime.datetime.now(datetime.timezone.utc)
    r = import_bytes(off, forged_crl(off, 100, now - datetime.timedelta(seconds=1),
                                     now + datetime.timedelta(seconds=3)))
    assert r.returncode == 0, r.stderr

    def failing():
        resp = requests.get(off.public + "/readyz")
        return resp if resp.status_code == 503 else None
    resp, _ = wait_for(failing, timeout=30, step=0.5)
    assert resp is not None, "readyz stayed 200 past the root CRL's nextUpdate"
    assert "offline CA root is past its nextUpdate" in resp.json()["checks"]["ca"]
    # the ceremony brings the next: ready again
    r = sign_root(off, 30, d / "next.pem")
    assert r.returncode == 0, r.stderr
    # its number (from DIR) is below the forged 100: bump DIR's counter the
    # way a second ceremony machine would not; use import's strictness
    r = off.cli("crl", "import", d / "next.pem")
    assert r.returncode == 1 and "not above" in r.stderr
    (off.root_dir / "crlnumber").write_text("100\n")
    r = sign_root(off, 30, d / "next.pem")
    assert r.returncode == 0, r.stderr
    r = off.cli("crl", "import", d / "next.pem", "--ceremony-log",
                off.root_dir / "ceremony.log")
    assert r.returncode == 0, r.stderr
    ok, _ = wait_for(lambda: requests.get(off.public + "/readyz").status_code == 200,
                     timeout=5)
    assert ok


def test_ceremony_report_and_audit_events(off, cluster):
    spki = hashlib.sha256(root_cert(off).public_key().public_bytes(
        serialization.Encoding.DER,
        serialization.PublicFormat.SubjectPublicKeyInfo)).hexdigest()
    log = [json.loads(line) for line in
           (off.root_dir / "ceremony.log").read_text().splitlines()]
    events = [e["event"] for e in log]
    assert events[:4] == ["key.generate", "certificate.sign", "certificate.sign", "crl.sign"]
    assert "ca.revoke" in events
    for e in log:
        assert e["spki_sha256"] == spki and e["key"] == "EC P-384"
        assert e["key_location"] == f"offline:{off.root_dir.resolve()}"
        assert e["operator"] and e["host"]
    r = off.cli("ca", "ceremony-report", "root")
    assert r.returncode == 0, r.stderr
    t = r.stdout
    assert 'KEY CEREMONY TRANSCRIPT: certificate authority "root"' in t
    assert "offline (never on this system)" in t
    for what in ("ca.create", "ceremony.key.generate", "ceremony.certificate.sign",
                 "ceremony.crl.sign", "ceremony.ca.revoke", "ceremony.crl.import"):
        assert what in t, what
    assert spki in t and "Witness:" in t and "intact" in t
    # imported once each, however often the log is handed in
    n = cluster.psql("SELECT count(*) FROM audit_events WHERE action = "
                     "'ceremony.key.generate' AND object_id = 'root'", db=off.db)
    assert n == "1"
    r = off.cli("ca", "ceremony-report", "issuing")
    assert r.returncode == 0 and "database-encrypted" in r.stdout
    assert off.cli("ca", "ceremony-report", "nosuch").returncode == 1


def test_the_signature_record_lists_what_the_offline_root_signed(off, cluster):
    """Signed on the ceremony machine, recorded as it came in: both CA
    certificates of `init --offline-root`, and every root CRL imported, with
    the SHA-256 of their TBS computed here."""
    api = off.token()
    r = api.get("/api/v1/cas/root/signatures", params={"limit": 200})
    assert r.status_code == 200, r.text
    rows = r.json()["items"]
    assert all(s["state"] == "issued" and s["ca"] == "root" for s in rows), rows
    certs = {int(s["serial"], 16): s for s in rows if s["kind"] == "certificate"}
    issuing = x509.load_der_x509_certificate(
        requests.get(f"{off.public}/ca/issuing.crt", timeout=5).content)
    for cert in (root_cert(off), issuing):
        s = certs[cert.serial_number]
        assert s["tbs_sha256"] == hashlib.sha256(cert.tbs_certificate_bytes).hexdigest()
    crls = {s["crl_number"]: s for s in rows if s["kind"] == "crl"}
    stored = cluster.psql("SELECT crl_number, encode(der, 'hex') FROM crls "
                          "WHERE ca_id = 'root'", db=off.db).splitlines()
    assert stored
    for line in stored:
        number, der = line.split("|")
        crl = x509.load_der_x509_crl(bytes.fromhex(der))
        s = crls[int(number)]
        assert s["tbs_sha256"] == hashlib.sha256(crl.tbs_certlist_bytes).hexdigest()
        assert s["signed_sha256"] == hashlib.sha256(bytes.fromhex(der)).hexdigest()


def test_crl_import_carries_the_offline_signing_record(off):
    """`crl sign-root` (no database) records, in DIR/ceremony.log, the CRL's
    number, TBS and DER hashes, operator and host; `crl import --ceremony-log`
    puts that record into the import's audit event."""
    import getpass
    import socket
    d = pathlib.Path(tempfile.mkdtemp(prefix="troth-e2e-off."))
    r = sign_root(off, 20, d / "carried.pem")
    assert r.returncode == 0, r.stderr
    crl = x509.load_pem_x509_crl((d / "carried.pem").read_bytes())
    der = crl.public_bytes(serialization.Encoding.DER)
    r = off.cli("crl", "import", d / "carried.pem", "--ceremony-log",
                off.root_dir / "ceremony.log")
    assert r.returncode == 0, r.stderr
    api = off.token()
    ev = api.get("/api/v1/audit", params={"action": "ceremony.crl.import",
                                          "object_id": "root"}).json()["items"][0]["details"]
    assert ev["crl_number"] == crl_number(crl)
    at = ev["signed_at_ceremony"]
    assert at and at["crl_number"] == crl_number(crl)
    assert at["tbs_sha256"] == hashlib.sha256(crl.tbs_certlist_bytes).hexdigest()
    assert at["crl_sha256"] == hashlib.sha256(der).hexdigest() == ev["crl_sha256"]
    assert at["operator"] == getpass.getuser() and at["host"] == socket.gethostname()
    assert at["key_location"] == f"offline:{off.root_dir.resolve()}"

"""An issuing CA signed by a root held elsewhere: `troth ca import --cert`
of the root alone, `troth ca issuing-csr`, the other CA signs it (here
python3-cryptography), `troth ca import --cert` of the result, the root's
CRL with `troth crl import`; then a member certificate verifies with
`openssl verify -crl_check_all`."""
import datetime
import subprocess

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from harness import Server
from pki_util import Community, Relying, ec_key, pem

NOW = datetime.datetime.now(datetime.timezone.utc)
DAY = datetime.timedelta(days=1)


def other_root():
    key = ec.generate_private_key(ec.SECP384R1())
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Elsewhere PKI"),
                      x509.NameAttribute(NameOID.COMMON_NAME, "Elsewhere Root")])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(NOW - DAY).not_valid_after(NOW + 3650 * DAY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True,
                                         False, False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                           critical=False)
            .sign(key, hashes.SHA384()))
    return key, cert


def sign_ca(root_key, root, csr, public):
    return (x509.CertificateBuilder().subject_name(csr.subject).issuer_name(root.subject)
            .public_key(csr.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(NOW - DAY).not_valid_after(NOW + 1825 * DAY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True,
                                         False, False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(csr.public_key()),
                           critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                root_key.public_key()), critical=False)
            .add_extension(x509.CRLDistributionPoints([x509.DistributionPoint(
                [x509.UniformResourceIdentifier(f"{public}/crl/root.crl")], None, None,
                None)]), critical=False)
            .sign(root_key, hashes.SHA384()))


def root_crl(root_key, root, number):
    return (x509.CertificateRevocationListBuilder().issuer_name(root.subject)
            .last_update(NOW - datetime.timedelta(minutes=1)).next_update(NOW + 30 * DAY)
            .add_extension(x509.CRLNumber(number), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                root_key.public_key()), critical=False)
            .sign(root_key, hashes.SHA384()))


@pytest.fixture(scope="module")
def elsewhere(cluster):
    s = Server(cluster, db=cluster.new_db("csr"))
    s.migrate()
    yield s
    s.stop()


def write(s, name, data):
    p = s.dir / name
    p.write_bytes(data if isinstance(data, bytes) else data.encode())
    return p


def test_issuing_ca_for_a_root_held_elsewhere(elsewhere, cluster):
    s = elsewhere
    rkey, root = other_root()
    r = s.cli("ca", "import", "--cert", write(s, "root.pem", pem(root)))
    assert r.returncode == 0, r.stderr
    assert cluster.psql("SELECT key_store, key_encrypted IS NULL FROM cas", db=s.db) == \
        "offline|t"
    r = s.cli("ca", "issuing-csr", "--key", "ec:P-384", "--out", s.dir / "req.csr")
    assert r.returncode == 0, r.stderr
    p = subprocess.run(["openssl", "req", "-in", s.dir / "req.csr", "-verify", "-noout",
                        "-subject"], capture_output=True, text=True)
    assert p.returncode == 0 and "verify OK" in p.stdout + p.stderr, p.stderr
    assert "E2E Community Issuing CA" in p.stdout
    csr = x509.load_pem_x509_csr((s.dir / "req.csr").read_bytes())
    assert isinstance(csr.public_key(), ec.EllipticCurvePublicKey)
    assert csr.public_key().curve.name == "secp384r1"
    assert cluster.psql("SELECT count(*) FROM ca_pending_keys", db=s.db) == "1"
    # a certificate for a key not made here is refused
    stranger = x509.CertificateSigningRequestBuilder().subject_name(csr.subject).sign(
        ec_key(), hashes.SHA256())
    r = s.cli("ca", "import", "--cert",
              write(s, "stranger.pem", pem(sign_ca(rkey, root, stranger, s.public))))
    assert r.returncode == 1 and "no key made here matches" in r.stderr
    # the signed result completes the CA
    r = s.cli("ca", "import", "--cert",
              write(s, "issuing.pem", pem(sign_ca(rkey, root, csr, s.public))))
    assert r.returncode == 0, r.stderr
    assert cluster.psql("SELECT count(*) FROM ca_pending_keys", db=s.db) == "0"
    rows = cluster.psql("SELECT id, kind, key_store, issues_members FROM cas ORDER BY id",
                        db=s.db)
    assert rows.splitlines() == ["issuing|issuing|database|t", "root|root|offline|f"]
    r = s.cli("crl", "import", write(s, "root.crl", root_crl(rkey, root, 7).public_bytes(
        serialization.Encoding.DER)))
    assert r.returncode == 0 and "root: CRL 7" in r.stdout, r.stderr
    s.init()
    s.start()
    admin = s.token()
    community = Community(s, admin)
    member, uris = community.member(kinds=("client",))
    leaf = community.issue(admin, member["id"], "udap-client", ec_key(), uris["client"])
    assert leaf.status_code == 201, leaf.text
    ok, out = Relying(s, leaf.json()["certificate_pem"]).openssl_verify()
    assert ok, out
    report = s.cli("ca", "ceremony-report", "issuing").stdout
    assert "ceremony.key.generate" in report and "ca.import" in report
    assert "database-encrypted" in report

"""Helpers for the PKI tests: members with approved URIs, CSRs, and checks by
independent implementations (openssl(1), GnuTLS certtool, python3-cryptography)
of what Troth issues and publishes."""
import base64
import datetime
import itertools
import os
import re
import subprocess
import tempfile
import time

import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import CRLEntryExtensionOID, ExtensionOID, NameOID

_n = itertools.count()


def uniq(prefix):
    """Unique per run; "pki" keeps these apart from other modules' names."""
    return f"{prefix}pki{os.getpid()}x{next(_n)}"


# ---- keys and CSRs ----

def ec_key(curve=ec.SECP256R1):
    return ec.generate_private_key(curve())


def rsa_key(bits=2048):
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def csr_pem(key, cn="ignored by the CA", uris=()):
    """A PKCS#10 request; the CA must build the subject itself."""
    b = x509.CertificateSigningRequestBuilder().subject_name(
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn),
                   x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Not The Member")]))
    if uris:
        b = b.add_extension(x509.SubjectAlternativeName(
            [x509.UniformResourceIdentifier(u) for u in uris]), critical=False)
    algo = None if isinstance(key, (_ed25519_type(),)) else hashes.SHA256()
    return b.sign(key, algo).public_bytes(serialization.Encoding.PEM).decode()


def _ed25519_type():
    from cryptography.hazmat.primitives.asymmetric import ed25519
    return ed25519.Ed25519PrivateKey


def key_pem(key):
    return key.private_bytes(serialization.Encoding.PEM,
                             serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def spki(key_or_cert):
    pub = key_or_cert.public_key()
    return pub.public_bytes(serialization.Encoding.DER,
                            serialization.PublicFormat.SubjectPublicKeyInfo)


# ---- the community: members with approved URIs, member users ----

class Community:
    def __init__(self, server, admin):
        self.server, self.admin = server, admin

    def member(self, kinds=("client",), n_uris=1, activate=True, name=None):
        """An active member with approved URIs; returns (member, {kind: [uri]})."""
        name = name or uniq("Org ") + " Health, Inc."
        r = self.admin.post("/api/v1/members", json={
            "name": name, "organization_id": f"https://{uniq('org')}.example/"})
        assert r.status_code == 201, r.text
        m = r.json()
        if activate:
            r = self.admin.post(f"/api/v1/members/{m['id']}/activate")
            assert r.status_code == 200, r.text
            m = r.json()
        uris = {}
        for kind in kinds:
            host = uniq(kind)
            for i in range(n_uris):
                uri = f"https://{host}.example.org/{kind}/{i}"
                self.add_uri(m["id"], uri, kind)
                uris.setdefault(kind, []).append(uri)
        return m, uris

    def add_uri(self, member_id, uri, kind):
        # look-alikes are asked about first (issue 14 §12): tests add them on purpose
        r = self.admin.post(f"/api/v1/members/{member_id}/uris",
                            json={"uri": uri, "kind": kind, "confirm_lookalike": True})
        assert r.status_code == 201, r.text
        assert r.json()["status"] == "approved"
        return r.json()

    def member_user(self, member_id):
        return self.server.user(uniq("mu"), "member", member=member_id)

    def issue(self, api, member_id, profile, key, uris, **extra):
        body = {"member_id": member_id, "profile": profile, "csr": csr_pem(key),
                "uris": list(uris), **extra}
        return api.post("/api/v1/certificates", json=body)


# ---- fetching what the public listener publishes ----

def fetch(url):
    r = requests.get(url, timeout=10)
    assert r.status_code == 200, (url, r.status_code, r.text[:200])
    return r


def cdp_url(cert):
    dps = cert.extensions.get_extension_for_oid(ExtensionOID.CRL_DISTRIBUTION_POINTS).value
    urls = [n.value for dp in dps for n in dp.full_name
            if isinstance(n, x509.UniformResourceIdentifier)]
    assert len(urls) == 1 and urls[0].startswith("http://"), urls
    return urls[0]


def aia_url(cert):
    aia = cert.extensions.get_extension_for_oid(ExtensionOID.AUTHORITY_INFORMATION_ACCESS).value
    urls = [d.access_location.value for d in aia
            if d.access_method == x509.oid.AuthorityInformationAccessOID.CA_ISSUERS]
    assert len(urls) == 1 and urls[0].startswith("http://"), urls
    return urls[0]


def fetch_crl(url):
    r = fetch(url)
    assert r.headers["Content-Type"] == "application/pkix-crl"
    return x509.load_der_x509_crl(r.content)


def fetch_cert(url):
    r = fetch(url)
    assert r.headers["Content-Type"] == "application/pkix-cert"
    return x509.load_der_x509_certificate(r.content)


def anchors(server):
    r = fetch(server.public + "/anchors.pem")
    return r.text


def load_pems(text):
    """Every certificate in a PEM text (cryptography 38 has no
    load_pem_x509_certificates)."""
    if isinstance(text, bytes):
        text = text.decode()
    blocks = re.findall(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----",
                        text, re.S)
    return [x509.load_pem_x509_certificate(b.encode()) for b in blocks]


def pem(obj):
    return obj.public_bytes(serialization.Encoding.PEM).decode()


def der(obj):
    return obj.public_bytes(serialization.Encoding.DER)


class Relying:
    """What a relying party does: follow AIA and CDP URLs from the leaf."""

    def __init__(self, server, leaf_pem):
        self.server = server
        self.leaf = x509.load_pem_x509_certificate(leaf_pem.encode())
        self.inter = fetch_cert(aia_url(self.leaf))
        self.leaf_crl = fetch_crl(cdp_url(self.leaf))
        self.inter_crl = fetch_crl(cdp_url(self.inter))
        self.anchors_pem = anchors(server)
        self.roots = load_pems(self.anchors_pem)

    def refresh_crls(self):
        self.leaf_crl = fetch_crl(cdp_url(self.leaf))
        self.inter_crl = fetch_crl(cdp_url(self.inter))

    def openssl_verify(self):
        """(ok, output) of `openssl verify -crl_check_all`."""
        with tempfile.TemporaryDirectory() as d:
            files = {"anchors.pem": self.anchors_pem, "inter.pem": pem(self.inter),
                     "leaf.pem": pem(self.leaf), "crl1.pem": pem(self.leaf_crl),
                     "crl2.pem": pem(self.inter_crl)}
            for name, text in files.items():
                with open(os.path.join(d, name), "w") as f:
                    f.write(text)
            p = subprocess.run(
                ["openssl", "verify", "-crl_check_all", "-x509_strict",
                 "-CAfile", "anchors.pem", "-untrusted", "inter.pem",
                 "-CRLfile", "crl1.pem", "-CRLfile", "crl2.pem", "leaf.pem"],
                cwd=d, capture_output=True, text=True)
            return p.returncode == 0 and "leaf.pem: OK" in p.stdout, p.stdout + p.stderr

    def certtool_verify(self):
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "anchors.pem"), "w") as f:
                f.write(self.anchors_pem)
            with open(os.path.join(d, "chain.pem"), "w") as f:
                f.write(pem(self.leaf) + pem(self.inter))
            with open(os.path.join(d, "crls.pem"), "w") as f:
                f.write(pem(self.leaf_crl) + pem(self.inter_crl))
            p = subprocess.run(
                ["certtool", "--verify", "--load-ca-certificate", "anchors.pem",
                 "--load-crl", "crls.pem", "--infile", "chain.pem"],
                cwd=d, capture_output=True, text=True)
            return p.returncode == 0, p.stdout + p.stderr


def signed_by(cert_or_crl, issuer):
    """Checks a certificate's signature with the issuer's public key."""
    pub = issuer.public_key()
    sig, tbs = cert_or_crl.signature, cert_or_crl.tbs_certificate_bytes
    h = cert_or_crl.signature_hash_algorithm
    if isinstance(pub, rsa.RSAPublicKey):
        pub.verify(sig, tbs, padding.PKCS1v15(), h)
    else:
        pub.verify(sig, tbs, ec.ECDSA(h))


def ext(cert, oid):
    return cert.extensions.get_extension_for_oid(oid)


def utc(dt):
    return dt.replace(tzinfo=datetime.timezone.utc) if dt.tzinfo is None else dt


def parse_time(s):
    return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=datetime.timezone.utc)


def crl_entry(crl, serial_hex):
    e = crl.get_revoked_certificate_by_serial_number(int(serial_hex, 16))
    return e


def crl_reason(entry):
    try:
        return entry.extensions.get_extension_for_oid(
            CRLEntryExtensionOID.CRL_REASON).value.reason.value
    except x509.ExtensionNotFound:
        return None


def wait_for(pred, timeout=2.0, step=0.05):
    """Polls pred() until it returns a truthy value or timeout; returns the
    last value (and the elapsed time)."""
    start = time.monotonic()
    while True:
        v = pred()
        if v or time.monotonic() - start >= timeout:
            return v, time.monotonic() - start
        time.sleep(step)


def b64der(s):
    return base64.b64decode(s, validate=True)


def count_rows(cluster, table, db="troth"):
    return int(cluster.psql(f"SELECT count(*) FROM {table}", db=db))

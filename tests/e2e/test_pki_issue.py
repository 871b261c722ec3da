"""Issuance checked by independent implementations: openssl verify with the
CRLs and intermediate a relying party fetches from the certificate's own CDP
and AIA URLs, GnuTLS certtool, and python3-cryptography for the profile.
Refused requests: the right 4xx problem and field, and nothing stored."""
import base64
import datetime
import hashlib
import os
import re
import subprocess
import tempfile

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtensionOID, NameOID

from harness import Unchanged, problem
from pki_util import (Community, Relying, cdp_url, fetch_crl, load_pems, csr_pem, ec_key, ext,
                      key_pem, parse_time,
                      rsa_key, signed_by, spki, uniq, utc)


@pytest.fixture(scope="module")
def profiles(admin):
    r = admin.get("/api/v1/profiles")
    assert r.status_code == 200, r.text
    return {p["name"]: p for p in r.json()["items"]}


@pytest.fixture(scope="module")
def issuing(admin):
    cas = admin.get("/api/v1/cas").json()["items"]
    return next(c for c in cas if c["kind"] == "issuing")


def host_of(uri):
    """The host as written (case kept), as Troth puts it in the CN."""
    rest = uri.split("://", 1)[1]
    return re.split(r"[:/?#]", rest, 1)[0]


def check_certificate(server, body, member, profile, uris, profiles, key=None):
    """Everything a relying party and the UDAP profile require of one
    issued certificate; returns the Relying view."""
    leaf = x509.load_pem_x509_certificate(body["certificate_pem"].encode())
    rp = Relying(server, body["certificate_pem"])
    inter = rp.inter
    root = next(r for r in rp.roots if r.subject == inter.issuer)

    # the independent verifiers
    ok, out = rp.openssl_verify()
    assert ok, out
    ok, out = rp.certtool_verify()
    assert ok, out

    # the API's chain forms are leaf, then the intermediate from AIA
    x5c = [base64.b64decode(c, validate=True) for c in body["x5c"]]
    assert x5c == [leaf.public_bytes(serialization.Encoding.DER),
                   inter.public_bytes(serialization.Encoding.DER)]
    chain = load_pems(body["chain_pem"].encode())
    assert chain == [leaf, inter]

    # signatures, each with its issuer's public key
    signed_by(leaf, inter)
    signed_by(inter, root)
    signed_by(root, root)
    assert leaf.issuer == inter.subject

    # extensions of the leaf
    bc = ext(leaf, ExtensionOID.BASIC_CONSTRAINTS)
    assert bc.critical and bc.value.ca is False
    ku = ext(leaf, ExtensionOID.KEY_USAGE)
    assert ku.critical and ku.value.digital_signature
    assert not any([ku.value.key_cert_sign, ku.value.crl_sign, ku.value.key_encipherment,
                    ku.value.content_commitment, ku.value.data_encipherment,
                    ku.value.key_agreement])
    with pytest.raises(x509.ExtensionNotFound):
        ext(leaf, ExtensionOID.EXTENDED_KEY_USAGE)   # no EKU by default
    assert profiles[profile]["extended_key_usage"] == []
    ski = ext(leaf, ExtensionOID.SUBJECT_KEY_IDENTIFIER).value
    assert ski.digest == x509.SubjectKeyIdentifier.from_public_key(leaf.public_key()).digest
    aki = ext(leaf, ExtensionOID.AUTHORITY_KEY_IDENTIFIER).value
    assert aki.key_identifier == ext(inter, ExtensionOID.SUBJECT_KEY_IDENTIFIER).value.digest
    iaki = ext(inter, ExtensionOID.AUTHORITY_KEY_IDENTIFIER).value
    assert iaki.key_identifier == ext(root, ExtensionOID.SUBJECT_KEY_IDENTIFIER).value.digest
    ibc = ext(inter, ExtensionOID.BASIC_CONSTRAINTS)
    assert ibc.critical and ibc.value.ca and ibc.value.path_length == 0

    # serial: 16 random bytes, positive
    raw = leaf.tbs_certificate_bytes
    assert leaf.serial_number > 0
    assert 2 ** 120 <= leaf.serial_number < 2 ** 127
    assert f"{leaf.serial_number:032x}" == body["serial"]
    assert bytes.fromhex(body["serial"]) in raw   # 16 content octets, no padding

    # validity: within the profile, inside the CA, backdated at most 5 minutes
    now = datetime.datetime.now(datetime.timezone.utc)
    nb, na = utc(leaf.not_valid_before), utc(leaf.not_valid_after)
    assert now - datetime.timedelta(minutes=5, seconds=30) <= nb <= now
    assert na - nb <= datetime.timedelta(days=profiles[profile]["days"], minutes=5)
    assert utc(inter.not_valid_before) <= nb and na <= utc(inter.not_valid_after)
    assert parse_time(body["not_before"]) == nb and parse_time(body["not_after"]) == na

    # SAN URIs byte-exact, in order; nothing else in the SAN
    san = ext(leaf, ExtensionOID.SUBJECT_ALTERNATIVE_NAME).value
    assert [n.value for n in san] == list(uris)
    assert all(isinstance(n, x509.UniformResourceIdentifier) for n in san)
    for u in uris:
        assert u.encode() in raw    # IA5String, not normalised by any library
    assert body["uris"] == list(uris)

    # subject from the member record, not from the CSR
    assert leaf.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == member["name"]
    assert leaf.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == host_of(uris[0])
    assert "Not The Member" not in leaf.subject.rfc4514_string()

    assert body["member_id"] == member["id"] and body["profile"] == profile
    assert body["status"] == "valid"
    assert body["fingerprint_sha256"].replace(":", "").lower() == \
        hashlib.sha256(leaf.public_bytes(serialization.Encoding.DER)).hexdigest()
    if key is not None:
        assert spki(leaf) == spki(key)
    return rp


CASES = [
    ("udap-client", "EC P-256", lambda: ec_key(), "client"),
    ("udap-client", "RSA-2048", lambda: rsa_key(2048), "client"),
    ("udap-client", "EC P-384", lambda: ec_key(ec.SECP384R1), "client"),
    ("udap-server", "RSA-2048", lambda: rsa_key(2048), "server"),
]


@pytest.mark.parametrize("profile,label,make_key,kind", CASES,
                         ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_issued_certificate_verifies_independently(server, admin, community, profiles,
                                                   profile, label, make_key, kind):
    host = uniq("App")
    uris = [f"https://{host.lower()}.example.org/{kind}",
            f"https://{host.lower()}.example.org/{kind}/",          # trailing slash
            f"https://{host}.Example.ORG/{kind}"]                   # mixed-case host
    m, _ = community.member(kinds=())
    for u in uris:
        community.add_uri(m["id"], u, kind)
    key = make_key()
    r = community.issue(admin, m["id"], profile, key, uris)
    assert r.status_code == 201, r.text
    body = r.json()
    check_certificate(server, body, m, profile, uris, profiles, key)
    # the stored certificate is the one answered
    g = admin.get(f"/api/v1/certificates/{body['serial']}")
    assert g.status_code == 200 and g.json()["certificate_pem"] == body["certificate_pem"]
    d = admin.get(f"/api/v1/certificates/{body['serial']}",
                  headers={"Accept": "application/pkix-cert"})
    assert d.status_code == 200
    assert d.content == base64.b64decode(body["x5c"][0])
    f = admin.get(f"/api/v1/certificates/{body['serial']}.der")
    assert f.status_code == 200 and f.content == d.content
    assert f.headers["Content-Disposition"] == f'attachment; filename="{body["serial"]}.der"'


def test_member_user_issues_for_itself_with_common_name(server, community, profiles):
    m, uris = community.member(kinds=("idp",))
    mu = community.member_user(m["id"])
    key = rsa_key()
    r = community.issue(mu, m["id"], "udap-server", key, uris["idp"], common_name="My IdP")
    assert r.status_code == 201, r.text
    leaf = x509.load_pem_x509_certificate(r.json()["certificate_pem"].encode())
    assert leaf.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "My IdP"
    rp = Relying(server, r.json()["certificate_pem"])
    assert rp.openssl_verify()[0]


def test_intermediate_and_root_profile(server, issuing):
    inter = x509.load_der_x509_certificate(
        __import__("requests").get(issuing["certificate_url"]).content)
    roots = load_pems(__import__("requests").get(server.public + "/anchors.pem").content)
    assert len(roots) >= 1
    for root in roots:
        assert root.issuer == root.subject
        bc = ext(root, ExtensionOID.BASIC_CONSTRAINTS)
        assert bc.critical and bc.value.ca
        ku = ext(root, ExtensionOID.KEY_USAGE)
        assert ku.critical and ku.value.key_cert_sign and ku.value.crl_sign
        ext(root, ExtensionOID.SUBJECT_KEY_IDENTIFIER)
        # a trust anchor carries no AIA (one relying-party library loops on
        # it) and no CRL distribution point of its own
        for oid in (ExtensionOID.AUTHORITY_INFORMATION_ACCESS,
                    ExtensionOID.CRL_DISTRIBUTION_POINTS):
            with pytest.raises(x509.ExtensionNotFound):
                root.extensions.get_extension_for_oid(oid)
    # every CA below the anchor names a CRL a relying party can fetch
    # (chain-checking validators such as Inferno's): the root's, signed by it
    root_crl = fetch_crl(cdp_url(inter))
    issuer = next(r for r in roots if r.subject == inter.issuer)
    assert root_crl.issuer == inter.issuer
    assert root_crl.is_signature_valid(issuer.public_key())
    assert root_crl.next_update > datetime.datetime.utcnow()
    ku = ext(inter, ExtensionOID.KEY_USAGE)
    assert ku.critical and ku.value.key_cert_sign and ku.value.crl_sign


# ---- refused requests ----

def Nothing(cluster):
    """Asserts the block stores no certificate and no certificate audit event."""
    return Unchanged(cluster, ("certificates",), audit_like="certificate.%")


def tampered_csr(key):
    """A CSR whose signature is broken by one flipped bit in its last byte."""
    der = x509.load_pem_x509_csr(csr_pem(key).encode()).public_bytes(
        serialization.Encoding.DER)
    bad = der[:-1] + bytes([der[-1] ^ 0x01])
    return "-----BEGIN CERTIFICATE REQUEST-----\n" + \
        base64.encodebytes(bad).decode() + "-----END CERTIFICATE REQUEST-----\n"


@pytest.fixture(scope="module")
def actors(community):
    """Two active members with client, server URIs; one pending URI; a user."""
    a, ua = community.member(kinds=("client", "server"))
    b, ub = community.member(kinds=("client", "server"))
    mu = community.member_user(a["id"])
    pending_uri = f"https://{uniq('pend')}.example.org/app"
    r = mu.post(f"/api/v1/members/{a['id']}/uris", json={"uri": pending_uri, "kind": "client"})
    assert r.status_code == 201 and r.json()["status"] == "pending", r.text
    return {"a": a, "ua": ua, "b": b, "ub": ub, "mu": mu, "pending": pending_uri}


_RSA = rsa_key()


_refusals = {}


def refusals(actors):
    """The refused requests, built once per module (key generation is slow)."""
    if id(actors) not in _refusals:
        _refusals[id(actors)] = _build_refusals(actors)
    return _refusals[id(actors)]


def _build_refusals(actors):
    a, ua, b, ub = actors["a"], actors["ua"], actors["b"], actors["ub"]
    client, server_uri = ua["client"], ua["server"]
    ok_csr = lambda: csr_pem(_RSA)  # noqa: E731
    return {
        "bad-signature": (dict(member_id=a["id"], profile="udap-client",
                               csr=tampered_csr(_RSA), uris=client),
                          422, "csr-signature-invalid", "csr"),
        "bad-signature-ec": (dict(member_id=a["id"], profile="udap-client",
                                  csr=tampered_csr(ec_key()), uris=client),
                             422, "csr-signature-invalid", "csr"),
        "rsa-1024": (dict(member_id=a["id"], profile="udap-client",
                          csr=csr_pem(rsa_key(1024)), uris=client), 422, "key-weak", "csr"),
        "p-521": (dict(member_id=a["id"], profile="udap-client",
                       csr=csr_pem(ec_key(ec.SECP521R1)), uris=client),
                  422, "key-type-not-allowed", "csr"),
        "secp256k1": (dict(member_id=a["id"], profile="udap-client",
                           csr=csr_pem(ec_key(ec.SECP256K1)), uris=client),
                      422, "key-type-not-allowed", "csr"),
        "ed25519": (dict(member_id=a["id"], profile="udap-client",
                         csr=csr_pem(ed25519.Ed25519PrivateKey.generate()), uris=client),
                    422, "key-type-not-allowed", "csr"),
        "ec-for-server": (dict(member_id=a["id"], profile="udap-server",
                               csr=csr_pem(ec_key()), uris=server_uri),
                          422, "rsa-required", "csr"),
        "uri-unknown": (dict(member_id=a["id"], profile="udap-client", csr=ok_csr(),
                             uris=[f"https://{uniq('nobody')}.example.org/"]),
                        422, "uri-not-approved", "uris"),
        "uri-pending": (dict(member_id=a["id"], profile="udap-client", csr=ok_csr(),
                             uris=[actors["pending"]]), 422, "uri-not-approved", "uris"),
        "uri-of-other-member": (dict(member_id=a["id"], profile="udap-client", csr=ok_csr(),
                                     uris=ub["client"]), 422, "uri-not-approved", "uris"),
        "one-of-two-uris-foreign": (dict(member_id=a["id"], profile="udap-client",
                                         csr=ok_csr(), uris=client + ub["client"]),
                                    422, "uri-not-approved", "uris"),
        "server-uri-for-client": (dict(member_id=a["id"], profile="udap-client",
                                       csr=ok_csr(), uris=server_uri),
                                  422, "uri-not-approved", "uris"),
        "client-uri-for-server": (dict(member_id=a["id"], profile="udap-server",
                                       csr=ok_csr(), uris=client),
                                  422, "uri-not-approved", "uris"),
        "lookalike-uri": (dict(member_id=a["id"], profile="udap-client", csr=ok_csr(),
                               uris=[client[0] + "/"]), 422, "uri-not-approved", "uris"),
        "no-uris": (dict(member_id=a["id"], profile="udap-client", csr=ok_csr(), uris=[]),
                    422, None, "uris"),
        "malformed-pem": (dict(member_id=a["id"], profile="udap-client",
                               csr="-----BEGIN CERTIFICATE REQUEST-----\nnot base64!\n"
                                   "-----END CERTIFICATE REQUEST-----\n", uris=client),
                          400, "csr-malformed", "csr"),
        "certificate-not-csr": (dict(member_id=a["id"], profile="udap-client",
                                     csr="garbage", uris=client), 400, "csr-malformed", "csr"),
        "missing-csr": (dict(member_id=a["id"], profile="udap-client", uris=client),
                        400, None, "csr"),
        "missing-member": (dict(profile="udap-client", csr=ok_csr(), uris=client),
                           400, None, "member_id"),
        "missing-profile": (dict(member_id=a["id"], csr=ok_csr(), uris=client),
                            400, None, "profile"),
        "missing-uris": (dict(member_id=a["id"], profile="udap-client", csr=ok_csr()),
                         400, None, "uris"),
        "unknown-field": (dict(member_id=a["id"], profile="udap-client", csr=ok_csr(),
                               uris=client, key_usage="keyCertSign"), 400, None, "key_usage"),
        "unknown-profile": (dict(member_id=a["id"], profile="udap-ca", csr=ok_csr(),
                                 uris=client), 422, "profile-unknown", "profile"),
        "unknown-member": (dict(member_id="999999999", profile="udap-client", csr=ok_csr(),
                                uris=client), 404, "member-not-found", "member_id"),
    }


REFUSALS = ["bad-signature", "bad-signature-ec", "rsa-1024", "p-521", "secp256k1",
            "ed25519", "ec-for-server", "uri-unknown", "uri-pending", "uri-of-other-member",
            "one-of-two-uris-foreign", "server-uri-for-client", "client-uri-for-server",
            "lookalike-uri", "no-uris", "malformed-pem", "certificate-not-csr",
            "missing-csr", "missing-member", "missing-profile", "missing-uris",
            "unknown-field", "unknown-profile", "unknown-member"]


@pytest.mark.parametrize("case", REFUSALS)
def test_refused_issuance_stores_nothing(cluster, admin, actors, case):
    body, status, kind, field = refusals(actors)[case]
    with Nothing(cluster):
        p = problem(admin.post("/api/v1/certificates", json=body), status, kind)
    assert p.get("field") == field, p


def test_member_user_cannot_issue_for_another_member(cluster, actors):
    mu, b, ub = actors["mu"], actors["b"], actors["ub"]
    with Nothing(cluster):
        p = problem(mu.post("/api/v1/certificates", json={
            "member_id": b["id"], "profile": "udap-client", "csr": csr_pem(_RSA),
            "uris": ub["client"]}), 404, "member-not-found")
        # nor with keygen
        problem(mu.post("/api/v1/certificates/keygen", json={
            "member_id": b["id"], "profile": "udap-client", "uris": ub["client"],
            "key_type": "EC-P256", "passphrase": "long enough pass"}), 404, "member-not-found")
    assert p["field"] == "member_id"


@pytest.mark.parametrize("state", ["pending", "suspended", "terminated"])
def test_member_not_active_is_refused(cluster, admin, community, state):
    m, uris = community.member(kinds=("client",), activate=(state != "pending"))
    if state == "pending":
        # operator-added URIs on a pending member are approved; the member is not active
        pass
    elif state == "suspended":
        assert admin.post(f"/api/v1/members/{m['id']}/suspend").status_code == 200
    else:
        assert admin.post(f"/api/v1/members/{m['id']}/terminate").status_code == 200
    with Nothing(cluster):
        r = community.issue(admin, m["id"], "udap-client", _RSA, uris.get("client", []))
        p = problem(r, 422)
    assert p["type"] in ("urn:troth:problem:member-not-active",
                         "urn:troth:problem:uri-not-approved"), p
    if state != "terminated":
        assert p["type"] == "urn:troth:problem:member-not-active" and p["field"] == "member_id"


# ---- keygen ----

def openssl_pkcs12(path, passphrase, *extra):
    return subprocess.run(["openssl", "pkcs12", "-in", path, "-info", "-noenc",
                           "-passin", f"pass:{passphrase}", *extra],
                          capture_output=True, text=True)


# .NET 9's default Pkcs12LoaderLimits (X509CertificateLoader, and so
# X509Certificate2 in the UDAP reference implementation): at most 300,000
# iterations for the MAC and for each key derivation, 1,000,000 for all key
# derivations together (a count equal to a limit passes).
DOTNET_MAC_LIMIT, DOTNET_KDF_LIMIT, DOTNET_TOTAL_LIMIT = 300_000, 300_000, 1_000_000


def pkcs12_iterations(path, passphrase):
    """The iteration counts in a PKCS#12 file as OpenSSL and GnuTLS read them:
    (mac, [each PBKDF2 derivation]); both must agree."""
    import re
    out = openssl_pkcs12(path, passphrase, "-noout")
    assert out.returncode == 0, out.stderr
    info = out.stdout + out.stderr
    mac = [int(n) for n in re.findall(r"^MAC: sha256, Iteration (\d+)$", info, re.M)]
    kdfs = [int(n) for n in re.findall(
        r"PBES2, PBKDF2, AES-256-CBC, Iteration (\d+), PRF hmacWithSHA256$", info, re.M)]
    assert len(mac) == 1 and len(kdfs) == 2, info  # certificates' safe, shrouded key
    gt = subprocess.run(["certtool", "--p12-info", "--inder", "--infile", path,
                         "--password", passphrase], capture_output=True, text=True)
    assert gt.returncode == 0, gt.stderr
    counts = [int(n) for n in re.findall(r"Iteration count: (\d+)", gt.stdout)]
    assert counts == mac + kdfs or sorted(counts) == sorted(mac + kdfs), (counts, info)
    assert "MAC: SHA256" in gt.stdout and gt.stdout.count("PBES2-AES256-CBC") == 2, gt.stdout
    return mac[0], kdfs


@pytest.mark.parametrize("key_type,profile", [("EC-P256", "udap-client"),
                                              ("RSA-2048", "udap-server")])
def test_keygen_pkcs12_opens_in_dotnet(admin, community, key_type, profile):
    """Within .NET 9's default loading limits (else X509Certificate2 throws
    Pkcs12LoadLimitExceededException), still AES-256 + PBKDF2-HMAC-SHA256."""
    kind = "client" if profile == "udap-client" else "server"
    m, uris = community.member(kinds=(kind,))
    passphrase = "dotnet " + uniq("")
    r = admin.post("/api/v1/certificates/keygen", json={
        "member_id": m["id"], "profile": profile, "uris": uris[kind],
        "key_type": key_type, "passphrase": passphrase})
    assert r.status_code == 201, r.text
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "member.p12")
        with open(path, "wb") as f:
            f.write(base64.b64decode(r.json()["pkcs12"], validate=True))
        mac, kdfs = pkcs12_iterations(path, passphrase)
    assert mac <= DOTNET_MAC_LIMIT, mac
    assert all(k <= DOTNET_KDF_LIMIT for k in kdfs), kdfs
    # counted with the MAC, though .NET counts only the derivations
    assert mac + sum(kdfs) <= DOTNET_TOTAL_LIMIT, (mac, kdfs)
    # and not weakened beyond need: the largest count .NET takes per derivation
    assert mac == 300_000 and kdfs == [300_000, 300_000], (mac, kdfs)


@pytest.mark.parametrize("key_type,profile", [("EC-P256", "udap-client"),
                                              ("RSA-2048", "udap-server")])
def test_keygen_pkcs12(server, cluster, admin, community, profiles, key_type, profile):
    kind = "client" if profile == "udap-client" else "server"
    m, uris = community.member(kinds=(kind,))
    passphrase = "pässphrase " + uniq("")
    r = admin.post("/api/v1/certificates/keygen", json={
        "member_id": m["id"], "profile": profile, "uris": uris[kind],
        "key_type": key_type, "passphrase": passphrase})
    assert r.status_code == 201, r.text
    body = r.json()
    p12 = base64.b64decode(body["pkcs12"], validate=True)
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "member.p12")
        with open(path, "wb") as f:
            f.write(p12)
        # opened by OpenSSL 3 without -legacy (AES-256-CBC + PBKDF2, not RC2/3DES)
        out = openssl_pkcs12(path, passphrase)
        assert out.returncode == 0, out.stderr
        info = out.stdout + out.stderr
        assert "AES-256-CBC" in info and "PBKDF2" in info, info
        assert "RC2" not in info and "3DES" not in info and "pbeWithSHA1" not in info, info
        assert info.count("BEGIN CERTIFICATE") == 2
        assert "BEGIN PRIVATE KEY" in info
        # refused with a wrong or missing passphrase
        bad = openssl_pkcs12(path, "wrong " + passphrase)
        assert bad.returncode != 0 and "BEGIN PRIVATE KEY" not in bad.stdout
        bad = openssl_pkcs12(path, "")
        assert bad.returncode != 0 and "BEGIN PRIVATE KEY" not in bad.stdout
    # python3-cryptography agrees: the key matches the certificate, chain follows
    key, cert, more = pkcs12.load_key_and_certificates(p12, passphrase.encode())
    with pytest.raises(ValueError):
        pkcs12.load_key_and_certificates(p12, b"wrong passphrase")
    leaf = x509.load_pem_x509_certificate(body["certificate_pem"].encode())
    assert cert == leaf and spki(key) == spki(leaf)
    inter = load_pems(body["chain_pem"].encode())[1]
    assert more == [inter]
    if key_type == "EC-P256":
        assert isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name == "secp256r1"
    else:
        assert isinstance(key, rsa.RSAPrivateKey) and key.key_size == 2048
    check_certificate(server, body, m, profile, uris[kind], profiles)

    # the private key is nowhere in the database
    dump = subprocess.run(["pg_dump", "--data-only", cluster.url()], capture_output=True,
                          check=True).stdout
    pkcs8_der = key.private_bytes(serialization.Encoding.DER,
                                  serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption())
    body_lines = [ln for ln in key_pem(key).splitlines() if not ln.startswith("-----")]
    assert len(body_lines) >= 2
    for ln in body_lines[:-1]:
        assert ln.encode() not in dump
    assert pkcs8_der.hex().encode() not in dump
    if key_type == "EC-P256":
        scalar = key.private_numbers().private_value.to_bytes(32, "big")
    else:
        scalar = key.private_numbers().d.to_bytes(256, "big").lstrip(b"\0")
    assert scalar.hex().encode() not in dump
    assert base64.b64encode(scalar) not in dump
    assert body["pkcs12"].encode()[:64] not in dump


def test_keygen_refuses_short_passphrase_and_bad_key_type(cluster, admin, community):
    m, uris = community.member(kinds=("client",))
    with Nothing(cluster):
        p = problem(admin.post("/api/v1/certificates/keygen", json={
            "member_id": m["id"], "profile": "udap-client", "uris": uris["client"],
            "key_type": "EC-P256", "passphrase": "short"}), 422)
        assert p["field"] == "passphrase"
        p = problem(admin.post("/api/v1/certificates/keygen", json={
            "member_id": m["id"], "profile": "udap-client", "uris": uris["client"],
            "key_type": "EC-P521", "passphrase": "long enough pass"}), 400)
        assert p["field"] == "key_type"
        p = problem(admin.post("/api/v1/certificates/keygen", json={
            "member_id": m["id"], "profile": "udap-server", "uris": uris["client"],
            "key_type": "EC-P256", "passphrase": "long enough pass"}), 422, "rsa-required")
        assert p["field"] == "key_type" or p["field"] == "csr"


# ---- renewal ----

def test_renew_keeps_member_profile_uris(server, admin, community, profiles):
    m, uris = community.member(kinds=("client",), n_uris=2)
    r = community.issue(admin, m["id"], "udap-client", ec_key(), uris["client"])
    assert r.status_code == 201, r.text
    old = r.json()
    mu = community.member_user(m["id"])
    key = rsa_key()
    r = mu.post(f"/api/v1/certificates/{old['serial']}/renew", json={"csr": csr_pem(key)})
    assert r.status_code == 201, r.text
    new = r.json()
    assert new["serial"] != old["serial"]
    assert new["renewed_from"] == old["serial"]
    assert (new["member_id"], new["profile"], new["uris"]) == \
        (old["member_id"], old["profile"], old["uris"])
    assert new["subject"] == old["subject"]
    check_certificate(server, new, m, "udap-client", uris["client"], profiles, key)
    a = x509.load_pem_x509_certificate(old["certificate_pem"].encode())
    b = x509.load_pem_x509_certificate(new["certificate_pem"].encode())
    assert spki(a) != spki(b)
    # another member's user cannot renew it
    other, _ = community.member(kinds=("client",))
    ou = community.member_user(other["id"])
    problem(ou.post(f"/api/v1/certificates/{old['serial']}/renew",
                    json={"csr": csr_pem(key)}), 404)
    # a weak key is refused on renewal too
    problem(mu.post(f"/api/v1/certificates/{old['serial']}/renew",
                    json={"csr": csr_pem(rsa_key(1024))}), 422, "key-weak")


# ---- renewal with a key made here (issue 14 item 11) ----

def keygen_cert(admin, community, passphrase="first passphrase"):
    m, uris = community.member(kinds=("client",))
    r = admin.post("/api/v1/certificates/keygen", json={
        "member_id": m["id"], "profile": "udap-client", "uris": uris["client"],
        "key_type": "EC-P256", "passphrase": passphrase})
    assert r.status_code == 201, r.text
    return m, uris, r.json()


def test_key_origin_is_recorded(admin, community):
    m, uris = community.member(kinds=("client",))
    r = community.issue(admin, m["id"], "udap-client", ec_key(), uris["client"])
    assert r.status_code == 201 and r.json()["key_origin"] == "csr", r.text
    _, _, made = keygen_cert(admin, community)
    assert made["key_origin"] == "keygen"
    assert admin.get(f"/api/v1/certificates/{made['serial']}").json()["key_origin"] == "keygen"


def test_renew_with_keygen(server, cluster, admin, community, profiles):
    m, uris, old = keygen_cert(admin, community)
    old_key, _, _ = pkcs12.load_key_and_certificates(base64.b64decode(old["pkcs12"]),
                                                     b"first passphrase")
    mu = community.member_user(m["id"])
    passphrase = "renewed passphrase"
    r = mu.post(f"/api/v1/certificates/{old['serial']}/renew",
                json={"keygen": {"key_type": "EC-P384", "passphrase": passphrase}})
    assert r.status_code == 201, r.text
    new = r.json()
    assert new["key_origin"] == "keygen" and new["renewed_from"] == old["serial"]
    assert (new["member_id"], new["profile"], new["uris"]) == \
        (old["member_id"], old["profile"], old["uris"])
    # the key comes back once, as the keygen route gives it: PKCS#12
    p12 = base64.b64decode(new["pkcs12"], validate=True)
    key, cert, more = pkcs12.load_key_and_certificates(p12, passphrase.encode())
    leaf = x509.load_pem_x509_certificate(new["certificate_pem"].encode())
    assert cert == leaf and spki(key) == spki(leaf)
    assert isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name == "secp384r1"
    assert spki(key) != spki(old_key)
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "renewed.p12")
        with open(path, "wb") as f:
            f.write(p12)
        out = openssl_pkcs12(path, passphrase)
        assert out.returncode == 0 and "BEGIN PRIVATE KEY" in out.stdout, out.stderr
    check_certificate(server, new, m, "udap-client", uris["client"], profiles)
    got = admin.get(f"/api/v1/certificates/{new['serial']}").json()
    assert got["key_origin"] == "keygen" and "pkcs12" not in got
    assert admin.get(f"/api/v1/certificates/{old['serial']}").json()["renewed_by"] == \
        new["serial"]
    ev = admin.get("/api/v1/audit", params={"action": "certificate.renew",
                                            "object_id": new["serial"]}).json()["items"]
    assert len(ev) == 1 and ev[0]["details"]["renewed_from"] == old["serial"]
    assert ev[0]["details"]["key_origin"] == "keygen"
    # a CSR renewal of a keygen certificate gives a csr one
    r = admin.post(f"/api/v1/certificates/{new['serial']}/renew",
                   json={"csr": csr_pem(ec_key())})
    assert r.status_code == 201 and r.json()["key_origin"] == "csr", r.text
    assert "pkcs12" not in r.json()


def test_renew_bad_bodies_change_nothing(cluster, admin, community):
    _, _, old = keygen_cert(admin, community)
    url = f"/api/v1/certificates/{old['serial']}/renew"
    good = {"key_type": "EC-P256", "passphrase": "long enough pass"}
    cases = [
        ({}, 400, "csr"),
        ({"csr": None, "keygen": None}, 400, "csr"),
        ({"csr": csr_pem(ec_key()), "keygen": good}, 400, "keygen"),
        ({"keygen": "EC-P256"}, 400, "keygen"),
        ({"keygen": {}}, 400, "keygen.key_type"),
        ({"keygen": {"key_type": "EC-P256"}}, 400, "keygen.passphrase"),
        ({"keygen": {**good, "extra": 1}}, 400, "keygen.extra"),
        ({"keygen": {**good, "key_type": "EC-P521"}}, 400, "keygen.key_type"),
        ({"keygen": {**good, "passphrase": 8}}, 400, "keygen.passphrase"),
        ({"keygen": {**good, "passphrase": "short"}}, 422, "keygen.passphrase"),
        ({"keygen": {**good, "key_type": "RSA-2048", "passphrase": "x" * 2000}}, 400,
         "keygen.passphrase"),
    ]
    with Unchanged(cluster, ("certificates", "signatures"), audit_like="certificate.%"):
        for body, status, field in cases:
            r = admin.post(url, json=body)
            p = problem(r, status)
            assert p["field"] == field, (body, p)
            assert r.headers["Content-Type"].startswith("application/problem+json")

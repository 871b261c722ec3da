"""UDAP identifiers as the IG and TEFCA write them: fragments
("namespace#value", "#T-TREAT") for organization_id and client URIs, refused
for FHIR base URLs; did:web, urn:uuid, IPv6 literals, explicit ports,
percent-encoded paths, uppercase hosts; stored, compared, written into the
SAN and returned byte-exact, and read back by relying parties nobody here
wrote: python3-cryptography, openssl(1), Go's crypto/x509 and Java's PKIX
with CRL distribution points. Forms Go's parser refuses are refused at
registration with the reason."""
import json
import os
import shutil
import subprocess
import tempfile
import uuid

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtensionOID, NameOID

from harness import problem
from pki_util import Community, ec_key, fetch, rsa_key, uniq


def client_forms():
    h = uniq("id")
    return [
        f"https://fhir.{h}.example.org/r4#T-TREAT",
        f"urn:oid:2.16.840.1.113883.4.6#{h}",
        f"did:web:{h}.example.org",
        f"did:web:{h}.example.org%3A8443:apps:a#key-1",
        f"urn:uuid:{uuid.uuid4()}",
        f"https://[2001:db8::{abs(hash(h)) % 65535:x}]:8443/app",
        f"https://{h}.example.org:8443/app",
        f"https://{h}.example.org/a%20b/%C3%A9/x%2Fy",
        f"https://{h.upper()}.Example.ORG/App",
        f"https://{h}.example.org/app#a/b?c=d:e@f!$&'()*+,;=%41",
    ]


@pytest.fixture(scope="module")
def issued(server, admin, community):
    """One member with a "namespace#value" organization_id and every client
    form approved; one certificate per form, and a server certificate."""
    org = f"urn:oid:2.16.840.1.113883.4.6#{uniq('')}"
    r = admin.post("/api/v1/members", json={"name": uniq("Ident ") + " Org",
                                            "organization_id": org})
    assert r.status_code == 201, r.text
    m = r.json()
    assert m["organization_id"] == org
    assert admin.post(f"/api/v1/members/{m['id']}/activate").status_code == 200
    out = []
    for uri in client_forms():
        u = community.add_uri(m["id"], uri, "client")
        assert u["uri"] == uri
        r = community.issue(admin, m["id"], "udap-client", ec_key(), [uri])
        assert r.status_code == 201, (uri, r.text)
        out.append((uri, r.json()))
    server_uri = f"https://fhir.{uniq('srv')}.example.org:8443/r4"
    community.add_uri(m["id"], server_uri, "server")
    r = community.issue(admin, m["id"], "udap-server", rsa_key(), [server_uri])
    assert r.status_code == 201, r.text
    out.append((server_uri, r.json()))
    return m, out


@pytest.fixture(scope="module")
def files(server, issued):
    d = tempfile.mkdtemp(prefix="troth-ident.")
    anchors = os.path.join(d, "anchors.pem")
    with open(anchors, "w") as f:
        f.write(fetch(server.public + "/anchors.pem").text)
    paths = []
    for i, (uri, body) in enumerate(issued[1]):
        leaf, chain = os.path.join(d, f"{i}.pem"), os.path.join(d, f"{i}.chain.pem")
        with open(leaf, "w") as f:
            f.write(body["certificate_pem"])
        with open(chain, "w") as f:
            f.write(body["chain_pem"])
        paths.append((uri, leaf, chain))
    yield anchors, paths
    shutil.rmtree(d, ignore_errors=True)


def test_byte_exact_in_api_and_san(admin, issued):
    m, certs = issued
    listed = {u["uri"] for u in admin.get(f"/api/v1/members/{m['id']}/uris").json()["items"]}
    for uri, body in certs:
        assert uri in listed
        assert body["uris"] == [uri]
        cert = x509.load_pem_x509_certificate(body["certificate_pem"].encode())
        san = cert.extensions.get_extension_for_oid(ExtensionOID.SUBJECT_ALTERNATIVE_NAME)
        assert san.value.get_values_for_type(x509.UniformResourceIdentifier) == [uri]
        assert uri.encode() in cert.public_bytes(
            __import__("cryptography.hazmat.primitives.serialization",
                       fromlist=["Encoding"]).Encoding.DER)
        got = admin.get(f"/api/v1/certificates/{body['serial']}").json()
        assert got["uris"] == [uri]
        found = admin.get("/api/v1/certificates", params={"uri": uri}).json()["items"]
        assert [c["serial"] for c in found] == [body["serial"]]


def test_openssl_reads_and_verifies(files):
    anchors, paths = files
    for uri, leaf, chain in paths:
        p = subprocess.run(["openssl", "x509", "-in", leaf, "-noout", "-ext", "subjectAltName"],
                           capture_output=True, text=True)
        assert p.returncode == 0 and f"URI:{uri}" in p.stdout, (uri, p.stdout, p.stderr)
        p = subprocess.run(["openssl", "verify", "-x509_strict", "-CAfile", anchors,
                            "-untrusted", chain, leaf], capture_output=True, text=True)
        assert p.returncode == 0, (uri, p.stdout, p.stderr)


def test_go_crypto_x509_parses_and_verifies(files, go_x509):
    anchors, paths = files
    p = subprocess.run([go_x509] + [chain for _, _, chain in paths], capture_output=True,
                       text=True, env=dict(os.environ, ROOTS=anchors), timeout=60)
    assert p.returncode == 0, p.stderr
    results = [json.loads(line) for line in p.stdout.splitlines()]
    assert len(results) == len(paths)
    for (uri, leaf, chain), r in zip(paths, results):
        assert r["ok"], (uri, r)
        assert r["uris"] == [uri], (uri, r)


def test_java_pkix_validates_with_crls(files, pkix_java):
    anchors, paths = files
    p = subprocess.run(pkix_java + [anchors], capture_output=True, text=True, timeout=120,
                       input="".join(f"{leaf} {chain}\n" for _, leaf, chain in paths))
    assert p.returncode == 0, p.stderr
    got = p.stdout.splitlines()
    assert got == ["OK"] * len(paths), list(zip([u for u, _, _ in paths], got))


def test_cn_is_the_host_or_absent(issued):
    for uri, body in issued[1]:
        cert = x509.load_pem_x509_certificate(body["certificate_pem"].encode())
        cns = [a.value for a in cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
        if "://" in uri:
            host = uri.split("://", 1)[1].split("/")[0]
            host = host.split("]")[0] + "]" if host.startswith("[") else host.split(":")[0]
            assert cns == [host], (uri, cns)
        else:
            assert cns == ([uri] if len(uri) <= 64 else []), (uri, cns)


def test_cn_fallback_for_long_hosts(admin, community):
    m, _ = community.member(kinds=())
    for n, want_cn in ((64, True), (65, False)):
        label = "h" * (n - len(".example.org"))
        uri = f"https://{label}.example.org/app"
        community.add_uri(m["id"], uri, "client")
        r = community.issue(admin, m["id"], "udap-client", ec_key(), [uri])
        assert r.status_code == 201, r.text
        cert = x509.load_pem_x509_certificate(r.json()["certificate_pem"].encode())
        cns = [a.value for a in cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
        assert cns == ([f"{label}.example.org"] if want_cn else []), (n, cns)
        orgs = cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
        assert [o.value for o in orgs] == [m["name"]]


def test_server_uri_fragment_refused_with_reason(admin, community):
    m, _ = community.member(kinds=())
    for kind in ("server", "idp"):
        p = problem(admin.post(f"/api/v1/members/{m['id']}/uris",
                               json={"uri": "https://fhir.example.org/r4#T-TREAT",
                                     "kind": kind}), 400)
        assert p["field"] == "uri" and "fetch" in p["detail"], p


@pytest.mark.parametrize("uri", [
    "https://fhir.example.org./r4",          # absolute name: trailing dot
    "https://fhir.example.org.:8443/r4",
    "https://.fhir.example.org/r4",
    "https://fhir..example.org/r4",
    "https://fhir%2Eexample.org/r4",         # percent-escape in the host
    "https://caf%C3%A9.example.org/r4",
])
def test_forms_go_refuses_are_refused(admin, community, go_x509, uri):
    m, _ = community.member(kinds=())
    for kind in ("client", "server"):
        p = problem(admin.post(f"/api/v1/members/{m['id']}/uris",
                               json={"uri": uri, "kind": kind}), 400)
        assert p["field"] == "uri" and "Go" in p["detail"], p
    p = problem(admin.post("/api/v1/members", json={"name": "n", "organization_id": uri}), 400)
    assert p["field"] == "organization_id" and "Go" in p["detail"], p


def test_go_really_refuses_those_forms(go_x509):
    """The reason given is true: Go refuses the whole certificate."""
    from cryptography.hazmat.primitives import hashes
    import datetime
    key = ec_key()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "t")])
    now = datetime.datetime.now(datetime.timezone.utc)
    d = tempfile.mkdtemp(prefix="troth-go-refuse.")
    try:
        root = os.path.join(d, "root.pem")
        ca = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
              .public_key(key.public_key()).serial_number(1)
              .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
              .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
              .sign(key, hashes.SHA256()))
        from cryptography.hazmat.primitives.serialization import Encoding
        with open(root, "wb") as f:
            f.write(ca.public_bytes(Encoding.PEM))
        leaves = []
        for i, uri in enumerate(["https://a.example.org./r4", "https://a%2Eexample.org/r4",
                                 "https://a.example.org/r4"]):
            c = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                 .public_key(key.public_key()).serial_number(10 + i)
                 .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
                 .add_extension(x509.SubjectAlternativeName(
                     [x509.UniformResourceIdentifier(uri)]), False)
                 .sign(key, hashes.SHA256()))
            path = os.path.join(d, f"{i}.pem")
            with open(path, "wb") as f:
                f.write(c.public_bytes(Encoding.PEM))
            leaves.append(path)
        p = subprocess.run([go_x509] + leaves, capture_output=True, text=True,
                           env=dict(os.environ, ROOTS=root), timeout=60)
        res = [json.loads(line) for line in p.stdout.splitlines()]
        assert "cannot parse URI" in res[0]["error"], res[0]
        assert "cannot parse URI" in res[1]["error"], res[1]
        assert "cannot parse URI" not in res[2]["error"], res[2]
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_fragment_lookalikes(admin, community):
    a, _ = community.member(kinds=())
    b, _ = community.member(kinds=())
    base = f"https://fhir.{uniq('look')}.example.org/r4"
    first = community.add_uri(a["id"], base + "#T-TREAT", "client")
    for variant in (base, base + "#t-treat", base.replace("fhir.", "FHIR.") + "#T-TREAT"):
        # a look-alike, not a conflict: asked about, then stored when confirmed
        p = problem(admin.post(f"/api/v1/members/{b['id']}/uris",
                               json={"uri": variant, "kind": "client"}), 409, "uri-lookalike")
        assert first["uri"] in {x["uri"] for x in p["lookalikes"]}
        r = admin.post(f"/api/v1/members/{b['id']}/uris",
                       json={"uri": variant, "kind": "client", "confirm_lookalike": True})
        assert r.status_code == 201, r.text
        assert r.json()["uri"] == variant
        looks = {x["uri"] for x in r.json()["lookalikes"]}
        assert first["uri"] in looks, (variant, looks)
    # another purpose of the same URI is its own identifier, not a look-alike;
    # nor is B's own URI without the fragment (B registers purposes on purpose)
    r = admin.post(f"/api/v1/members/{b['id']}/uris",
                   json={"uri": base + "#T-PYMNT", "kind": "client"})
    assert r.status_code == 201, r.text
    assert r.json()["lookalikes"] == []
    # the URI with its fragment belongs to one member
    p = problem(admin.post(f"/api/v1/members/{b['id']}/uris",
                           json={"uri": base + "#T-TREAT", "kind": "client"}), 409)
    assert p["field"] == "uri"


def test_uppercase_host_is_a_lookalike_of_lowercase(admin, community):
    a, _ = community.member(kinds=())
    host = uniq("case")
    community.add_uri(a["id"], f"https://{host}.example.org/app", "client")
    r = admin.post(f"/api/v1/members/{a['id']}/uris",
                   json={"uri": f"https://{host.upper()}.EXAMPLE.org/app", "kind": "client",
                         "confirm_lookalike": True})
    assert r.status_code == 201 and r.json()["uri"] == f"https://{host.upper()}.EXAMPLE.org/app"
    assert [x["uri"] for x in r.json()["lookalikes"]] == [f"https://{host}.example.org/app"]


def test_legal_name_over_64_characters_refused_at_create_and_update(admin, community):
    p = problem(admin.post("/api/v1/members", json={"name": "\u00e9" * 65,
                                                    "organization_id": f"urn:x:{uniq('')}"}), 400)
    assert p["field"] == "name" and "64" in p["detail"]
    r = admin.post("/api/v1/members", json={"name": "\u00e9" * 64,
                                            "organization_id": f"urn:x:{uniq('')}"})
    assert r.status_code == 201, r.text
    p = problem(admin.patch(f"/api/v1/members/{r.json()['id']}", json={"name": "a" * 65}), 400)
    assert p["field"] == "name"
    # the 64-character name issues
    m = r.json()
    assert admin.post(f"/api/v1/members/{m['id']}/activate").status_code == 200
    uri = f"https://{uniq('n64')}.example.org/app"
    community.add_uri(m["id"], uri, "client")
    r = community.issue(admin, m["id"], "udap-client", ec_key(), [uri])
    assert r.status_code == 201, r.text

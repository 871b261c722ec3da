"""Each community's certificate policy in troth.conf: [profile NAME]
sections (issue 16 section 2). The shipped tefca-client example (taken from
the repository's troth.conf) issues '#T-TREAT' certificates and refuses a
fragment outside its list or none; a DirectTrust-style profile writes
certificatePolicies OIDs, both EKUs, a subject of O alone, and holds to its
key types and URI count. Checked with python3-cryptography, openssl(1) and
GnuTLS certtool; GET /api/v1/profiles shows all of it; a misconfigured
profile stops start-up with file:line."""
import configparser
import os
import subprocess
import tempfile

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID, ExtensionOID, NameOID

from harness import Server, problem
from pki_util import Community, anchors as anchors_pem, ec_key, rsa_key, uniq

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
POLICIES = ["2.16.840.1.113883.3.7204.1.1", "1.3.6.1.4.1.41179.2.1"]


def shipped_section(name):
    cp = configparser.ConfigParser(interpolation=None, comment_prefixes=("#", ";"),
                                   inline_comment_prefixes=None)
    cp.read(os.path.join(REPO, "troth.conf"))
    return dict(cp[name])


@pytest.fixture(scope="module")
def srv(cluster):
    db = cluster.new_db("profiles")
    s = Server(cluster, db=db, extra={
        "profile tefca-client": shipped_section("profile tefca-client"),
        "profile dt-client": {
            "description": "DirectTrust-style client",
            "uri_kinds": "client", "key_types": "EC-P256, RSA-3072", "validity_days": "30",
            "max_uris": "1", "certificate_policies": ", ".join(POLICIES),
            "eku": "clientAuth, serverAuth", "san_fragment": "forbid", "subject": "O"},
    })
    s.migrate()
    s.init()
    s.start()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def admin(srv):
    return srv.token("admin")


@pytest.fixture(scope="module")
def community(srv, admin):
    return Community(srv, admin)


def openssl_verify(srv, body):
    with tempfile.TemporaryDirectory() as d:
        anchors = os.path.join(d, "anchors.pem")
        with open(anchors, "w") as f:
            f.write(anchors_pem(srv))
        leaf, chain = os.path.join(d, "leaf.pem"), os.path.join(d, "chain.pem")
        with open(leaf, "w") as f:
            f.write(body["certificate_pem"])
        with open(chain, "w") as f:
            f.write(body["chain_pem"])
        p = subprocess.run(["openssl", "verify", "-CAfile", anchors, "-untrusted", chain, leaf],
                           capture_output=True, text=True)
        text = subprocess.run(["openssl", "x509", "-noout", "-text", "-in", leaf],
                              capture_output=True, text=True, check=True).stdout
        gnutls = subprocess.run(["certtool", "-i", "--infile", leaf], capture_output=True,
                                text=True, check=True).stdout
    return p.returncode == 0, p.stdout + p.stderr, text, gnutls


def go_check(go_x509, srv, bodies):
    """Go's crypto/x509 (relying/x509check.go) parses and verifies each."""
    import json
    with tempfile.TemporaryDirectory() as d:
        roots = os.path.join(d, "anchors.pem")
        with open(roots, "w") as f:
            f.write(anchors_pem(srv))
        paths = []
        for i, b in enumerate(bodies):
            paths.append(os.path.join(d, f"{i}.pem"))
            with open(paths[-1], "w") as f:
                f.write(b["chain_pem"])
        p = subprocess.run([go_x509] + paths, capture_output=True, text=True,
                           env=dict(os.environ, ROOTS=roots), timeout=60)
    assert p.returncode == 0, p.stderr
    return [json.loads(line) for line in p.stdout.splitlines()]


def test_profiles_api_shows_the_configuration(admin):
    items = {p["name"]: p for p in admin.get("/api/v1/profiles").json()["items"]}
    assert set(items) == {"udap-client", "udap-server", "tefca-client", "dt-client"}
    t = items["tefca-client"]
    assert t["san_fragment"] == "require"
    assert t["san_fragment_values"][:2] == ["T-TREAT", "T-PYMNT"]
    assert t["uri_kinds"] == ["client"] and t["subject"] == ["O", "CN"]
    d = items["dt-client"]
    assert d["certificate_policies"] == POLICIES
    assert d["extended_key_usage"] == ["clientAuth", "serverAuth"]
    assert d["key_types"] == ["RSA-3072", "EC-P256"]
    assert d["validity_days"] == 30 and d["days"] == 30 and d["max_uris"] == 1
    assert d["subject"] == ["O"] and d["san_fragment"] == "forbid"
    s = items["udap-server"]
    assert s["key_types"] == ["RSA-2048", "RSA-3072", "RSA-4096"]
    assert s["san_fragment"] == "forbid" and s["certificate_policies"] == []


def test_tefca_client_issues_purpose_fragments(admin, community, go_x509):
    m, _ = community.member(kinds=())
    base = f"https://{uniq('tefca')}.example.org/fhir"
    uris = [base + "#T-TREAT", base + "#T-PYMNT"]
    for u in uris:
        community.add_uri(m["id"], u, "client")
    r = community.issue(admin, m["id"], "tefca-client", ec_key(), uris)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["uris"] == uris and body["profile"] == "tefca-client"
    cert = x509.load_pem_x509_certificate(body["certificate_pem"].encode())
    san = cert.extensions.get_extension_for_oid(ExtensionOID.SUBJECT_ALTERNATIVE_NAME).value
    assert san.get_values_for_type(x509.UniformResourceIdentifier) == uris  # byte-exact
    ok, out, text, gnutls = openssl_verify(community.server, body)
    assert ok, out
    assert f"URI:{uris[0]}" in text and uris[1] in gnutls
    [g] = go_check(go_x509, community.server, [body])
    assert g["ok"] and g["uris"] == uris, g
    # the list filters by any profile
    r = admin.get("/api/v1/certificates", params={"profile": "tefca-client",
                                                  "member_id": m["id"]})
    assert r.status_code == 200, r.text
    assert [c["serial"] for c in r.json()["items"]] == [body["serial"]]
    p = problem(admin.get("/api/v1/certificates", params={"profile": "Bad_Name"}), 400)
    assert p["field"] == "profile"


def test_tefca_client_refuses_other_or_no_fragment(admin, community):
    m, _ = community.member(kinds=())
    base = f"https://{uniq('tefca')}.example.org/fhir"
    for u in (base, base + "#T-FOO", base + "#t-treat", base + "#T-TREAT"):
        community.add_uri(m["id"], u, "client")
    p = problem(community.issue(admin, m["id"], "tefca-client", ec_key(), [base + "#T-FOO"]),
                422, "uri-fragment-not-allowed")
    assert p["field"] == "uris" and "T-TREAT" in p["detail"], p
    # byte-exact: a purpose code in another case is not the code
    p = problem(community.issue(admin, m["id"], "tefca-client", ec_key(), [base + "#t-treat"]),
                422, "uri-fragment-not-allowed")
    # every SAN URI carries one
    p = problem(community.issue(admin, m["id"], "tefca-client", ec_key(),
                                [base + "#T-TREAT", base]), 422, "uri-fragment-required")
    assert p["field"] == "uris" and "uris[1]" in p["detail"], p
    # keygen refuses it before a key is made
    p = problem(admin.post("/api/v1/certificates/keygen", json={
        "member_id": m["id"], "profile": "tefca-client", "uris": [base],
        "key_type": "EC-P256", "passphrase": "long enough pass"}), 422, "uri-fragment-required")
    # the same URIs under udap-client (fragments allowed, any) issue
    r = community.issue(admin, m["id"], "udap-client", ec_key(), [base + "#T-FOO", base])
    assert r.status_code == 201, r.text


def test_policies_eku_and_subject_from_the_profile(admin, community, go_x509):
    m, uris = community.member(kinds=("client",))
    r = community.issue(admin, m["id"], "dt-client", ec_key(), uris["client"])
    assert r.status_code == 201, r.text
    body = r.json()
    cert = x509.load_pem_x509_certificate(body["certificate_pem"].encode())
    pol = cert.extensions.get_extension_for_oid(ExtensionOID.CERTIFICATE_POLICIES)
    assert not pol.critical
    assert [p.policy_identifier.dotted_string for p in pol.value] == POLICIES
    assert all(p.policy_qualifiers is None for p in pol.value)
    eku = cert.extensions.get_extension_for_oid(ExtensionOID.EXTENDED_KEY_USAGE).value
    assert list(eku) == [ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.SERVER_AUTH]
    assert [a.oid for a in cert.subject] == [NameOID.ORGANIZATION_NAME]  # O alone, no CN
    assert cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == m["name"]
    days = (cert.not_valid_after - cert.not_valid_before).days
    assert 29 <= days <= 30, days
    ok, out, text, gnutls = openssl_verify(community.server, body)
    assert ok, out
    for oid in POLICIES:
        assert f"Policy: {oid}" in text, text
        assert oid in gnutls
    [g] = go_check(go_x509, community.server, [body])
    assert g["ok"], g
    # a relying party that requires one of the community's policies (RFC
    # 5280 6.1 with explicit policy, as DirectTrust-style ones do) accepts
    # the path: the issuing CA asserts anyPolicy
    with tempfile.TemporaryDirectory() as d:
        anchors, leaf, chain = (os.path.join(d, n) for n in ("a.pem", "l.pem", "c.pem"))
        for path, text in ((anchors, anchors_pem(community.server)),
                           (leaf, body["certificate_pem"]), (chain, body["chain_pem"])):
            with open(path, "w") as f:
                f.write(text)
        for oid, ok in ((POLICIES[1], True), ("1.2.3.4.5", False)):
            p = subprocess.run(["openssl", "verify", "-policy_check", "-explicit_policy",
                                "-policy", oid, "-CAfile", anchors, "-untrusted", chain, leaf],
                               capture_output=True, text=True)
            assert (p.returncode == 0) == ok, (oid, p.stdout + p.stderr)
    # the default profiles write no certificatePolicies
    r = community.issue(admin, m["id"], "udap-client", ec_key(), uris["client"])
    cert = x509.load_pem_x509_certificate(r.json()["certificate_pem"].encode())
    with pytest.raises(x509.ExtensionNotFound):
        cert.extensions.get_extension_for_oid(ExtensionOID.CERTIFICATE_POLICIES)


def test_key_types_uri_count_and_cn_from_the_profile(admin, community):
    m, uris = community.member(kinds=("client",), n_uris=2)
    one = uris["client"][:1]
    for key, desc in ((rsa_key(2048), "RSA 2048"), (ec_key(__import__(
            "cryptography.hazmat.primitives.asymmetric.ec", fromlist=["SECP384R1"]).SECP384R1),
            "EC P-384")):
        p = problem(community.issue(admin, m["id"], "dt-client", key, one), 422,
                    "key-type-not-allowed")
        assert p["field"] == "csr" and "RSA-3072, EC-P256" in p["detail"], p
        assert desc in p["detail"], p
    r = community.issue(admin, m["id"], "dt-client", rsa_key(3072), one)
    assert r.status_code == 201, r.text
    p = problem(community.issue(admin, m["id"], "dt-client", ec_key(), uris["client"]), 422)
    assert p["field"] == "uris" and "at most 1" in p["detail"], p
    p = problem(community.issue(admin, m["id"], "dt-client", ec_key(), one,
                                common_name="chosen"), 400)
    assert p["field"] == "common_name", p
    p = problem(admin.post("/api/v1/certificates/keygen", json={
        "member_id": m["id"], "profile": "dt-client", "uris": one,
        "key_type": "RSA-2048", "passphrase": "long enough pass"}), 422, "key-type-not-allowed")
    assert p["field"] == "key_type" and "RSA-3072, EC-P256" in p["detail"], p
    # udap-server takes RSA only, as before
    p = problem(admin.post("/api/v1/certificates/keygen", json={
        "member_id": m["id"], "profile": "udap-server", "uris": one,
        "key_type": "EC-P256", "passphrase": "long enough pass"}), 422, "rsa-required")
    assert p["field"] == "key_type"


@pytest.mark.parametrize("section,lines,message", [
    ("profile bad", ["uri_kinds = client", "certificate_policies = 1.2.x"],
     "[profile bad] certificate_policies: \"1.2.x\" is not an OID"),
    ("profile bad", ["uri_kinds = client", "key_types ="],
     "[profile bad] key_types: expected one or more"),
    ("profile bad", ["uri_kinds = client", "san_fragment = forbid",
                     "san_fragment_values = T-TREAT"],
     "[profile bad] san_fragment_values: fragment values need san_fragment = require or allow"),
])
def test_misconfigured_profile_stops_start_up(srv, section, lines, message):
    text = open(srv.conf).read() + f"[{section}]\n" + "".join(f"{ln}\n" for ln in lines)
    with tempfile.TemporaryDirectory() as d:
        conf = os.path.join(d, "troth.conf")
        with open(conf, "w") as f:
            f.write(text)
        want_line = text.count("\n") - (len(lines) - 1 - next(
            i for i, ln in enumerate(lines) if message.split("] ")[1].split(":")[0] in ln))
        from harness import troth
        p = troth("serve", conf=conf, timeout=30)
    assert p.returncode != 0
    assert f"{conf}:{want_line}: {message}" in p.stderr, (want_line, p.stderr)

"""The conformance sandbox (issue 15 §2): `troth sandbox init|refresh`, its
publication under /sandbox/ on the public listener, and its fixtures. The
validator's verdict on every fixture is the one the index promises, and
independent implementations agree: `openssl verify -crl_check_all` for the
chain and CRL fixtures, PyJWT (with python3-cryptography for the SAN) for
the JWT ones. The production anchors never hold the sandbox root, and the
production /readyz and CRLs do not notice the sandbox's broken CRLs."""
import base64
import datetime
import json
import os
import subprocess
import tempfile
import time

import jwt as pyjwt
import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, pkcs12

from harness import problem
from pki_util import anchors, load_pems, wait_for

PASS = "troth-sandbox"


def public_get(server, path, **kw):
    return requests.get(server.public + path, timeout=10, **kw)


def index(server):
    r = public_get(server, "/sandbox/index.json")
    assert r.status_code == 200, r.text
    return r.json()


def wait_generation(server, gen):
    def ok():
        r = public_get(server, "/sandbox/index.json")
        return r.status_code == 200 and r.json()["generation"] == gen
    assert wait_for(ok, timeout=15), "the server did not publish generation %d" % gen


@pytest.fixture(scope="module")
def sandbox(server, admin):
    """The sandbox, created by the CLI (or found: the API test may run first)."""
    r = server.cli("sandbox", "init")
    if r.returncode == 1:
        assert "exists" in r.stderr
        r = server.cli("sandbox", "refresh")
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout)
    assert summary["index_url"] == server.public + "/sandbox/index.json"
    wait_generation(server, summary["generation"])
    return index(server)


def fixture(idx, name):
    found = [f for f in idx["fixtures"] if f["name"] == name]
    assert found, name
    return found[0]


def fetch(url):
    r = requests.get(url, timeout=10)
    assert r.status_code == 200, (url, r.status_code)
    return r


def validate(admin, jwt_text, **kw):
    r = admin.post("/api/v1/udap/validate", json={"jwt": jwt_text, **kw})
    assert r.status_code == 200, r.text
    return r.json()


def validate_entry(admin, entry, trust="sandbox"):
    jwt_text = fetch(entry["url"]).text
    kw = {"kind": entry["kind"], "trust": trust}
    if entry.get("audience"):
        kw["audience"] = entry["audience"]
    if entry.get("base_url"):
        kw["base_url"] = entry["base_url"]
    return jwt_text, validate(admin, jwt_text, **kw)


def assert_verdict(res, expected, what):
    if expected["valid"]:
        bad = [c for c in res["checks"] if not c["ok"]]
        assert res["valid"] is True and not bad, (what, bad)
        return
    assert res["valid"] is False, (what, res["checks"])
    assert res["error"] == expected["error"], (what, res["error"], expected)
    first = [c for c in res["checks"] if not c["ok"]][0]
    assert first["name"] == expected["check"], (what, first, expected)
    assert expected["reason_contains"] in first["detail"], (what, first["detail"])


# ---- the index and what it links to ----

EXPECTED_FIXTURES = {
    "valid-client", "valid-server", "expired", "not-yet-valid", "revoked-key-compromise",
    "on-hold", "san-not-iss", "server-san-not-base-url", "unpublished-root", "ec-p256",
    "ec-p384", "crl-expired", "crl-future", "crl-wrong-key", "no-cdp", "cdp-404",
    "cdp-not-http"}


def test_index_lists_every_fixture_with_links(sandbox):
    assert sandbox["sandbox"] is True and "TEST MATERIAL" in sandbox["warning"]
    assert {f["name"] for f in sandbox["fixtures"]} == EXPECTED_FIXTURES
    for f in sandbox["fixtures"]:
        for k in ("certificate_url", "chain_url", "pkcs12_url"):
            fetch(f[k])
        for k in ("software_statement", "signed_metadata"):
            assert set(f[k]["expected"]) == {"valid", "error", "check", "reason_contains"}
            assert fetch(f[k]["url"]).text.count(".") == 2


def test_names_say_sandbox(sandbox):
    for ca in sandbox["cas"]:
        assert "SANDBOX" in ca["subject"], ca
    for cert in load_pems(fetch(sandbox["anchors_url"]).text):
        assert "SANDBOX" in cert.subject.rfc4514_string()
    for f in sandbox["fixtures"]:
        for cert in load_pems(fetch(f["chain_url"]).text):
            assert "SANDBOX" in cert.subject.rfc4514_string()


def test_pkcs12_opens_with_the_published_passphrase(sandbox):
    for f in sandbox["fixtures"]:
        key, cert, extra = pkcs12.load_key_and_certificates(fetch(f["pkcs12_url"]).content,
                                                            PASS.encode())
        leaf = x509.load_pem_x509_certificate(fetch(f["certificate_url"]).content)
        assert cert == leaf and key is not None and extra, f["name"]
        assert key.public_key().public_numbers() == leaf.public_key().public_numbers()


def test_production_anchors_never_hold_the_sandbox(server, sandbox):
    sandbox_root = fetch(sandbox["anchors_url"]).text
    prod = anchors(server)
    assert sandbox_root.strip() and sandbox_root.strip() not in prod
    assert "SANDBOX" not in prod
    js = public_get(server, "/anchors.json")
    assert js.status_code == 200 and "SANDBOX" not in js.text
    for ca in sandbox["cas"]:
        assert not ca["crl_url"].startswith(server.public + "/crl/")
    r = public_get(server, "/readyz")
    assert r.status_code == 200, r.text
    cas = admin_get_cas(server)
    assert cas and not any("SANDBOX" in c["subject"] for c in cas)
    for c in cas:  # the production CRLs are current, whatever the sandbox's
        crl = x509.load_der_x509_crl(fetch(c["crl_url"]).content)
        assert crl.next_update > datetime.datetime.utcnow()


def admin_get_cas(server):
    r = server.token("admin").get("/api/v1/cas")
    assert r.status_code == 200, r.text
    return r.json()["items"]


def test_api_index_for_signed_in_users(server, sandbox):
    member = server.user("sb-auditor-reader", "auditor")
    r = member.get("/api/v1/sandbox")
    assert r.status_code == 200, r.text
    assert r.json() == index(server)
    assert requests.get(server.admin + "/api/v1/sandbox", timeout=10).status_code == 401


def test_unknown_sandbox_paths_404(server, sandbox):
    for p in ("/sandbox/crl/does-not-exist.crl", "/sandbox/ca/unpublished-root.crt",
              "/sandbox/fixtures/nope/key.p12", "/sandbox/fixtures/valid-client/..",
              "/sandbox/fixtures/valid-client/%2e%2e%2fkey.p12"):
        assert public_get(server, p).status_code == 404, p


# ---- the validator agrees with the index on every fixture ----

@pytest.mark.parametrize("name", sorted(EXPECTED_FIXTURES))
def test_validator_verdicts(admin, sandbox, name):
    f = fixture(sandbox, name)
    for k in ("software_statement", "signed_metadata"):
        _, res = validate_entry(admin, f[k])
        assert_verdict(res, f[k]["expected"], (name, k))


def test_against_the_community_every_fixture_is_untrusted(admin, sandbox):
    for name in ("valid-client", "valid-server", "ec-p256"):
        _, res = validate_entry(admin, fixture(sandbox, name)["software_statement"],
                                trust="community")
        assert res["valid"] is False and res["error"] == "unapproved_software_statement"
        assert [c for c in res["checks"] if c["name"] == "chain"][0]["ok"] is False


# ---- openssl verify -crl_check_all agrees on the chain and CRL fixtures ----

OPENSSL = {
    "valid-client": "OK", "valid-server": "OK", "ec-p256": "OK", "ec-p384": "OK",
    "expired": "certificate has expired", "not-yet-valid": "certificate is not yet valid",
    "revoked-key-compromise": "certificate revoked", "on-hold": "certificate revoked",
    "unpublished-root": "unable to get local issuer certificate",
    "crl-expired": "CRL has expired", "crl-future": "CRL is not yet valid",
    "crl-wrong-key": "CRL signature failure",
}


def crls_for(chain_certs):
    """Every CRL the chain's CDPs name, fetched as a relying party does."""
    out = []
    for c in chain_certs:
        try:
            cdp = c.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
        except x509.ExtensionNotFound:
            continue
        url = cdp[0].full_name[0].value
        r = requests.get(url, timeout=10)
        if r.status_code == 200:
            out.append(x509.load_der_x509_crl(r.content))
    return out


@pytest.mark.parametrize("name", sorted(OPENSSL))
def test_openssl_verify_agrees(server, sandbox, name, tmp_path):
    f = fixture(sandbox, name)
    chain = load_pems(fetch(f["chain_url"]).text)
    root = fetch(sandbox["anchors_url"]).text
    ca_pems = [fetch(ca["certificate_url"]).content for ca in sandbox["cas"]
               if ca["certificate_url"] and ca["kind"] == "root"]
    assert ca_pems
    (tmp_path / "anchors.pem").write_text(root)
    untrusted = "".join(c.public_bytes(Encoding.PEM).decode() for c in chain[1:]
                        if c.subject != c.issuer)
    (tmp_path / "untrusted.pem").write_text(untrusted)
    (tmp_path / "leaf.pem").write_bytes(chain[0].public_bytes(Encoding.PEM))
    crls = crls_for(chain + [x509.load_pem_x509_certificate(root.encode())])
    (tmp_path / "crls.pem").write_text("".join(c.public_bytes(Encoding.PEM).decode()
                                               for c in crls))
    args = ["openssl", "verify", "-CAfile", str(tmp_path / "anchors.pem"),
            "-untrusted", str(tmp_path / "untrusted.pem"), "-crl_check_all",
            "-CRLfile", str(tmp_path / "crls.pem"), str(tmp_path / "leaf.pem")]
    r = subprocess.run(args, capture_output=True, text=True)
    out = r.stdout + r.stderr
    if OPENSSL[name] == "OK":
        assert r.returncode == 0 and ": OK" in out, out
    else:
        assert r.returncode != 0 and OPENSSL[name] in out, out


def test_cdp_fixtures_checked_independently(sandbox):
    """no-cdp has no CDP extension; cdp-404's CDP answers 404; cdp-not-http
    names only an ldap: URI (what openssl verify cannot see: it takes the
    CRLs it is given)."""
    leaf = x509.load_pem_x509_certificate(fetch(fixture(sandbox, "no-cdp")["certificate_url"]).content)
    with pytest.raises(x509.ExtensionNotFound):
        leaf.extensions.get_extension_for_class(x509.CRLDistributionPoints)
    leaf = x509.load_pem_x509_certificate(fetch(fixture(sandbox, "cdp-404")["certificate_url"]).content)
    url = leaf.extensions.get_extension_for_class(x509.CRLDistributionPoints).value[0].full_name[0].value
    assert requests.get(url, timeout=10).status_code == 404
    leaf = x509.load_pem_x509_certificate(fetch(fixture(sandbox, "cdp-not-http")["certificate_url"]).content)
    names = [n.value for dp in leaf.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
             for n in dp.full_name]
    assert names and all(not n.startswith(("http://", "https://")) for n in names), names


# ---- PyJWT agrees on the JWT fixtures ----

def pyjwt_check(token, iss_expected, audience=None):
    """PyJWT verifies the signature with the x5c leaf's key, exp/iat, aud
    and iss; iss must also be a SAN URI of the leaf (python3-cryptography).
    Returns None when valid, else the reason."""
    hdr = pyjwt.get_unverified_header(token)
    leaf = x509.load_der_x509_certificate(base64.b64decode(hdr["x5c"][0]))
    try:
        claims = pyjwt.decode(token, leaf.public_key(), algorithms=[hdr["alg"]],
                              audience=audience, issuer=iss_expected,
                              options={"require": ["exp", "iat", "iss", "sub", "jti"],
                                       "verify_aud": audience is not None})
    except pyjwt.InvalidTokenError as e:
        return type(e).__name__
    sans = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    if claims["iss"] not in sans.get_values_for_type(x509.UniformResourceIdentifier):
        return "iss not a SAN URI"
    if claims["sub"] != claims["iss"]:
        return "sub != iss"
    return None


PYJWT = {  # fixture -> (software statement verdict, signed metadata verdict)
    "valid-client": (None, None), "valid-server": (None, None),
    "ec-p256": (None, "alg"), "ec-p384": (None, "alg"),
    "san-not-iss": ("iss not a SAN URI", "iss not a SAN URI"),
    "server-san-not-base-url": (None, "iss not a SAN URI"),
}


@pytest.mark.parametrize("name", sorted(PYJWT))
def test_pyjwt_agrees(admin, sandbox, name):
    f = fixture(sandbox, name)
    ss_want, md_want = PYJWT[name]
    ss = fetch(f["software_statement"]["url"]).text
    got = pyjwt_check(ss, pyjwt.decode(ss, options={"verify_signature": False})["iss"],
                      audience=f["software_statement"]["audience"])
    assert got == ss_want, (name, got)
    md = fetch(f["signed_metadata"]["url"]).text
    if md_want == "alg":  # signed metadata SHALL be RS256 (IG §2.3)
        with pytest.raises(pyjwt.InvalidAlgorithmError):
            leaf = x509.load_der_x509_certificate(
                base64.b64decode(pyjwt.get_unverified_header(md)["x5c"][0]))
            pyjwt.decode(md, leaf.public_key(), algorithms=["RS256"],
                         options={"verify_aud": False})
    else:
        got = pyjwt_check(md, f["signed_metadata"]["base_url"])
        assert got == md_want, (name, got)
    # and the validator says the same
    for k, want in (("software_statement", ss_want), ("signed_metadata", md_want)):
        assert f[k]["expected"]["valid"] is (want is None), (name, k)


# ---- refresh ----

def test_refresh_keeps_valid_valid_and_broken_broken(server, admin, sandbox):
    before = index(server)
    anchors_before = fetch(before["anchors_url"]).text
    crl_before = x509.load_der_x509_crl(fetch(
        [c for c in before["cas"] if c["name"] == "issuing-crl-expired"][0]["crl_url"]).content)
    r = server.cli("sandbox", "refresh")
    assert r.returncode == 0, r.stderr
    gen = json.loads(r.stdout)["generation"]
    assert gen == before["generation"] + 1
    wait_generation(server, gen)
    after = index(server)
    assert fetch(after["anchors_url"]).text == anchors_before  # the anchor is kept
    crl = x509.load_der_x509_crl(fetch(
        [c for c in after["cas"] if c["name"] == "issuing-crl-expired"][0]["crl_url"]).content)
    assert crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number == gen
    assert crl.next_update < datetime.datetime.utcnow()  # still expired
    assert crl_before.last_update < crl.last_update  # but re-signed
    for name in ("valid-client", "valid-server", "crl-expired", "expired"):
        f = fixture(after, name)
        assert f["serial"] != fixture(before, name)["serial"]  # re-issued
        for k in ("software_statement", "signed_metadata"):
            _, res = validate_entry(admin, f[k])
            assert_verdict(res, f[k]["expected"], (name, k))


def test_init_twice_is_refused(server, sandbox):
    r = server.cli("sandbox", "init")
    assert r.returncode == 1 and "refresh" in r.stderr


# ---- the API and the CLI validator ----

def test_api_refresh_is_admin_only(server, admin, sandbox):
    before = index(server)["generation"]
    op = server.user("sb-operator", "operator")
    problem(op.post("/api/v1/sandbox/refresh"), 403)
    problem(admin.post("/api/v1/sandbox/init"), 409, "sandbox-exists")
    r = admin.post("/api/v1/sandbox/refresh")
    assert r.status_code == 200, r.text
    assert r.json()["generation"] == before + 1
    assert index(server)["generation"] == before + 1  # this node serves it already
    ev = admin.get("/api/v1/audit", params={"action": "sandbox.refresh", "limit": 1}).json()
    assert ev["items"][0]["object_id"] == str(before + 1)


def test_cli_validate_sandbox(server, sandbox, tmp_path):
    idx = index(server)
    for name, code in (("valid-client", 0), ("revoked-key-compromise", 1)):
        e = fixture(idx, name)["software_statement"]
        p = tmp_path / (name + ".jwt")
        p.write_text(fetch(e["url"]).text)
        r = server.cli("udap", "validate", "--sandbox", str(p), "--audience", e["audience"])
        assert r.returncode == code, r.stdout + r.stderr
        res = json.loads(r.stdout)
        assert_verdict(res, e["expected"], name)


def test_validate_trust_field_checked(admin):
    problem(admin.post("/api/v1/udap/validate", json={"jwt": "a.b.c", "trust": "prod"}), 400)


def test_pyjwt_verifies_every_signature(sandbox):
    """Whatever a fixture is meant to fail, its JWTs are well formed and
    signed by its leaf's key with the alg it names (PyJWT), x5c leaf first
    is the fixture's certificate, and iat/exp are the IG's windows."""
    for f in sandbox["fixtures"]:
        leaf = x509.load_pem_x509_certificate(fetch(f["certificate_url"]).content)
        for k, window in (("software_statement", 300), ("signed_metadata", 7 * 86400)):
            tok = fetch(f[k]["url"]).text
            hdr = pyjwt.get_unverified_header(tok)
            assert hdr["alg"] == f["alg"], (f["name"], hdr)
            assert base64.b64decode(hdr["x5c"][0]) == leaf.public_bytes(Encoding.DER)
            claims = pyjwt.decode(tok, leaf.public_key(), algorithms=[f["alg"]],
                                  options={"verify_aud": False})
            assert claims["exp"] - claims["iat"] == window, (f["name"], k)


def test_concurrent_inits_one_wins(cluster):
    """Two `troth sandbox init` at once, on a database of their own: both
    build, one commits, the other is told the sandbox exists; what is
    stored is one generation whose keys are the winner's (its CA
    certificates match the published anchor)."""
    from concurrent.futures import ThreadPoolExecutor
    from harness import Server
    s = Server(cluster, db=cluster.new_db("sbrace"))
    s.migrate()
    with ThreadPoolExecutor(2) as pool:
        runs = list(pool.map(lambda _: s.cli("sandbox", "init", timeout=240), range(2)))
    codes = sorted(r.returncode for r in runs)
    assert codes == [0, 1], [(r.returncode, r.stderr) for r in runs]
    loser = [r for r in runs if r.returncode == 1][0]
    assert "exists" in loser.stderr, loser.stderr
    db = s.db
    assert cluster.psql("SELECT generation FROM sandbox_state", db=db) == "1"
    root_der = cluster.psql("SELECT encode(cert_der, 'hex') FROM sandbox_keys WHERE name = 'root'",
                            db=db)
    anchor = cluster.psql("SELECT encode(body, 'escape') FROM sandbox_objects "
                          "WHERE path = 'anchors.pem'", db=db)
    cert = x509.load_pem_x509_certificate(anchor.encode())
    assert cert.public_bytes(Encoding.DER).hex() == root_der
    assert cluster.psql("SELECT count(*) FROM audit_events WHERE action = 'sandbox.init'", db=db) == "1"

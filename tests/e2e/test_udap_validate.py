"""POST /api/v1/udap/validate and `troth udap validate`: one test per check,
with JWTs signed by PyJWT (or built raw where PyJWT refuses the header), for
certificates Troth issued; malformed input of every kind is a failed check,
never a 500; PyJWT agrees on the signature verdicts."""
import base64
import json
import time

import jwt as pyjwt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes

from harness import problem
from pki_util import Community, ec_key, rsa_key, wait_for, fetch_crl, cdp_url
from udap_util import (b64u, client_assertion, metadata, raw, sign, software_statement,
                       verify_pyjwt)

AS_REG = "https://as.example.org/register"


class Issued:
    """A member's certificate with its key and x5c."""

    def __init__(self, community, admin, profile="udap-client", key=None, kind="client"):
        self.member, uris = community.member(kinds=(kind,))
        self.uri = uris[kind][0]
        self.key = key or ec_key()
        r = community.issue(admin, self.member["id"], profile, self.key, [self.uri])
        assert r.status_code == 201, r.text
        self.body = r.json()
        self.x5c = self.body["x5c"]
        self.cert = x509.load_pem_x509_certificate(self.body["certificate_pem"].encode())

    def ss(self, **over):
        return sign(software_statement(self.uri, **over), self.key, self.x5c)


@pytest.fixture(scope="module")
def client(community, admin):
    return Issued(community, admin)


@pytest.fixture(scope="module")
def server_cert(community, admin):
    return Issued(community, admin, "udap-server", rsa_key(), "server")


def validate(api, token, **kw):
    r = api.post("/api/v1/udap/validate", json={"jwt": token, **kw})
    assert r.status_code == 200, r.text
    return r.json()


def check(res, name):
    found = [c for c in res["checks"] if c["name"] == name]
    assert found, (name, [c["name"] for c in res["checks"]])
    c = found[0]
    assert set(c) == {"name", "ok", "detail", "reference"} and c["reference"]
    return c


def failed(res, name, *words, error=None):
    c = check(res, name)
    assert not c["ok"], c
    assert res["valid"] is False
    for w in words:
        assert w in c["detail"], (w, c["detail"])
    if error:
        assert res["error"] == error, res["error"]
    return c


# ---- the valid ones ----

def test_valid_software_statement_es256(admin, client):
    tok = client.ss()
    res = validate(admin, tok, kind="software_statement", audience=AS_REG)
    assert res["valid"] is True and res["error"] is None, res
    assert all(c["ok"] for c in res["checks"]), res["checks"]
    names = [c["name"] for c in res["checks"]]
    for n in ("format", "header.alg", "header.x5c", "header.alg_key", "signature", "chain",
              "validity", "crl_distribution_point", "revocation", "iss_san", "sub", "aud",
              "iat", "exp", "jti", "registration"):
        assert n in names, n
    assert res["iss"] == client.uri and res["kind"] == "software_statement"
    assert [c["source"] for c in res["chain"]] == ["x5c", "x5c", "anchor"]
    assert "§" in check(res, "header.alg")["reference"]
    # staff see which member; PyJWT agrees on the signature and claims
    assert client.member["name"] in check(res, "registration")["detail"]
    verify_pyjwt(tok, client.cert, audience=AS_REG)


@pytest.mark.parametrize("alg,key", [("RS256", "rsa"), ("RS384", "rsa"), ("ES384", "p384")])
def test_valid_other_algorithms(admin, community, alg, key):
    k = rsa_key() if key == "rsa" else ec_key(__import__(
        "cryptography.hazmat.primitives.asymmetric.ec", fromlist=["SECP384R1"]).SECP384R1)
    c = Issued(community, admin, key=k)
    tok = sign(software_statement(c.uri), k, c.x5c, alg=alg)
    res = validate(admin, tok)
    assert res["valid"], res["checks"]
    assert res["kind"] == "software_statement"  # detected
    verify_pyjwt(tok, c.cert, alg=alg, audience=AS_REG)


def test_intermediate_from_troth_when_x5c_has_only_the_leaf(admin, client):
    res = validate(admin, sign(software_statement(client.uri), client.key, client.x5c[:1]))
    assert res["valid"], res["checks"]
    assert [c["source"] for c in res["chain"]] == ["x5c", "published", "anchor"]


def test_member_user_sees_no_member_name(server, community, admin, client):
    other, _ = community.member()
    mu = community.member_user(other["id"])
    res = validate(mu, client.ss())
    assert res["valid"]
    assert client.member["name"] not in check(res, "registration")["detail"]


def test_anonymous_refused(server, client):
    import requests
    r = requests.post(server.admin + "/api/v1/udap/validate", json={"jwt": client.ss()})
    assert r.status_code == 401


# ---- header ----

@pytest.mark.parametrize("alg", ["none", "HS256", "PS256", "EdDSA", 5])
def test_alg_refused(admin, client, alg):
    tok = raw({"alg": alg, "x5c": client.x5c}, software_statement(client.uri), client.key)
    res = validate(admin, tok)
    failed(res, "header.alg", error="invalid_software_statement")
    assert "signature" not in [c["name"] for c in res["checks"]]
    with pytest.raises(pyjwt.PyJWTError):
        verify_pyjwt(tok, client.cert)


def test_alg_must_match_the_key(admin, client):
    # RS256 named, EC key: PyJWT refuses too
    tok = raw({"alg": "RS256", "x5c": client.x5c}, software_statement(client.uri), client.key)
    failed(validate(admin, tok), "header.alg_key", "RSA", "P-256")
    with pytest.raises(Exception):
        verify_pyjwt(tok, client.cert, alg="RS256")
    # ES384 named, P-256 key
    tok = raw({"alg": "ES384", "x5c": client.x5c}, software_statement(client.uri), client.key,
              hashes.SHA384())
    failed(validate(admin, tok), "header.alg_key", "P-384")


def test_crit_header(admin, client):
    tok = raw({"alg": "ES256", "x5c": client.x5c, "crit": ["exp"], "exp": 1},
              software_statement(client.uri), client.key)
    failed(validate(admin, tok), "header.crit", "crit")


def test_x5c_missing(admin, client):
    tok = raw({"alg": "ES256"}, software_statement(client.uri), client.key)
    failed(validate(admin, tok), "header.x5c", "no x5c")


def test_x5c_base64url_refused(admin, client):
    urlsafe = [c.replace("+", "-").replace("/", "_").rstrip("=") for c in client.x5c]
    assert urlsafe != client.x5c
    tok = raw({"alg": "ES256", "x5c": urlsafe}, software_statement(client.uri), client.key)
    failed(validate(admin, tok), "header.x5c", "standard base64")


def test_x5c_not_der(admin, client):
    junk = base64.b64encode(b"not a certificate").decode()
    tok = raw({"alg": "ES256", "x5c": [junk]}, software_statement(client.uri), client.key)
    failed(validate(admin, tok), "header.x5c", "x5c[0]", "DER")


def test_x5c_leaf_first(admin, client):
    tok = raw({"alg": "ES256", "x5c": client.x5c[::-1]}, software_statement(client.uri),
              client.key)
    failed(validate(admin, tok), "header.x5c", "leaf first")


def test_x5c_huge(admin, client):
    tok = raw({"alg": "ES256", "x5c": client.x5c * 9}, software_statement(client.uri),
              client.key)
    failed(validate(admin, tok), "header.x5c", "at most 8")


def test_signature(admin, client):
    tok = client.ss()
    h, p, s = tok.split(".")
    forged = b64u(json.dumps(software_statement(client.uri, client_name="Evil")).encode())
    res = validate(admin, f"{h}.{forged}.{s}")
    failed(res, "signature", error="invalid_software_statement")
    with pytest.raises(pyjwt.InvalidSignatureError):
        verify_pyjwt(f"{h}.{forged}.{s}", client.cert)
    # signed by another key than the leaf's
    res = validate(admin, sign(software_statement(client.uri), ec_key(), client.x5c))
    failed(res, "signature")


# ---- trust ----

def test_chain_to_an_unknown_root(admin, client):
    from cryptography.hazmat.primitives import serialization
    import datetime
    k = ec_key()
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "Self Signed")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(k.public_key()).serial_number(7)
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.UniformResourceIdentifier(client.uri)]), False)
            .sign(k, hashes.SHA256()))
    x5c = [base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()]
    res = validate(admin, sign(software_statement(client.uri), k, x5c))
    failed(res, "chain", "not a trust anchor", error="unapproved_software_statement")


def revoke(admin, server, issued, reason):
    r = admin.post(f"/api/v1/certificates/{issued.body['serial']}/revoke",
                   json={"reason": reason})
    assert r.status_code == 200, r.text
    url = cdp_url(issued.cert)
    wait_for(lambda: fetch_crl(url).get_revoked_certificate_by_serial_number(
        issued.cert.serial_number) is not None, timeout=10)


@pytest.mark.parametrize("reason,word", [("keyCompromise", "revoked"),
                                         ("certificateHold", "on hold")])
def test_revocation_by_the_current_crl(server, admin, community, reason, word):
    c = Issued(community, admin)
    assert validate(admin, c.ss())["valid"]
    revoke(admin, server, c, reason)
    res = wait_for_result(admin, c, lambda r: not r["valid"])
    failed(res, "revocation", word, reason, error="unapproved_software_statement")


def wait_for_result(admin, c, pred):
    got = {}

    def probe():
        got["r"] = validate(admin, c.ss())
        return pred(got["r"])
    wait_for(probe, timeout=10)
    return got["r"]


def test_client_assertion_error_is_invalid_client(server, admin, community):
    c = Issued(community, admin)
    tok = sign(client_assertion("client-1234"), c.key, c.x5c)
    res = validate(admin, tok, kind="client_assertion", audience="https://as.example.org/token")
    assert res["valid"], res["checks"]
    assert "iss_san" not in [x["name"] for x in res["checks"]]
    assert res["kind"] == "client_assertion"
    revoke(admin, server, c, "keyCompromise")
    res = validate(admin, tok, kind="client_assertion")
    failed(res, "revocation", error="invalid_client")


def test_registration_member_suspended(admin, community):
    c = Issued(community, admin)
    r = admin.post(f"/api/v1/members/{c.member['id']}/suspend")
    assert r.status_code == 200, r.text
    res = validate(admin, c.ss())
    failed(res, "registration", "not active", error="unapproved_software_statement")


# ---- claims ----

def test_iss_not_a_san(admin, client):
    res = validate(admin, sign(software_statement("https://other.example.org/app"),
                               client.key, client.x5c))
    failed(res, "iss_san", "not a SAN URI", client.uri)
    failed(res, "registration", "no member")


def test_iss_lookalike_named(admin, client):
    look = client.uri + "/"
    res = validate(admin, sign(software_statement(look), client.key, client.x5c))
    failed(res, "iss_san", "look-alike", "trailing slash", error="invalid_software_statement")
    # the registry names the registered look-alike too
    assert client.uri in check(res, "registration")["detail"]
    upper = client.uri.replace("https://", "HTTPS://")
    res = validate(admin, sign(software_statement(upper), client.key, client.x5c))
    failed(res, "iss_san", "letter case")


def test_sub_must_equal_iss(admin, client):
    failed(validate(admin, client.ss(sub="someone-else")), "sub", "must equal iss")


def test_aud(admin, client):
    failed(validate(admin, client.ss(), audience="https://as.example.org/other"), "aud",
           AS_REG)
    failed(validate(admin, client.ss(aud=None)), "aud", "missing")
    assert check(validate(admin, client.ss()), "aud")["ok"]


def test_exp_iat_windows(admin, client):
    now = int(time.time())
    failed(validate(admin, client.ss(iat=now, exp=now + 3600)), "exp", "5 minutes")
    failed(validate(admin, client.ss(iat=now - 600, exp=now - 300)), "exp", "expired")
    failed(validate(admin, client.ss(iat=now + 600, exp=now + 800)), "iat", "future")
    failed(validate(admin, client.ss(exp=None)), "exp", "missing")
    failed(validate(admin, client.ss(iat="yesterday")), "iat", "not a number")


def test_jti(admin, client):
    failed(validate(admin, client.ss(jti=None)), "jti", "missing")


def test_signed_metadata(admin, server_cert):
    s = server_cert
    tok = sign(metadata(s.uri), s.key, s.x5c)
    res = validate(admin, tok, base_url=s.uri)
    assert res["valid"] and res["kind"] == "signed_metadata", res["checks"]
    assert check(res, "base_url")["ok"]
    failed(validate(admin, tok, base_url=s.uri + "/"), "base_url", "trailing slash",
           error="invalid_signed_metadata")
    now = int(time.time())
    ok_year = sign(metadata(s.uri, exp=now + 300 * 24 * 3600), s.key, s.x5c)
    assert validate(admin, ok_year)["valid"]
    too_long = sign(metadata(s.uri, exp=now + 400 * 24 * 3600), s.key, s.x5c)
    failed(validate(admin, too_long), "exp", "1 year")


def test_signed_metadata_must_be_rs256(admin, server_cert):
    s = server_cert
    tok = sign(metadata(s.uri), s.key, s.x5c, alg="RS384")
    failed(validate(admin, tok, kind="signed_metadata"), "metadata_alg", "RS256")


# ---- malformed input: failed checks, never a 500 ----

@pytest.mark.parametrize("token,words", [
    ("  \n", ("1 part",)),
    ("abc", ("1 part",)),
    ("a.b", ("2 part",)),
    ("a.b.c.d.e", ("JWE",)),
    ("!!!.e30.c2ln", ("header is not base64url",)),
    (b64u(b"not json") + ".e30.c2ln", ("header is not JSON",)),
    (b64u(b"[1]") + ".e30.c2ln", ("not a JSON object",)),
    (b64u(b'{"alg":"ES256","alg":"none"}') + ".e30.c2ln", ("not JSON",)),
    (b64u(b'{"alg":"ES256"}') + "." + b64u(b"\xff\xfe") + ".c2ln", ("payload",)),
    (b64u(b'{"alg":"ES256"}') + ".e30.", ("unsigned",)),
    (b64u(b'{"alg":"ES256"}') + ".e30.c2l=", ("signature part is not base64url",)),
])
def test_malformed(admin, token, words):
    r = admin.post("/api/v1/udap/validate", json={"jwt": token})
    assert r.status_code == 200, r.text
    failed(r.json(), "format", *words, error="invalid_software_statement")


def test_jwt_size_and_body_limits(admin, client):
    big = "a" * (49 * 1024) + ".e30.c2ln"
    failed(validate(admin, big), "format", "at most")
    # a real JWT with a 4-certificate x5c fits
    tok = raw({"alg": "ES256", "x5c": client.x5c * 2}, software_statement(client.uri),
              client.key)
    assert check(validate(admin, tok), "header.x5c")["ok"] is False  # out of order, not 413
    r = admin.post("/api/v1/udap/validate", json={"jwt": "a" * (80 * 1024)})
    problem(r, 413)


def test_bad_request_body(admin):
    problem(admin.post("/api/v1/udap/validate", json={"jwt": 5}), 400)
    assert problem(admin.post("/api/v1/udap/validate", json={"jwt": ""}), 400)["field"] == "jwt"
    p = problem(admin.post("/api/v1/udap/validate", json={"jwt": "a.b.c", "kind": "x"}), 400)
    assert p["field"] == "kind"
    problem(admin.post("/api/v1/udap/validate", json={"jwt": "a.b.c", "extra": 1}), 400)


def test_audit_event_holds_verdict_and_iss_only(admin, client):
    validate(admin, client.ss())
    r = admin.get("/api/v1/audit", params={"action": "udap.validate", "limit": 5})
    assert r.status_code == 200, r.text
    ev = r.json()["items"][0]
    d = ev["details"] if isinstance(ev["details"], dict) else json.loads(ev["details"])
    assert d["iss"] == client.uri and d["valid"] is True
    assert set(d) == {"valid", "kind", "error", "iss", "trust"} and d["trust"] == "community"


def test_cli(server, client, tmp_path):
    f = tmp_path / "ss.jwt"
    f.write_text(client.ss() + "\n")
    r = server.cli("udap", "validate", str(f), "--audience", AS_REG)
    assert r.returncode == 0, r.stdout + r.stderr
    assert json.loads(r.stdout)["valid"] is True
    f.write_text("a.b")
    r = server.cli("udap", "validate", str(f))
    assert r.returncode == 1, r.stdout + r.stderr
    assert json.loads(r.stdout)["checks"][0]["name"] == "format"
    assert server.cli("udap", "validate").returncode == 2

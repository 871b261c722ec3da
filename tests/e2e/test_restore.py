"""Backup is pg_dump; this proves the restore. A running community is
dumped with pg_dump, restored with pg_restore into a fresh PostgreSQL
cluster, and served from there (same passphrase file, same public URL):
every certificate still verifies with openssl against the CRLs the
restored service publishes, the next revocation gets a CRL number higher
than any published before, and `troth audit verify` passes."""
import subprocess

from cryptography import x509

from harness import Cluster, Server
from pki_util import Community, Relying, ec_key, fetch_crl, wait_for


def crl_number(crl):
    return crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number


def test_pg_dump_restore_into_a_fresh_cluster(cluster, tmp_path):
    src = Server(cluster, db=cluster.new_db("restore"))
    src.migrate()
    src.init()
    src.start()
    api = src.token("admin")
    com = Community(src, api)
    m, uris = com.member()
    certs = []
    for _ in range(3):
        r = com.issue(api, m["id"], "udap-client", ec_key(), uris["client"])
        assert r.status_code == 201, r.text
        certs.append(r.json())
    revoked = certs[0]["serial"]
    assert api.post(f"/api/v1/certificates/{revoked}/revoke",
                    json={"reason": "keyCompromise"}).status_code == 200
    crl_url = f"{src.public}/crl/issuing.crl"
    ok, _ = wait_for(lambda: any(e.serial_number == int(revoked, 16)
                                 for e in fetch_crl(crl_url)), timeout=15)
    assert ok
    src.stop()
    published = int(cluster.psql("SELECT max(crl_number) FROM crls WHERE ca_id = 'issuing'",
                                 db=src.db))

    dump = tmp_path / "troth.dump"
    subprocess.run(["pg_dump", "--format=custom", "--no-owner", "--file", str(dump),
                    cluster.url(src.db)], check=True)
    fresh = Cluster()
    try:
        subprocess.run(["pg_restore", "--no-owner", "--exit-on-error", "--dbname",
                        fresh.url(), str(dump)], check=True)
        # the same public URL (what the certificates point to) and passphrase
        dst = Server(fresh, extra={"server": {
            "public_listen": f"127.0.0.1:{src.public_port}", "public_url": src.public}})
        dst.public, dst.public_port = src.public, src.public_port
        dst.passphrase_file.write_text(src.passphrase_file.read_text())
        dst.start()
        try:
            check_restored(dst, certs, revoked, published)
        finally:
            dst.stop()
    finally:
        fresh.destroy()


def check_restored(dst, certs, revoked, published):
    api = dst.token("admin")
    for c in certs:
        ok, out = Relying(dst, c["certificate_pem"]).openssl_verify()
        if c["serial"] == revoked:
            assert not ok and "certificate revoked" in out, out
        else:
            assert ok, out
    crl_url = f"{dst.public}/crl/issuing.crl"
    assert crl_number(fetch_crl(crl_url)) >= published
    serial = certs[1]["serial"]
    assert api.post(f"/api/v1/certificates/{serial}/revoke",
                    json={"reason": "superseded"}).status_code == 200
    crl, _ = wait_for(lambda: (lambda c: c if c.get_revoked_certificate_by_serial_number(
        int(serial, 16)) else None)(fetch_crl(crl_url)), timeout=15)
    assert crl, "the revocation never reached the restored CRL"
    assert crl_number(crl) > published
    ok, out = Relying(dst, certs[1]["certificate_pem"]).openssl_verify()
    assert not ok and "certificate revoked" in out
    ok, out = Relying(dst, certs[2]["certificate_pem"]).openssl_verify()
    assert ok, out
    r = dst.cli("audit", "verify")
    assert r.returncode == 0, r.stdout + r.stderr

"""The signature record (issue 10 section 4): no certificate or CRL the CA
signs may exist without a row saying so. The database is tampered with as
its superuser: a trigger on the certificates (or crls) INSERT copies every
signed DER it is handed into a table over a separate connection (dblink,
so the copy survives the rollback) and then raises serialization_failure,
once (db_tx retries) or always (the attempt is given up). Every DER so
captured must be in GET /api/v1/cas/{id}/signatures with the SHA-256 of
its TBS computed here by python3-cryptography; before the record existed a
retried issuance signed a second certificate and the first one vanished.
A crash between signing and storing (troth serve killed while the INSERT
is held in the trigger) leaves the reservation 'reserved', visible."""
import getpass
import hashlib
import socket
import threading
import time
import urllib.parse

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from harness import Server, problem
from pki_util import Community, ec_key, wait_for


@pytest.fixture(scope="module")
def srv(cluster):
    s = Server(cluster, db=cluster.new_db("sig"))
    s.migrate()
    s.init()
    s.start()
    s.su = lambda sql: cluster.psql(sql, db=s.db, admin=True)
    q = urllib.parse.parse_qs(urllib.parse.urlparse(cluster.admin_url(s.db)).query)
    conn = f"host={q['host'][0]} dbname={s.db} user={q['user'][0]}"
    s.su("CREATE EXTENSION IF NOT EXISTS dblink")
    s.su("CREATE TABLE tamper_plan (tbl text PRIMARY KEY, remaining int NOT NULL, "
         "sleep_s int NOT NULL DEFAULT 0)")
    s.su("CREATE TABLE tamper_seen (n serial PRIMARY KEY, tbl text, key text, der bytea)")
    s.su(f"""
CREATE FUNCTION tamper() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public AS $f$
DECLARE k text; left_ int; nap int;
BEGIN
  k := coalesce(to_jsonb(NEW)->>'serial', to_jsonb(NEW)->>'crl_number');
  PERFORM dblink_exec({conn!r}, format(
      'INSERT INTO tamper_seen (tbl, key, der) VALUES (%L, %L, %L::bytea)',
      TG_TABLE_NAME, k, NEW.der));
  SELECT r INTO left_ FROM dblink({conn!r}, format(
      'UPDATE tamper_plan SET remaining = remaining - 1 WHERE tbl = %L AND remaining > 0 '
      'RETURNING remaining', TG_TABLE_NAME)) AS t(r int);
  SELECT sleep_s INTO nap FROM tamper_plan WHERE tbl = TG_TABLE_NAME;
  IF nap > 0 THEN PERFORM pg_sleep(nap); END IF;
  IF left_ IS NOT NULL THEN
    RAISE EXCEPTION USING ERRCODE = 'serialization_failure',
                          MESSAGE = 'forced by test_signatures';
  END IF;
  RETURN NEW;
END $f$""")
    for t in ("certificates", "crls"):
        s.su(f"CREATE TRIGGER tamper BEFORE INSERT ON {t} FOR EACH ROW EXECUTE FUNCTION tamper()")
    yield s
    s.stop()


@pytest.fixture(scope="module")
def admin(srv):
    return srv.token("admin")


@pytest.fixture(scope="module")
def community(srv, admin):
    return Community(srv, admin)


def plan(srv, table, remaining, sleep_s=0):
    srv.su(f"INSERT INTO tamper_plan VALUES ('{table}', {remaining}, {sleep_s}) "
           f"ON CONFLICT (tbl) DO UPDATE SET remaining = {remaining}, sleep_s = {sleep_s}")


def captured(srv, table, after=0):
    """[(n, key, der)] the trigger was handed since capture number `after`."""
    out = srv.su(f"SELECT n, key, encode(der, 'hex') FROM tamper_seen "
                 f"WHERE tbl = '{table}' AND n > {after} ORDER BY n")
    return [(int(n), k, bytes.fromhex(d)) for n, k, d in
            (line.split("|") for line in out.splitlines() if line)]


def last_seen(srv):
    return int(srv.su("SELECT coalesce(max(n), 0) FROM tamper_seen"))


def signatures(api, ca="issuing", **params):
    r = api.get(f"/api/v1/cas/{ca}/signatures", params={"limit": 200, **params})
    assert r.status_code == 200, r.text
    return r.json()["items"]


def issuing_cert(admin):
    cas = admin.get("/api/v1/cas").json()["items"]
    ca = next(c for c in cas if c["kind"] == "issuing")
    return x509.load_der_x509_certificate(requests.get(ca["certificate_url"], timeout=5).content)


def verify(obj, tbs, issuer):
    pub, h = issuer.public_key(), obj.signature_hash_algorithm
    if isinstance(pub, rsa.RSAPublicKey):
        pub.verify(obj.signature, tbs, padding.PKCS1v15(), h)
    else:
        pub.verify(obj.signature, tbs, ec.ECDSA(h))


def new_request(community):
    m, uris = community.member()
    return m, uris["client"]


def issue(community, admin, m, uris):
    return community.issue(admin, m["id"], "udap-client", ec_key(), uris)


def test_a_retried_issuance_leaves_no_signed_certificate_unrecorded(srv, admin, community):
    m, uris = new_request(community)
    start = last_seen(srv)
    plan(srv, "certificates", 1)  # one serialization failure: db_tx retries
    r = issue(community, admin, m, uris)
    assert r.status_code == 201, r.text
    stored = r.json()["serial"]
    seen = captured(srv, "certificates", start)
    assert len(seen) == 2, seen  # the INSERT ran twice
    ca = issuing_cert(admin)
    record = {s["serial"]: s for s in signatures(admin, kind="certificate")}
    for _, serial, der in seen:
        cert = x509.load_der_x509_certificate(der)
        verify(cert, cert.tbs_certificate_bytes, ca)  # really signed by the CA
        assert f"{cert.serial_number:x}".zfill(len(serial)) == serial
        assert serial in record, f"signed certificate {serial} has no signature record"
        assert record[serial]["tbs_sha256"] == hashlib.sha256(
            cert.tbs_certificate_bytes).hexdigest()
    assert record[stored]["state"] == "issued"
    assert record[stored]["certificate_serial"] == stored
    assert record[stored]["signed_sha256"] == hashlib.sha256(seen[-1][2]).hexdigest()
    assert record[stored]["requested_by"] == "admin"
    # the retry stored the certificate signed the first time: one signature
    assert {s for _, s, _ in seen} == {stored}
    n_certs = int(srv.su("SELECT count(*) FROM certificates"))
    n_issued = int(srv.su("SELECT count(*) FROM signatures WHERE kind = 'certificate' "
                          "AND state = 'issued' AND ca_id = 'issuing'"))
    n_linked = int(srv.su("SELECT count(*) FROM certificates c JOIN signatures s ON "
                          "s.id = c.signature_id AND s.state = 'issued' "
                          "AND s.signed_sha256 = c.fingerprint_sha256 AND s.serial = c.serial"))
    assert n_certs == n_issued == n_linked


def test_a_failed_issuance_is_recorded_abandoned_with_its_tbs_hash(srv, admin, community):
    m, uris = new_request(community)
    before = int(srv.su("SELECT count(*) FROM certificates"))
    start = last_seen(srv)
    plan(srv, "certificates", 100)  # fails every attempt
    try:
        r = issue(community, admin, m, uris)
    finally:
        plan(srv, "certificates", 0)
    problem(r, 503)
    assert int(srv.su("SELECT count(*) FROM certificates")) == before
    seen = captured(srv, "certificates", start)
    assert seen and len({s for _, s, _ in seen}) == 1, seen  # signed once, offered 8 times
    serial, der = seen[0][1], seen[0][2]
    cert = x509.load_der_x509_certificate(der)
    verify(cert, cert.tbs_certificate_bytes, issuing_cert(admin))
    rows = [s for s in signatures(admin, state="abandoned") if s["serial"] == serial]
    assert len(rows) == 1, rows
    row = rows[0]
    assert row["kind"] == "certificate" and row["ca"] == "issuing"
    assert row["tbs_sha256"] == hashlib.sha256(cert.tbs_certificate_bytes).hexdigest()
    assert row["signed_sha256"] == hashlib.sha256(der).hexdigest()
    assert row["certificate_serial"] is None and row["reason"]
    assert row["decided_at"] is not None
    # the member can still be issued a certificate afterwards
    assert issue(community, admin, m, uris).status_code == 201


def test_crls_retried_and_abandoned_are_recorded(srv, admin):
    start = last_seen(srv)
    plan(srv, "crls", 1)
    r = admin.post("/api/v1/cas/issuing/crl")
    assert r.status_code == 200, r.text
    number = r.json()["crl_number"]
    plan(srv, "crls", 100)
    try:
        problem(admin.post("/api/v1/cas/issuing/crl"), 503)
    finally:
        plan(srv, "crls", 0)
    r = admin.post("/api/v1/cas/issuing/crl")
    assert r.status_code == 200, r.text
    after = r.json()["crl_number"]
    ca = issuing_cert(admin)
    record = {s["crl_number"]: s for s in signatures(admin, kind="crl")}
    seen = captured(srv, "crls", start)
    assert {int(k) for _, k, _ in seen} == {number, number + 1, after}, seen
    for _, k, der in seen:
        crl = x509.load_der_x509_crl(der)
        verify(crl, crl.tbs_certlist_bytes, ca)
        row = record[int(k)]
        assert row["tbs_sha256"] == hashlib.sha256(crl.tbs_certlist_bytes).hexdigest()
        assert row["serial"] is None and row["kind"] == "crl"
    assert record[number]["state"] == "issued"
    assert record[number + 1]["state"] == "abandoned"
    # a number that was signed is never signed again
    assert after == number + 2 and record[after]["state"] == "issued"


def test_a_crash_between_signing_and_storing_leaves_the_reservation_visible(
        srv, admin, community, cluster):
    m, uris = new_request(community)
    start = last_seen(srv)
    plan(srv, "certificates", 0, sleep_s=600)  # the INSERT waits in the trigger
    def doomed():  # the server dies under this request: no answer comes
        try:
            issue(community, admin, m, uris)
        except requests.ConnectionError:
            pass
    t = threading.Thread(target=doomed, daemon=True)
    t.start()
    try:
        got, _ = wait_for(lambda: captured(srv, "certificates", start), timeout=30)
        assert got, "the trigger never saw the certificate"
        srv.proc.kill()  # troth serve dies between signing and committing
        srv.proc.wait()
        srv.log.close()
        srv.proc = None
        srv.su("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
               "WHERE wait_event = 'PgSleep' AND datname = current_database()")
    finally:
        plan(srv, "certificates", 0)
    t.join(timeout=30)
    srv.start()
    serial, der = got[0][1], got[0][2]
    cert = x509.load_der_x509_certificate(der)
    admin2 = srv.token("admin")
    rows = [s for s in signatures(admin2, state="reserved") if s["serial"] == serial]
    assert len(rows) == 1, srv.su(f"SELECT * FROM signatures WHERE serial = '{serial}'")
    assert rows[0]["tbs_sha256"] == hashlib.sha256(cert.tbs_certificate_bytes).hexdigest()
    assert rows[0]["decided_at"] is None and rows[0]["signed_sha256"] is None
    assert int(srv.su(f"SELECT count(*) FROM certificates WHERE serial = '{serial}'")) == 0
    # the CLI lists it too, and the ceremony report counts it
    out = srv.cli("ca", "signatures", "issuing", "--state", "reserved")
    assert out.returncode == 0, out.stderr
    assert serial in out.stdout and rows[0]["tbs_sha256"] in out.stdout
    rep = srv.cli("ca", "ceremony-report", "issuing")
    assert rep.returncode == 0, rep.stderr
    assert "reserved (signed or about to be, never stored): 1" in rep.stdout, rep.stdout
    undecided_is_warned_then_settled(srv, admin2, rows[0]["id"], serial)


def undecided(srv, admin):
    """(readyz warnings about undecided signatures, troth_signatures_undecided)."""
    ready = requests.get(srv.public + "/readyz", timeout=10)
    assert ready.status_code == 200, ready.text  # a warning, never a reason to stop serving
    warned = [w for w in ready.json()["warnings"] if "reserved over 5 minutes ago" in w]
    gauge = [line for line in admin.get("/metrics").text.splitlines()
             if line.startswith('troth_signatures_undecided{ca="issuing"}')]
    return warned, gauge


def undecided_is_warned_then_settled(srv, admin, sig_id, serial):
    """A reservation left by a crash is warned about in /readyz and counted in
    /metrics once it is 5 minutes old (fresh, an issuance may be between its
    steps); `troth ca signatures --abandon ID --reason` settles it, audited."""
    time.sleep(11)  # the gauges' query runs every 10 s
    assert undecided(srv, admin) == ([], ['troth_signatures_undecided{ca="issuing"} 0'])
    srv.su(f"UPDATE signatures SET reserved_at = reserved_at - interval '6 minutes' "
           f"WHERE id = {sig_id}")  # what six minutes would do
    (warned, gauge), _ = wait_for(lambda: (lambda w: w if w[0] else None)(undecided(srv, admin)),
                                  timeout=30, step=0.5)
    assert len(warned) == 1 and "CA issuing: 1 signature" in warned[0], warned
    assert "troth ca signatures issuing --state reserved" in warned[0], warned
    assert gauge == ['troth_signatures_undecided{ca="issuing"} 1'], gauge
    # bad input changes nothing
    r = srv.cli("ca", "signatures", "issuing", "--abandon", sig_id)
    assert r.returncode == 2 and "--reason" in r.stderr, r.stderr
    issued = srv.su("SELECT id FROM signatures WHERE state = 'issued' LIMIT 1")
    r = srv.cli("ca", "signatures", "issuing", "--abandon", issued, "--reason", "x")
    assert r.returncode == 1 and "not reserved" in r.stderr, r.stderr
    r = srv.cli("ca", "signatures", "root", "--abandon", sig_id, "--reason", "x")
    assert r.returncode == 1 and "not reserved" in r.stderr, r.stderr
    assert srv.su(f"SELECT state FROM signatures WHERE id = {sig_id}") == "reserved"
    r = srv.cli("ca", "signatures", "issuing", "--abandon", sig_id, "--reason",
                "checked: troth serve was killed before it stored the certificate")
    assert r.returncode == 0, r.stderr
    row = srv.su(f"SELECT state, reason FROM signatures WHERE id = {sig_id}")
    assert row.startswith("abandoned|settled by cli:") and "was killed" in row, row
    ev = srv.su(f"SELECT count(*) FROM audit_events WHERE action = 'signature.abandon' "
                f"AND object_id = '{sig_id}' AND details->>'serial' = '{serial}'")
    assert ev == "1"
    wait_for(lambda: not undecided(srv, admin)[0], timeout=30, step=0.5)
    assert undecided(srv, admin) == ([], ['troth_signatures_undecided{ca="issuing"} 0'])


def test_signatures_paging_and_bad_input(srv, admin):
    first = admin.get("/api/v1/cas/issuing/signatures", params={"limit": 1})
    assert first.status_code == 200
    body = first.json()
    assert len(body["items"]) == 1 and body["next_cursor"]
    nxt = admin.get("/api/v1/cas/issuing/signatures",
                    params={"limit": 1, "cursor": body["next_cursor"]}).json()
    assert int(nxt["items"][0]["id"]) < int(body["items"][0]["id"])
    problem(admin.get("/api/v1/cas/issuing/signatures", params={"state": "lost"}), 400)
    problem(admin.get("/api/v1/cas/issuing/signatures", params={"kind": "x"}), 400)
    problem(admin.get("/api/v1/cas/nosuch/signatures"), 404)
    auditor = srv.user("sigauditor", "auditor")
    assert auditor.get("/api/v1/cas/root/signatures").status_code == 200


def spki_sha256(cert):
    return hashlib.sha256(cert.public_key().public_bytes(
        serialization.Encoding.DER,
        serialization.PublicFormat.SubjectPublicKeyInfo)).hexdigest()


def test_init_records_each_key_and_each_ca_certificate(srv, admin):
    """`troth init` (keys in the database): an audit event per CA naming its
    key type and size, the SHA-256 of its SPKI (computed here from the
    published certificate), where it lives, the unix user and the host; the
    root's signature record lists both CA certificates with their TBS hash;
    the ceremony report carries it all."""
    cas = {c["id"]: c for c in admin.get("/api/v1/cas").json()["items"]}
    certs = {i: x509.load_der_x509_certificate(requests.get(c["certificate_url"],
                                                            timeout=5).content)
             for i, c in cas.items()}
    events = admin.get("/api/v1/audit", params={"action": "ca.create", "limit": 200}).json()
    by_ca = {e["object_id"]: e["details"] for e in events["items"]}
    want_key = {"root": "EC P-384", "issuing": "EC P-256"}
    for ca_id in ("root", "issuing"):
        d = by_ca[ca_id]
        assert d["ca"] == ca_id and d["key"] == want_key[ca_id]
        assert d["spki_sha256"] == spki_sha256(certs[ca_id])
        assert d["key_location"] == "database-encrypted"
        assert d["operator"] == getpass.getuser() and d["host"] == socket.gethostname()
    rows = {s["serial"]: s for s in signatures(admin, ca="root", kind="certificate")}
    for ca_id in ("root", "issuing"):
        cert = certs[ca_id]
        (row,) = [r for k, r in rows.items() if int(k, 16) == cert.serial_number]
        assert row["state"] == "issued"
        assert row["tbs_sha256"] == hashlib.sha256(cert.tbs_certificate_bytes).hexdigest()
        assert row["signed_sha256"] == hashlib.sha256(
            cert.public_bytes(serialization.Encoding.DER)).hexdigest()
    rep = srv.cli("ca", "ceremony-report", "root")
    assert rep.returncode == 0, rep.stderr
    assert spki_sha256(certs["root"]) in rep.stdout and "database-encrypted" in rep.stdout
    assert "certificate issued: 2" in rep.stdout
    assert "crl         issued: 1" in rep.stdout  # the root's first CRL, made at init
    assert "Witness:" in rep.stdout


def test_cli_lists_the_record_and_refuses_bad_arguments(srv, admin):
    api_crls = {str(s["crl_number"]) for s in signatures(admin, kind="crl")}
    out = srv.cli("ca", "signatures", "issuing", "--kind", "crl", "--limit", "200")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines and all(line.split()[2] == "crl" for line in lines)
    assert {line.split()[3] for line in lines} == api_crls
    for bad in (["--state", "lost"], ["--kind", "x"], ["--limit", "0"], ["--limit", "x"], []):
        r = srv.cli("ca", "signatures", *(["issuing"] if bad else []), *bad)
        assert r.returncode == 2 and "usage" in r.stderr, (bad, r.stderr)
    r = srv.cli("ca", "signatures", "nosuch")
    assert r.returncode == 1 and "no CA nosuch" in r.stderr

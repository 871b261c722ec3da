"""Target 1: certificates per second, Troth vs cfssl, 8 keep-alive clients,
the same EC P-256 CSRs; and the ECDSA P-256 signing ceiling of the machine."""
import glob
import json
import os
import re
import statistics
import subprocess

import cakey
import cfssl_peer
import csrs
import trothenv
import wrkrun

URI = "https://issuer.bench.example.org/app"


def ceiling(seconds):
    r = subprocess.run(["openssl", "speed", "-seconds", str(seconds), "ecdsap256"],
                       capture_output=True, text=True, check=True)
    line = [l for l in r.stdout.splitlines() if "nistp256" in l][-1]
    sign_s = float(line.split()[-2])
    return sign_s * os.cpu_count()


PGBENCH_SCRIPT = """\\set n random(1, 2000000000)
BEGIN;
INSERT INTO pb_certificates (serial, member_id, der) VALUES (md5(:n::text || clock_timestamp()::text), :n % 1000, decode(repeat('ab', 700), 'hex'));
INSERT INTO pb_audit (action, object_id, details) VALUES ('certificate.issue', :n::text, '{"profile": "udap-client", "uris": ["https://issuer.bench.example.org/app"]}');
END;
"""


def pgbench_ceiling(cluster, troth, folder, secs, rounds):
    """The durable-commit ceiling: pgbench, 8 clients, one transaction of the
    same two inserts (a certificate row with its DER, an audit event) per
    issuance, on the same cluster; median transactions per second."""
    cluster.psql("DROP TABLE IF EXISTS pb_certificates, pb_audit; "
                 "CREATE TABLE pb_certificates (serial text PRIMARY KEY, member_id bigint, "
                 "der bytea NOT NULL, created_at timestamptz NOT NULL DEFAULT now()); "
                 "CREATE TABLE pb_audit (id bigserial PRIMARY KEY, action text NOT NULL, "
                 "object_id text, details jsonb, created_at timestamptz NOT NULL DEFAULT now())",
                 db=troth.db)
    script = os.path.join(folder, "pgbench-issue.sql")
    with open(script, "w") as f:
        f.write(PGBENCH_SCRIPT)
    pgbench = next((p for p in sorted(glob.glob("/usr/lib/postgresql/*/bin/pgbench"), reverse=True)),
                   "pgbench")
    tps = []
    for _ in range(rounds):
        r = subprocess.run([pgbench, "-n", "-c", "8", "-j", "2", "-T", str(secs), "-f", script,
                            cluster.url(troth.db)], capture_output=True, text=True, check=True)
        tps.append(float(re.search(r"tps = ([0-9.]+)", r.stdout).group(1)))
    cluster.psql("DROP TABLE pb_certificates, pb_audit", db=troth.db)
    return tps


def run(cluster, troth, folder, quick):
    n, secs, rounds = (500, 3, 3) if quick else (2000, 10, 3)
    mid = troth.cli("member", "add", "--name", "Bench Issuer", "--org-id",
                    "urn:bench:issuer", "--uri", URI)
    st, _, body = trothenv.http("POST", f"{troth.admin}/api/v1/members/{mid}/activate",
                                b"", troth.auth())
    assert st == 200, body
    pems = csrs.make(n, URI)
    tb, cb = os.path.join(folder, "troth-bodies.lua"), os.path.join(folder, "cfssl-bodies.lua")
    csrs.write_bodies(tb, csrs.troth_bodies(pems, mid, URI))
    csrs.write_bodies(cb, csrs.cfssl_bodies(pems))
    st, _, body = trothenv.http("POST", troth.admin + "/api/v1/certificates",
                                csrs.troth_bodies(pems[:1], mid, URI)[0].encode(),
                                dict(troth.auth(), **{"Content-Type": "application/json"}))
    assert st == 201, body
    def count():
        return tuple(int(x) for x in cluster.psql(
            "SELECT (SELECT count(*) FROM certificates), (SELECT count(*) FROM audit_events "
            "WHERE action = 'certificate.issue')", db=troth.db).split("|"))
    before = count()
    t = wrkrun.rounds(troth.admin + "/api/v1/certificates", 8, secs, rounds, "post.lua",
                      {"BODIES": tb, "TOKEN": troth.token})
    after = count()
    stored, audited = after[0] - before[0], after[1] - before[1]
    assert stored == audited, (stored, audited)
    cert, key = cakey.load(cluster, troth.db, "issuing", troth.passphrase)
    ca_pem, key_pem = os.path.join(folder, "issuing.pem"), os.path.join(folder, "issuing.key")
    cakey.write_pem(cert, key, ca_pem, key_pem)
    cf = cfssl_peer.Cfssl(cluster, folder, ca_pem, key_pem)
    cf.start()
    try:
        st, _, body = trothenv.http("POST", cf.url + "/api/v1/cfssl/sign",
                                    csrs.cfssl_bodies(pems[:1])[0].encode(),
                                    {"Content-Type": "application/json"})
        assert st == 200 and json.loads(body)["success"], body
        c = wrkrun.rounds(cf.url + "/api/v1/cfssl/sign", 8, secs, rounds, "post.lua",
                          {"BODIES": cb, "TOKEN": ""})
        cf_stored = cf.stored()
    finally:
        cf.stop()
    ceil = ceiling(1 if quick else 3)
    pg = pgbench_ceiling(cluster, troth, folder, secs, rounds)
    tm, cm, pm = statistics.median(t), statistics.median(c), statistics.median(pg)
    details = {"troth_rounds": t, "cfssl_rounds": c, "troth_stored": stored, "troth_audited": audited,
               "cfssl_stored": cf_stored, "ceiling_signs_per_s": ceil,
               "troth_share_of_ceiling": tm / ceil, "pgbench_tps_rounds": pg,
               "csrs": n, "seconds": secs}
    rows = [
        {"figure": "issuance, certs/s (8 clients)", "troth": tm, "peer": cm,
         "ratio": tm / cm, "target": ">= 4x cfssl", "met": tm / cm >= 4},
        {"figure": "  ceiling: openssl speed p256 sign/s x cores", "troth": tm, "peer": ceil,
         "ratio": tm / ceil, "target": "(share)", "met": True},
        {"figure": "  ceiling: pgbench, the same two inserts, tx/s", "troth": tm, "peer": pm,
         "ratio": tm / pm, "target": "(share)", "met": True},
    ]
    return rows, details

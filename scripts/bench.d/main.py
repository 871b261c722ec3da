"""scripts/bench: sets everything up in a temporary folder, runs the four
comparisons of issue 6, prints one table and writes bench/results/*.json."""
import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bulk  # noqa: E402
import crlgen  # noqa: E402
import issuance  # noqa: E402
import pkcs11  # noqa: E402
import report  # noqa: E402
import signer  # noqa: E402
import soak  # noqa: E402
import serving  # noqa: E402
import store  # noqa: E402
import trothenv  # noqa: E402


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def valid_serials(cluster, troth, n):
    return cluster.psql("SELECT serial FROM certificates WHERE ca_id = 'issuing' AND "
                        f"status = 'valid' ORDER BY serial LIMIT {n}", db=troth.db).split()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", default="1234567", help="targets to run, e.g. 12")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder")
    ap.add_argument("--soak", action="store_true",
                    help="only the soak: mixed load, RSS and fds flat, no error")
    ap.add_argument("--soak-minutes", type=int, default=60)
    a = ap.parse_args()
    if a.soak:
        a.only = "S"
    q = a.quick
    folder = tempfile.mkdtemp(prefix="troth-bench.")
    os.chmod(folder, 0o755)
    rows, details = [], {}
    t_start = time.monotonic()
    cluster = trothenv.Cluster(folder)
    servers = []
    try:
        if "1" in a.only or "2" in a.only:
            t = trothenv.Troth(cluster, folder, "troth")
            servers.append(t)
            t.setup()
            t.start()
            if "1" in a.only:
                log("target 1: issuance, Troth vs cfssl")
                r, d = issuance.run(cluster, t, folder, q)
                rows += r
                details["issuance"] = d
            if "2" in a.only:
                log("target 2: CRL/anchor serving, Troth vs nginx")
                r, d = serving.run(cluster, t, folder, q)
                rows += r
                details["serving"] = d
            t.stop()
        if "3" in a.only or "4" in a.only or "6" in a.only:
            members, certs, revoked = (1000, 100_000, 10_000) if q else \
                (10_000, 1_000_000, 100_000)
            b = trothenv.Troth(cluster, folder, "troth_big")
            servers.append(b)
            b.setup()
            log(f"bulk load: {certs:,} certificates, {members:,} members, {revoked:,} revoked")
            secs = bulk.load(cluster, b.db, b.passphrase, b.public, members, certs, revoked)
            details["bulk_load_seconds"] = secs
            log(f"bulk load took {secs:.0f} s")
            b.start()
            crlgen.wait_entries(b, revoked)
            rounds = 3
            serials = valid_serials(cluster, b, 2 * (rounds + 1))
            if "3" in a.only:
                log(f"target 3: CRL generation at {revoked:,} revoked")
                r, d = crlgen.run(cluster, b, folder, f"{revoked:,} revoked", rounds,
                                  serials[:rounds + 1])
                rows += r
                details[f"crl_{revoked}"] = d
            if "4" in a.only:
                log(f"target 4: large store ({certs:,} certificates)")
                r, d = store.run(cluster, b, q)
                rows += [dict(x, figure=f"[{certs // 1000}k certs] " + x["figure"]) for x in r]
                details["store"] = d
            if "3" in a.only or "6" in a.only:
                log("revoking all but a few of the bulk certificates")
                secs = bulk.revoke_all_but(cluster, b.db, rounds + 1)
                details["revoke_all_seconds"] = secs
                n = int(cluster.psql("SELECT count(*) FROM certificates WHERE status <> "
                                     "'valid' AND not_after > now()", db=b.db))
                crlgen.wait_entries(b, n)
            if "3" in a.only:
                log(f"target 3: CRL generation at {n:,} revoked")
                r, d = crlgen.run(cluster, b, folder, f"{n:,} revoked", rounds,
                                  valid_serials(cluster, b, rounds + 1),
                                  within=None if q else 2)
                rows += r
                details[f"crl_{n}"] = d
            if "6" in a.only:
                # past the signer's 64 MiB frame (about 1.45 M entries), where
                # a CRL was once never refreshed
                big = 300_000 if q else 3_000_000
                add = big - n
                log(f"target 6: {add:,} more revoked certificates, to {big:,}")
                secs = bulk.load(cluster, b.db, b.passphrase, b.public, max(1, add // 1000),
                                 add + rounds + 1, add, tag="m")
                details["bulk_load_big_seconds"] = secs
                n = int(cluster.psql("SELECT count(*) FROM certificates WHERE status <> "
                                     "'valid' AND not_after > now()", db=b.db))
                crlgen.wait_entries(b, n, timeout=900)
                log(f"target 6: CRL generation at {n:,} revoked")
                r, d = crlgen.run(cluster, b, folder, f"{n:,} revoked", rounds,
                                  valid_serials(cluster, b, rounds + 1), within=5)
                rows += r
                details[f"crl_{n}"] = d
        if "7" in a.only:
            log("target 7: issuance with the issuing key in a SoftHSM2 token")
            db = details.get("issuance", {}).get("troth_rounds")
            r, d = pkcs11.run(cluster, folder, q, statistics.median(db) if db else None)
            rows += r
            details["pkcs11"] = d
        if "S" in a.only:
            log(f"soak: {a.soak_minutes} min of mixed load")
            t = trothenv.Troth(cluster, folder, "troth_soak")
            servers.append(t)
            t.setup()
            t.start()
            r, d = soak.run(cluster, t, a.soak_minutes, log)
            rows += r
            details["soak"] = d
            t.stop()
        if "5" in a.only:
            log("target 5: the signer alone")
            r, d = signer.run()
            rows += r
            details["signer"] = d
    finally:
        for s in servers:
            s.stop()
        if a.keep:
            log(f"kept {folder} (scripts/pg destroy {folder}/pg when done)")
        else:
            cluster.destroy()
            shutil.rmtree(folder, ignore_errors=True)
    details["wall_seconds"] = time.monotonic() - t_start
    print(report.table(rows))
    path = report.write(rows, details, "soak" if a.soak else "quick" if q else "full")
    print(f"\n{report.cpu_model()}, {os.cpu_count()} cores; commit {report.commit()}; "
          f"{details['wall_seconds']:.0f} s; {os.path.relpath(path, report.ROOT)}")


if __name__ == "__main__":
    main()

"""Target 2: the public listener vs nginx serving the same bytes as static
files, 64 keep-alive connections: the 10,000-entry CRL, an empty CRL, the
anchors, and 304 answers to If-None-Match."""
import statistics
import time

from cryptography import x509

import bulk
import nginx_peer
import trothenv
import wrkrun


def wait_crl(url, entries, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        st, h, body = trothenv.http("GET", url)
        if st == 200 and len(x509.load_der_x509_crl(body)) == entries:
            return body
        time.sleep(0.1)
    raise RuntimeError(f"{url}: no CRL of {entries} entries")


def run(cluster, troth, folder, quick):
    secs, rounds = (1, 3) if quick else (5, 3)
    n = int(cluster.psql("SELECT count(*) FROM certificates WHERE status <> 'valid' "
                         "AND ca_id = 'issuing' AND not_after > now()", db=troth.db))
    bulk.load(cluster, troth.db, troth.passphrase, troth.public, 100, 10000 - n,
              10000 - n, tag="crl")
    wait_crl(troth.public + "/crl/issuing.crl", 10000)
    paths = [("CRL, 10,000 entries", "/crl/issuing.crl"), ("CRL, empty", "/crl/root.crl"),
             ("anchors.pem", "/anchors.pem")]
    files = {p: trothenv.http("GET", troth.public + p)[2] for _, p in paths}
    ng = nginx_peer.Nginx(folder, files)
    ng.start()
    rows, details = [], {}
    try:
        for name, p in paths + [("CRL 10k, If-None-Match -> 304", "/crl/issuing.crl")]:
            env_t, env_n = {}, {}
            if "304" in name:
                env_t["INM"] = trothenv.http("GET", troth.public + p)[1]["ETag"]
                env_n["INM"] = trothenv.http("GET", ng.url + p)[1]["ETag"]
                for base, e in ((troth.public, env_t), (ng.url, env_n)):
                    st = trothenv.http("GET", base + p, headers={"If-None-Match": e["INM"]})[0]
                    assert st == 304, (base, st)
            else:
                assert trothenv.http("GET", ng.url + p)[2] == files[p]
            t = wrkrun.rounds(troth.public + p, 64, secs, rounds, "get.lua", env_t, warmup=1)
            g = wrkrun.rounds(ng.url + p, 64, secs, rounds, "get.lua", env_n, warmup=1)
            tm, gm = statistics.median(t), statistics.median(g)
            details[p + (" 304" if "304" in name else "")] = {
                "troth_rounds": t, "nginx_rounds": g, "bytes": len(files[p])}
            rows.append({"figure": f"{name} ({len(files[p]):,} B), req/s", "troth": tm,
                         "peer": gm, "ratio": tm / gm, "target": ">= 0.9x nginx",
                         "met": tm / gm >= 0.9})
    finally:
        ng.stop()
    return rows, details

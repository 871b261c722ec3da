"""Target 4: a large store: p95 latency of list/search, readiness after
start, idle memory."""
import http.client
import random
import time
import urllib.parse

import trothenv


def p95(xs):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(0.95 * (len(xs) - 1))))]


def latencies(cluster, troth, n, rounds):
    rows = cluster.psql("SELECT m.member_id || ' ' || m.uri FROM member_uris m "
                        "WHERE m.uri LIKE 'https://app%' ORDER BY random() LIMIT 500",
                        db=troth.db).splitlines()
    serials = cluster.psql("SELECT serial FROM certificates TABLESAMPLE SYSTEM (1) LIMIT 500",
                           db=troth.db).split()
    kinds = {
        "by member": lambda: {"member_id": random.choice(rows).split()[0]},
        "by SAN URI": lambda: {"uri": random.choice(rows).split()[1]},
        "by serial (prefix q)": lambda: {"q": random.choice(serials)[:10]},
        "expiring within 30 days": lambda: {"expiring_within_days": "30"},
    }
    port = troth.admin_port
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    out = {}
    for kind, make in kinds.items():
        samples = []
        budget = time.monotonic() + 60  # a slow query must not stall the run
        for r in range(rounds + 1):
            for _ in range(n):
                if r and time.monotonic() > budget and len(samples) >= 20:
                    break
                q = dict(make(), limit="50")
                t0 = time.perf_counter()
                conn.request("GET", "/api/v1/certificates?" + urllib.parse.urlencode(q),
                             headers=troth.auth())
                resp = conn.getresponse()
                resp.read()
                dt = time.perf_counter() - t0
                assert resp.status == 200, (kind, resp.status)
                if r:  # round 0 is the warm-up
                    samples.append(dt)
        out[kind] = samples
    conn.close()
    return out


def run(cluster, troth, quick):
    rounds = 3
    lat = latencies(cluster, troth, 30 if quick else 100, rounds)
    rows, details = [], {}
    for kind, s in lat.items():
        v = p95(s) * 1000
        details[kind] = {"p95_ms": v, "median_ms": sorted(s)[len(s) // 2] * 1000,
                         "n": len(s)}
        rows.append({"figure": f"list/search {kind}: p95 ms", "troth": v, "peer": None,
                     "ratio": None, "target": "<= 20 ms", "met": v <= 20})
    ready = []
    for _ in range(rounds):
        troth.stop()
        ready.append(troth.start())
    time.sleep(3)
    web, kids = troth.pids()
    web_kb = trothenv.proc_status_kb(web, "VmRSS")
    kids_kb = sum(trothenv.proc_status_kb(k, "VmRSS") for k in kids)
    r = max(ready)
    details["ready_seconds"] = ready
    details["idle_rss_web_kb"] = web_kb
    details["idle_rss_signers_kb"] = kids_kb
    rows.append({"figure": "serve ready (readyz 200) after start, s (max)", "troth": r,
                 "peer": None, "ratio": None, "target": "<= 1 s", "met": r <= 1})
    mb = (web_kb + kids_kb) / 1024
    rows.append({"figure": f"idle RSS MB (web {web_kb / 1024:.0f} + {len(kids)} signers)",
                 "troth": mb, "peer": None, "ratio": None, "target": "<= 50 MB",
                 "met": mb <= 50})
    return rows, details

"""--soak: a long mixed load (issuance, revocation, CRL fetches, the admin
UI's API reads) against one `troth serve`, sampling the RSS and open file
descriptors of the web process and of the signer workers every 10 s (and
the size of the CRL, which grows with every revocation and is held in
memory: some RSS growth is data, not a leak). After
the warm-up (the first fifth, at least 60 s) both must stay flat, and no
request may fail. Prints the samples and the figures."""
import json
import os
import random
import threading
import time

import csrs
import trothenv

URI = "https://soak.bench.example.org/app"
SAMPLE_S = 10


def fds(pid):
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return 0


def sample(troth, crl_url):
    web, workers = troth.pids()
    crl = trothenv.http("GET", crl_url)[2]
    return {"t": time.monotonic(), "crl_kb": len(crl) // 1024,
            "web_rss_kb": trothenv.proc_status_kb(web, "VmRSS"), "web_fds": fds(web),
            "signer_rss_kb": sum(trothenv.proc_status_kb(w, "VmRSS") for w in workers),
            "signer_fds": sum(fds(w) for w in workers)}


class Mix:
    def __init__(self, troth, mid, crl_url, pems):
        self.troth, self.mid, self.crl_url, self.pems = troth, mid, crl_url, pems
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.counts, self.errors, self.valid = {}, [], []

    def note(self, what, st, body):
        with self.lock:
            self.counts[what] = self.counts.get(what, 0) + 1
            if not 200 <= st < 300:
                self.errors.append((what, st, body[:200]))

    def client(self, i):
        rnd = random.Random(i)
        h = dict(self.troth.auth(), **{"Content-Type": "application/json"})
        reads = ["/api/v1/certificates?limit=20", "/api/v1/members?limit=20",
                 "/api/v1/me", "/api/v1/audit?limit=20", "/api/v1/cas"]
        while not self.stop.is_set():
            k = rnd.random()
            try:
                if k < 0.3:
                    body = json.dumps({"member_id": self.mid, "profile": "udap-client",
                                       "csr": rnd.choice(self.pems), "uris": [URI]})
                    st, _, b = trothenv.http("POST", self.troth.admin + "/api/v1/certificates",
                                             body.encode(), h)
                    self.note("issue", st, b)
                    if st == 201:
                        with self.lock:
                            self.valid.append(json.loads(b)["serial"])
                elif k < 0.45:
                    with self.lock:
                        sn = self.valid.pop(rnd.randrange(len(self.valid))) if self.valid else None
                    if sn:
                        st, _, b = trothenv.http(
                            "POST", f"{self.troth.admin}/api/v1/certificates/{sn}/revoke",
                            b'{"reason":"superseded"}', h)
                        self.note("revoke", st, b)
                elif k < 0.75:
                    st, _, b = trothenv.http("GET", self.crl_url)
                    self.note("crl", st, b)
                else:
                    st, _, b = trothenv.http("GET", self.troth.admin + rnd.choice(reads),
                                             None, self.troth.auth())
                    self.note("read", st, b)
            except OSError as e:
                self.note("closed", 599, str(e).encode())


def run(cluster, troth, minutes, log):
    mid = troth.cli("member", "add", "--name", "Soak Member", "--org-id",
                    "urn:bench:soak", "--uri", URI)
    st, _, body = trothenv.http("POST", f"{troth.admin}/api/v1/members/{mid}/activate",
                                b"", troth.auth())
    assert st == 200, body
    pems = csrs.make(64, URI)
    ca = [c for c in json.loads(trothenv.http("GET", troth.admin + "/api/v1/cas", None,
                                              troth.auth())[2])["items"]
          if c["kind"] == "issuing"][0]
    mix = Mix(troth, mid, f"{troth.public}/crl/{ca['id']}.crl", pems)
    threads = [threading.Thread(target=mix.client, args=(i,)) for i in range(6)]
    total = minutes * 60
    warm = max(60, total / 5)
    samples = [sample(troth, mix.crl_url)]
    t0 = samples[0]["t"]
    for t in threads:
        t.start()
    try:
        while time.monotonic() - t0 < total:
            time.sleep(SAMPLE_S)
            s = sample(troth, mix.crl_url)
            samples.append(s)
            log(f"soak {s['t'] - t0:5.0f} s: web {s['web_rss_kb'] / 1024:.1f} MiB "
                f"{s['web_fds']} fds, signer {s['signer_rss_kb'] / 1024:.1f} MiB "
                f"{s['signer_fds']} fds, CRL {s['crl_kb']} KiB, "
                f"{sum(mix.counts.values()):,} requests, "
                f"{len(mix.errors)} errors")
    finally:
        mix.stop.set()
        for t in threads:
            t.join()
    after = [s for s in samples if s["t"] - t0 >= warm]
    base = after[0]
    peak = {k: max(s[k] for s in after) for k in base if k != "t"}
    growth = {k: peak[k] - base[k] for k in peak}
    # flat: RSS within 10 % (and 16 MiB) of the warm-up's end, fds within 8
    flat_rss = all(growth[k] <= max(16 * 1024, base[k] // 10)
                   for k in ("web_rss_kb", "signer_rss_kb"))
    flat_fds = all(growth[k] <= 8 for k in ("web_fds", "signer_fds"))
    n = sum(mix.counts.values())
    rows = [
        {"figure": f"soak {minutes} min: requests ({', '.join(f'{k} {v:,}' for k, v in sorted(mix.counts.items()))})",
         "troth": n, "target": "no error", "met": not mix.errors},
        {"figure": f"soak: web RSS growth after warm-up, MiB (the CRL it serves grew "
                   f"{growth['crl_kb'] / 1024:.1f} MiB)", "troth": growth["web_rss_kb"] / 1024,
         "target": "<= 10 % / 16 MiB", "met": flat_rss},
        {"figure": "soak: signer RSS growth after warm-up, MiB",
         "troth": growth["signer_rss_kb"] / 1024, "target": "<= 10 % / 16 MiB", "met": flat_rss},
        {"figure": "soak: open fds growth after warm-up (web + signer)",
         "troth": growth["web_fds"] + growth["signer_fds"], "target": "<= 8 each", "met": flat_fds},
    ]
    return rows, {"samples": samples, "errors": mix.errors[:20], "counts": mix.counts,
                  "warm_seconds": warm, "growth": growth}

"""Target 5: the signer alone (build/bench/signer): leaf certificates per
second through the signer pool, EC P-256 and RSA-2048 issuing CAs, 1 and 2
workers; no HTTP, no database. Says what the signer costs an issuance."""
import re
import subprocess

import report


def run():
    out = subprocess.run([report.ROOT + "/build/bench/signer"], capture_output=True,
                         text=True, timeout=600, check=True).stdout
    rows = []
    for w, ec, rsa in re.findall(r"signer, (\d) worker\(s\), \d client thread\(s\): "
                                 r"EC P-256 (\d+) certs/s, RSA-2048 (\d+) certs/s", out):
        for name, v in (("EC P-256", ec), ("RSA-2048", rsa)):
            rows.append({"figure": f"signer alone, {w} worker(s), {name}: certs/s",
                         "troth": float(v), "peer": None, "ratio": None,
                         "target": "(informational)", "met": True})
    if not rows:
        raise RuntimeError("build/bench/signer printed no figures:\n" + out)
    return rows, {"output": out}

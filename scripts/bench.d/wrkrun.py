"""Runs wrk (warm-up, then rounds) and returns requests/s per round."""
import os
import re
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))


def once(url, conns, seconds, script, env=None, threads=2):
    e = dict(os.environ, **(env or {}))
    r = subprocess.run(["wrk", f"-t{threads}", f"-c{conns}", f"-d{seconds}s",
                        "--timeout", "10s", "-s", os.path.join(HERE, script), url],
                       capture_output=True, text=True, env=e, check=True)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", r.stdout).group(1))
    m = re.search(r"STATUS ok=(\d+) bad=(\d+)", r.stdout)
    ok, bad = int(m.group(1)), int(m.group(2))
    if bad or not ok:
        raise RuntimeError(f"wrk {url}: {ok} ok, {bad} not ok\n{r.stdout}")
    return rps


def rounds(url, conns, seconds, rounds, script, env=None, warmup=None):
    once(url, conns, warmup or max(1, seconds // 2), script, env)
    return [once(url, conns, seconds, script, env) for _ in range(rounds)]

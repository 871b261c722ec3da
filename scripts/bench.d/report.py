"""The results table (stdout) and its JSON record (bench/results/)."""
import datetime
import json
import os
import platform
import subprocess

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def fmt(v):
    if v is None:
        return "-"
    if isinstance(v, str):
        return v
    if abs(v) >= 100:
        return f"{v:,.0f}"
    return f"{v:.3g}" if abs(v) < 10 else f"{v:.1f}"


def table(rows):
    head = ("figure", "Troth", "peer", "ratio", "target", "met")
    lines = [head] + [(r["figure"], fmt(r.get("troth")), fmt(r.get("peer")),
                       fmt(r.get("ratio")), r["target"],
                       "met" if r["met"] else "NOT MET") for r in rows]
    w = [max(len(l[i]) for l in lines) for i in range(len(head))]
    out = []
    for n, l in enumerate(lines):
        out.append("| " + " | ".join(c.ljust(w[i]) if i == 0 else c.rjust(w[i])
                                     for i, c in enumerate(l)) + " |")
        if n == 0:
            out.append("|" + "|".join("-" * (x + 2) for x in w) + "|")
    return "\n".join(out)


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def commit():
    def git(*a):
        return subprocess.run(["git", "-C", ROOT] + list(a), capture_output=True,
                              text=True).stdout.strip()
    c = git("rev-parse", "HEAD")
    return c + ("-dirty" if git("status", "--porcelain", "--untracked-files=no") else "")


def write(rows, details, mode):
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    folder = os.path.join(ROOT, "bench", "results")
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, f"{stamp}.json")
    with open(path, "w") as f:
        json.dump({"timestamp": stamp, "mode": mode, "commit": commit(),
                   "cpu": cpu_model(), "cores": os.cpu_count(),
                   "rows": rows, "details": details}, f, indent=2)
    return path

"""Target 7: issuance with the issuing CA's key in a SoftHSM2 token
(`troth init --issuing-key-store pkcs11:...`), EC P-256 and RSA-3072, 8
keep-alive clients, the same kind of CSRs as target 1; the peer column is
the same Troth with its EC P-256 key in the database (target 1's figure,
measured again here when target 1 did not run)."""
import os
import pwd
import statistics
import subprocess

import csrs
import trothenv
import wrkrun

MODULE = "/usr/lib/softhsm/libsofthsm2.so"
PIN = "bench-pin-4711"
URI = "https://issuer.bench.example.org/app"


def token(folder):
    """A SoftHSM2 token of its own; SOFTHSM2_CONF for troth (init and serve)."""
    d = os.path.join(folder, "softhsm")
    os.makedirs(os.path.join(d, "tokens"), exist_ok=True)
    os.chmod(d, 0o755)
    conf = os.path.join(d, "softhsm2.conf")
    with open(conf, "w") as f:
        f.write(f"directories.tokendir = {d}/tokens\nobjectstore.backend = file\n"
                "log.level = ERROR\n")
    os.chmod(conf, 0o644)
    os.environ["SOFTHSM2_CONF"] = conf
    subprocess.run(["softhsm2-util", "--init-token", "--free", "--label", "bench",
                    "--so-pin", "bench-so-1234", "--pin", PIN], check=True, capture_output=True)
    pin = os.path.join(d, "pin")
    with open(pin, "w") as f:
        f.write(PIN + "\n")
    os.chmod(pin, 0o600)
    return d, pin


def give_to_signer(d):
    """The signer workers run as nobody when troth starts as root."""
    if os.geteuid() != 0:
        return
    nobody = pwd.getpwnam("nobody")
    for root, dirs, files in os.walk(os.path.join(d, "tokens")):
        for p in [root] + [os.path.join(root, x) for x in files]:
            os.chown(p, nobody.pw_uid, nobody.pw_gid)


def issuance(cluster, t, folder, quick, tag):
    n, secs, rounds = (300, 3, 3) if quick else (2000, 10, 3)
    mid = t.cli("member", "add", "--name", "Bench Issuer", "--org-id", "urn:bench:issuer",
                "--uri", URI)
    st, _, body = trothenv.http("POST", f"{t.admin}/api/v1/members/{mid}/activate", b"", t.auth())
    assert st == 200, body
    bodies = os.path.join(folder, f"p11-bodies-{tag}.lua")
    csrs.write_bodies(bodies, csrs.troth_bodies(csrs.make(n, URI), mid, URI))
    return wrkrun.rounds(t.admin + "/api/v1/certificates", 8, secs, rounds, "post.lua",
                         {"BODIES": bodies, "TOKEN": t.token})


def run(cluster, folder, quick, db_figure=None):
    if not os.path.exists(MODULE):
        raise RuntimeError("target 7 needs softhsm2 (scripts/deps test)")
    d, pin = token(folder)
    rows, details = [], {}
    if db_figure is None:
        t = trothenv.Troth(cluster, folder, "troth_p11_db")
        try:
            t.setup()
            t.start()
            db_figure = statistics.median(issuance(cluster, t, folder, quick, "db"))
        finally:
            t.stop()
    details["database_key_certs_per_s"] = db_figure
    for spec in ("ec:P-256", "rsa:3072"):
        tag = spec.replace(":", "").replace("-", "").lower()
        t = trothenv.Troth(cluster, folder, f"troth_p11_{tag}")
        with open(t.conf, "a") as f:
            f.write(f"[pkcs11]\nmodule = {MODULE}\npin_file = {pin}\n")
        try:
            t.setup(issuing_key=spec, issuing_store=f"pkcs11:token=bench;object=issuing-{tag}")
            give_to_signer(d)
            t.start()
            r = issuance(cluster, t, folder, quick, tag)
        finally:
            t.stop()
        m = statistics.median(r)
        details[f"softhsm_{tag}_rounds"] = r
        rows.append({"figure": f"issuance, issuing key {spec} in SoftHSM2, certs/s (8 clients)",
                     "troth": m, "peer": db_figure, "ratio": m / db_figure,
                     "target": "(vs EC P-256 key in the database)", "met": True})
    return rows, details

"""A private PostgreSQL cluster and `troth serve` instances for the benchmark."""
import os
import re
import secrets
import signal
import socket
import subprocess
import time
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.path.join(ROOT, "build", "troth")
PG = os.path.join(ROOT, "scripts", "pg")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(method, url, body=None, headers=None, timeout=30):
    """(status, headers, body bytes); never raises on HTTP errors."""
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


class Cluster:
    """A durable cluster (fsync on: commits cost what they cost)."""

    def __init__(self, folder):
        self.dir = os.path.join(folder, "pg")
        os.makedirs(self.dir, exist_ok=True)
        os.chmod(folder, 0o755)
        subprocess.run([PG, "start", self.dir], check=True)
        base = subprocess.run([PG, "url", self.dir], check=True, capture_output=True,
                              text=True).stdout.strip()
        self.base = base
        self.sock = re.search(r"host=([^&]+)", base).group(1)

    def url(self, db):
        return self.base.replace("/troth?", f"/{db}?", 1)

    def psql(self, sql, db="troth", stdin=None):
        r = subprocess.run(["psql", self.url(db), "-XqAt", "-v", "ON_ERROR_STOP=1",
                            "-c", sql], check=True, capture_output=True, text=True,
                           input=stdin)
        return r.stdout.strip()

    def create_db(self, name):
        admin = subprocess.run([PG, "admin-url", self.dir], check=True,
                               capture_output=True, text=True).stdout.strip()
        for sql in (f"DROP DATABASE IF EXISTS {name}",
                    f"CREATE DATABASE {name} OWNER troth"):
            subprocess.run(["psql", admin, "-XqAt", "-v", "ON_ERROR_STOP=1", "-c", sql],
                           check=True, capture_output=True, text=True)

    def destroy(self):
        subprocess.run([PG, "destroy", self.dir], check=False)


class Troth:
    """One troth instance: config, database, CA, admin token, serve process."""

    def __init__(self, cluster, folder, db, threads=None):
        if threads is None:
            threads = int(os.environ.get("BENCH_TROTH_THREADS", "0"))
        self.cluster, self.db = cluster, db
        self.dir = os.path.join(folder, db)
        os.makedirs(self.dir, exist_ok=True)
        cluster.create_db(db)
        self.public_port, self.admin_port = free_port(), free_port()
        self.public = f"http://127.0.0.1:{self.public_port}"
        self.admin = f"http://127.0.0.1:{self.admin_port}"
        self.conf = os.path.join(self.dir, "troth.conf")
        self.passphrase_file = os.path.join(self.dir, "ca-passphrase")
        self.passphrase = secrets.token_urlsafe(32)
        with open(self.passphrase_file, "w") as f:
            f.write(self.passphrase + "\n")
        os.chmod(self.passphrase_file, 0o600)
        with open(self.conf, "w") as f:
            f.write(f"""[server]
public_listen = 127.0.0.1:{self.public_port}
admin_listen = 127.0.0.1:{self.admin_port}
public_url = {self.public}
threads = {threads}
[database]
url = {cluster.url(db)}
[ca]
key_passphrase_file = {self.passphrase_file}
[community]
uri = urn:troth:community:bench
name = Bench Community
[auth]
argon2_t_cost = 1
argon2_m_cost = 1024
""")
        self.proc = None
        self.log_path = os.path.join(self.dir, "serve.log")

    def cli(self, *args):
        env = dict(os.environ)
        env.pop("TROTH_DATABASE_URL", None)
        r = subprocess.run([BIN, "-c", self.conf] + [str(a) for a in args],
                           capture_output=True, text=True, env=env)
        if r.returncode != 0:
            raise RuntimeError(f"troth {' '.join(map(str, args))}: {r.stderr}")
        return r.stdout.strip()

    def setup(self, issuing_key="ec:P-256", issuing_store=None):
        self.cli("migrate")
        self.cli("init", "--community-uri", "urn:troth:community:bench",
                 "--name", "Bench Community", "--root-key", "ec:P-384",
                 "--issuing-key", issuing_key,
                 *(["--issuing-key-store", issuing_store] if issuing_store else []))
        self.token = self.cli("token", "create", "--user", "admin")

    def auth(self):
        return {"Authorization": f"Bearer {self.token}"}

    def start(self):
        self.log = open(self.log_path, "ab")
        env = dict(os.environ)
        env.pop("TROTH_DATABASE_URL", None)
        t0 = time.monotonic()
        self.proc = subprocess.Popen([BIN, "-c", self.conf, "serve"], stdout=self.log,
                                     stderr=self.log, env=env)
        ready = self.wait_ready()
        return ready - t0

    def wait_ready(self, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"troth serve exited; see {self.log_path}")
            try:
                if http("GET", self.public + "/readyz", timeout=1)[0] == 200:
                    return time.monotonic()
            except OSError:
                pass
            time.sleep(0.005)
        raise RuntimeError("troth serve not ready")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def pids(self):
        """The serve (web) process and its children (signer workers)."""
        kids = []
        try:
            with open(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children") as f:
                kids = [int(x) for x in f.read().split()]
        except OSError:
            pass
        return self.proc.pid, kids


def proc_status_kb(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0

"""Real PostgreSQL clusters and real `troth serve` processes for the tests."""
import os
import random
import pathlib
import re
import secrets
import signal
import socket
import subprocess
import tempfile
import time

import requests

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = os.environ.get("TROTH_BIN", str(ROOT / "build/asan/troth"))
PG = str(ROOT / "scripts/pg")
SANITIZER_ENV = {
    "ASAN_OPTIONS": "detect_leaks=1:halt_on_error=1:abort_on_error=0",
    "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1",
}


_given_ports = set()


def free_port():
    """A port below the kernel's ephemeral range (32768+), so no client
    socket of a busy test (thousands of connections) can be sitting on it by
    the time the server binds it; never the same one twice per process."""
    while True:
        port = random.randrange(20000, 32768)
        if port in _given_ports:
            continue
        try:
            with socket.socket() as s:
                s.bind(("0.0.0.0", port))
        except OSError:
            continue
        _given_ports.add(port)
        return port


def troth(*args, conf=None, env=None, input=None, timeout=60):
    """Runs the troth CLI; returns the CompletedProcess (never raises)."""
    cmd = [BIN] + (["-c", str(conf)] if conf else []) + [str(a) for a in args]
    e = dict(os.environ, **SANITIZER_ENV)
    e.pop("TROTH_DATABASE_URL", None)
    e.update(env or {})
    return subprocess.run(cmd, capture_output=True, text=True, env=e,
                          input=input, timeout=timeout)


class Cluster:
    """A throwaway PostgreSQL cluster on a Unix socket (scripts/pg)."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="troth-e2e-pg.")
        os.chmod(self.dir, 0o755)
        self.start()
        self._n = 0

    def start(self):
        subprocess.run([PG, "start", self.dir, "--throwaway"], check=True)

    def stop(self):
        subprocess.run([PG, "stop", self.dir], check=True)

    def destroy(self):
        subprocess.run([PG, "destroy", self.dir], check=False)

    def url(self, db="troth"):
        """As the service's role `troth` (not a superuser)."""
        base = subprocess.run([PG, "url", self.dir], check=True,
                              capture_output=True, text=True).stdout.strip()
        return base.replace("/troth?", f"/{db}?", 1)

    def admin_url(self, db="postgres"):
        """As the cluster's superuser, for what the service may not do."""
        base = subprocess.run([PG, "admin-url", self.dir], check=True,
                              capture_output=True, text=True).stdout.strip()
        return base.replace("/postgres?", f"/{db}?", 1)

    def psql(self, sql, db="troth", admin=False):
        url = self.admin_url(db) if admin else self.url(db)
        out = subprocess.run(["psql", url, "-XqAt", "-v", "ON_ERROR_STOP=1",
                              "-c", sql], check=True, capture_output=True, text=True)
        return out.stdout.strip()

    def new_db(self, prefix="t"):
        """A database owned by `troth`, as `troth serve` and migrate expect."""
        self._n += 1
        name = f"{prefix}_{os.getpid()}_{self._n}"
        self.psql(f"CREATE DATABASE {name} OWNER troth", admin=True)
        return name


class Server:
    """A `troth serve` process with its own config file and free ports."""

    def __init__(self, cluster, db="troth", extra=None):
        self.cluster = cluster
        self.db = db
        self.dir = pathlib.Path(tempfile.mkdtemp(prefix="troth-e2e-srv."))
        self.public_port = free_port()
        self.admin_port = free_port()
        self.public = f"http://127.0.0.1:{self.public_port}"
        self.admin = f"http://127.0.0.1:{self.admin_port}"
        self.conf = self.dir / "troth.conf"
        self.log_path = self.dir / "serve.log"
        self.proc = None
        self.passphrase_file = self.dir / "ca-passphrase"
        self.passphrase_file.write_text(secrets.token_urlsafe(32) + "\n")
        os.chmod(self.passphrase_file, 0o600)
        sections = {
            "server": {
                "public_listen": f"127.0.0.1:{self.public_port}",
                "admin_listen": f"127.0.0.1:{self.admin_port}",
                "public_url": self.public,
                "threads": "2",
            },
            "database": {"url": cluster.url(db)},
            # few KDF rounds: every signer start pays them, slowly under ASan
            "ca": {"key_passphrase_file": str(self.passphrase_file),
                   "key_kdf_iterations": "2048"},
            "community": {"uri": "urn:troth:community:e2e", "name": "E2E Community"},
            # cheap password hashing: the tests sign in often, under ASan
            "auth": {"argon2_t_cost": "1", "argon2_m_cost": "1024"},
        }
        for section, values in (extra or {}).items():
            sections.setdefault(section, {}).update(values)
        with open(self.conf, "w") as f:
            for section, values in sections.items():
                f.write(f"[{section}]\n")
                for k, v in values.items():
                    f.write(f"{k} = {v}\n")

    def init(self, *args):
        """Runs `troth init` once (EC keys unless told: RSA-4096 key
        generation is slow under ASan); returns the admin password."""
        if not hasattr(self, "admin_password"):
            r = self.cli("init", *(args or ("--root-key", "ec:P-384",
                                            "--issuing-key", "ec:P-256")))
            assert r.returncode == 0, r.stderr
            m = re.search(r"admin password: (\S+)", r.stdout)
            self.admin_password = m.group(1) if m else None
        return self.admin_password

    def token(self, username="admin"):
        """A fresh API token for a user (CLI), as an Api client."""
        self.init()
        r = self.cli("token", "create", "--user", username)
        assert r.returncode == 0, r.stderr
        return Api(self.admin, token=r.stdout.strip())

    def user(self, username, role, member=None, password=None):
        """Creates a user with the CLI and returns an Api signed in by token."""
        self.init()
        args = ["user", "add", username, "--role", role]
        if member:
            args += ["--member", member]
        r = self.cli(*args)
        assert r.returncode == 0, r.stderr
        return self.token(username)

    def cli(self, *args, **kw):
        return troth(*args, conf=self.conf, **kw)

    def migrate(self):
        r = self.cli("migrate")
        assert r.returncode == 0, r.stderr
        return r

    def start(self, wait=True):
        self.log = open(self.log_path, "ab")
        env = dict(os.environ, **SANITIZER_ENV)
        env.pop("TROTH_DATABASE_URL", None)
        self.proc = subprocess.Popen([BIN, "-c", str(self.conf), "serve"],
                                     stdout=self.log, stderr=self.log, env=env)
        if wait:
            self.wait_healthy()
        return self

    def wait_healthy(self, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"troth serve exited {self.proc.returncode}:\n"
                                     + self.log_text())
            try:
                if requests.get(self.public + "/healthz", timeout=1).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.05)
        raise AssertionError("troth serve did not answer /healthz:\n" + self.log_text())

    def log_text(self):
        return self.log_path.read_text(errors="replace")

    def stop(self):
        """Stops the server; fails on a non-zero exit or a sanitizer report."""
        if not self.proc:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("troth serve did not stop on SIGTERM")
        self.log.close()
        rc, self.proc = self.proc.returncode, None
        text = self.log_text()
        bad = re.search(r"ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:", text)
        assert rc == 0 and not bad, f"troth serve exit {rc}; log:\n{text[-6000:]}"


def problem_catalogue():
    """src/util/problem_kinds.h as {(kind, status): (ident, title)}."""
    text = (ROOT / "src/util/problem_kinds.h").read_text()
    return {(m[2], int(m[1])): (m[0], m[3]) for m in re.findall(
        r'^X\((\w+), (\d+), "([^"]*)", "([^"]*)"\)$', text, re.M)}


_CATALOGUE = problem_catalogue()


def problem(resp, status, kind=None):
    """Asserts an RFC 9457 problem answer and returns its JSON: a kind of
    the catalogue with its status and title."""
    assert resp.status_code == status, (resp.status_code, resp.text)
    assert resp.headers["Content-Type"].startswith("application/problem+json"), \
        resp.headers["Content-Type"]
    body = resp.json()
    assert body["status"] == status
    assert body["type"].startswith("urn:troth:problem:")
    assert body["title"] and body["detail"]
    if kind:
        assert body["type"] == f"urn:troth:problem:{kind}", body
    entry = _CATALOGUE.get((body["type"].removeprefix("urn:troth:problem:"), status))
    assert entry, f"{body['type']} {status} is not in src/util/problem_kinds.h"
    assert body["title"] == entry[1], body
    return body


class Api:
    """A client of the admin listener: by API token, or by session (after
    login(), sending the CSRF token on unsafe methods as the UI does)."""

    def __init__(self, base, token=None):
        self.base = base
        self.s = requests.Session()
        self.csrf = None
        if token:
            self.s.headers["Authorization"] = f"Bearer {token}"
        self.token = token

    def login(self, username, password):
        r = self.s.post(self.base + "/api/v1/session",
                        json={"username": username, "password": password})
        if r.status_code == 200:
            self.csrf = r.json()["csrf_token"]
        return r

    def request(self, method, path, csrf=True, **kw):
        headers = kw.pop("headers", {})
        if self.csrf and csrf and method not in ("GET", "HEAD"):
            headers.setdefault("X-CSRF-Token", self.csrf)
        return self.s.request(method, self.base + path, headers=headers, **kw)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, json=None, **kw):
        return self.request("POST", path, json=json, **kw)

    def patch(self, path, json=None, **kw):
        return self.request("PATCH", path, json=json, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)


class Unchanged:
    """Asserts that the block leaves the given tables as they were (row
    count and a digest of every row), and, with audit_like, the audit
    events whose action matches that LIKE pattern."""

    TABLES = ("members", "member_uris", "invitations", "users", "audit_events")

    def __init__(self, cluster, tables=TABLES, audit_like=None):
        self.cluster, self.tables, self.audit_like = cluster, tables, audit_like

    def snapshot(self):
        snap = {t: self.cluster.psql(f"SELECT count(*), coalesce(max(md5(t::text)), '') "
                                     f"FROM {t} t") for t in self.tables}
        if self.audit_like:
            snap["audit"] = self.cluster.psql(
                "SELECT count(*) FROM audit_events WHERE action LIKE "
                f"'{self.audit_like}'")
        return snap

    def __enter__(self):
        self.before = self.snapshot()
        return self

    def __exit__(self, *exc):
        if exc[0] is None:
            assert self.snapshot() == self.before

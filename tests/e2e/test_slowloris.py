"""Slow clients: a trickle of header bytes does not keep a connection, and
the public listener keeps serving CRLs while 1,000+ half-open connections
from many addresses hit it (and the admin listener keeps answering)."""
import resource
import selectors
import socket
import subprocess
import threading
import time

import pytest
import requests

from harness import Server

ATTACKERS = [f"127.0.0.{i}" for i in range(2, 22)]  # 20 addresses
PER_ADDRESS = 55                                     # 1,100 connections
ATTACK_SECONDS = 12


@pytest.fixture(scope="module")
def srv(cluster):
    s = Server(cluster, db=cluster.new_db("slow"),
               extra={"server": {"request_read_timeout": "3"}})
    s.migrate()
    s.init()
    s.start()
    yield s
    s.stop()


def crl_path(srv):
    return f"/crl/{srv.token().get('/api/v1/cas').json()['items'][-1]['id']}.crl"


def test_a_trickled_header_does_not_keep_the_connection(srv):
    """connection_timeout is 30 s and a byte arrives every 0.5 s: only the
    read deadline (3 s here) can end it. 15 s is a generous bound (five
    deadlines) that still lies far inside the idle timeout."""
    s = socket.create_connection(("127.0.0.1", srv.public_port), timeout=2)
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
    closed = False
    t0 = time.monotonic()
    while time.monotonic() - t0 < 15:
        try:
            s.sendall(b"X")
            s.settimeout(0.5)
            if s.recv(1024) == b"":
                closed = True
                break
        except socket.timeout:
            continue
        except (BrokenPipeError, ConnectionResetError):
            closed = True
            break
    s.close()
    assert closed, "a trickling client kept its connection past the read deadline"


class Slowloris(threading.Thread):
    """Holds PER_ADDRESS half-open requests from each ATTACKERS address to
    each port, sends one more header byte per connection every second and
    reconnects whatever the server closes."""

    def __init__(self, ports):
        super().__init__(daemon=True)
        self.ports = ports
        self.stop = threading.Event()
        self.sel = selectors.DefaultSelector()
        self.socks = set()
        self.max_open = 0
        self.closed_by_server = 0

    def connect(self, src, port):
        s = socket.socket()
        s.setblocking(False)
        s.bind((src, 0))
        try:
            s.connect((("127.0.0.1"), port))
        except BlockingIOError:
            pass
        self.sel.register(s, selectors.EVENT_WRITE, (src, port, 0))
        self.socks.add(s)

    def drop(self, s):
        self.sel.unregister(s)
        self.socks.discard(s)
        s.close()

    def run(self):
        for port in self.ports:
            for src in ATTACKERS:
                for _ in range(PER_ADDRESS):
                    self.connect(src, port)
        last_tick = 0.0
        while not self.stop.is_set():
            for key, ev in self.sel.select(timeout=0.2):
                s, (src, port, sent) = key.fileobj, key.data
                try:
                    if ev & selectors.EVENT_READ:
                        if s.recv(4096) == b"":
                            raise ConnectionResetError
                    if ev & selectors.EVENT_WRITE and sent == 0:
                        s.send(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
                        self.sel.modify(s, selectors.EVENT_READ, (src, port, 1))
                except OSError:
                    self.closed_by_server += 1
                    self.drop(s)
                    self.connect(src, port)
            self.max_open = max(self.max_open, len(self.socks))
            now = time.monotonic()
            if now - last_tick >= 1:
                last_tick = now
                for s in list(self.socks):
                    try:
                        s.send(b"a")
                    except OSError:
                        pass
        for s in list(self.socks):
            self.drop(s)


def test_crls_are_served_while_slow_clients_hold_1100_connections(srv):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = 2 * len(ATTACKERS) * PER_ADDRESS + 256
    if soft < need:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(need, hard), hard))
    admin = srv.token()
    path = crl_path(srv)
    attack = Slowloris([srv.public_port, srv.admin_port])
    attack.start()
    time.sleep(2)  # let the connections open
    times, failures = [], []
    deadline = time.monotonic() + ATTACK_SECONDS
    n = 0
    with requests.Session() as pub:  # a new connection per fetch
        while time.monotonic() < deadline:
            n += 1
            t0 = time.monotonic()
            try:
                r = pub.get(srv.public + path, timeout=10,
                            headers={"Connection": "close"})
                if r.status_code != 200 or not r.content:
                    failures.append(f"CRL {r.status_code}")
            except requests.RequestException as e:
                failures.append(f"CRL {type(e).__name__}")
            times.append(time.monotonic() - t0)
            if n % 10 == 0:
                try:
                    r = admin.get("/api/v1/me", timeout=10)
                    if r.status_code != 200:
                        failures.append(f"admin {r.status_code}")
                except requests.RequestException as e:
                    failures.append(f"admin {type(e).__name__}")
            time.sleep(0.05)
    attack.stop.set()
    attack.join(30)
    times.sort()
    p99 = times[int(len(times) * 0.99) - 1] * 1000
    print(f"\nslowloris: {len(times)} CRL fetches, p99 {p99:.1f} ms, max "
          f"{times[-1] * 1000:.1f} ms; attacker peak {attack.max_open} sockets, "
          f"{attack.closed_by_server} closed by the server")
    assert attack.max_open >= 1000
    assert not failures, failures[:20]


def test_a_slow_handler_is_not_cut_by_the_read_deadline(cluster):
    """The read deadline is for reading the request: a handler that works
    longer than request_read_timeout still answers (a sandbox init under
    load was cut at 10 s: 'Remote end closed connection without response').
    The handler here is a member PATCH that waits for a row lock this test
    holds for 3 s, against a 1 s deadline: slow on any machine."""
    db = cluster.new_db("slowhandler")
    s = Server(cluster, db=db, extra={"server": {"request_read_timeout": "1"}})
    s.migrate()
    api = s.token("admin")
    s.start()
    holder = None
    try:
        r = api.post("/api/v1/members", json={"name": "Slow Handler Clinic",
                                               "organization_id": "https://slow.example/"})
        assert r.status_code == 201, r.text
        mid = r.json()["id"]
        holder = subprocess.Popen(
            ["psql", cluster.url(db), "-XqAt", "-c",
             f"BEGIN; SELECT 1 FROM members WHERE id = {mid} FOR UPDATE; "
             "SELECT pg_sleep(3); COMMIT;"], stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while int(cluster.psql("SELECT count(*) FROM pg_stat_activity "
                               "WHERE query LIKE '%pg_sleep(3)%' AND state = 'active' "
                               "AND pid <> pg_backend_pid()", db=db)) == 0:
            assert time.monotonic() < deadline and holder.poll() is None, "no lock holder"
            time.sleep(0.05)
        # the lock is held for (almost) 3 s more: the handler waits for it
        r = api.patch(f"/api/v1/members/{mid}", json={"notes": "waited for a lock"}, timeout=60)
        assert r.status_code == 200, r.text
        assert r.json()["notes"] == "waited for a lock"
        assert holder.wait(timeout=10) == 0
    finally:
        if holder and holder.poll() is None:
            holder.kill()
        s.stop()

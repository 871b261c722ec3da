"""Native TLS on the admin listener; PostgreSQL going away under a running
server and coming back without a restart."""
import subprocess
import time

import pytest
import requests

from harness import Cluster, Server, free_port, problem


def test_admin_listener_serves_tls(cluster, tmp_path):
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "1", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
                   check=True, capture_output=True)
    port = free_port()
    s = Server(cluster, db=cluster.new_db(),
               extra={"server": {"admin_listen": f"0.0.0.0:{port}",
                                          "tls_cert": cert, "tls_key": key}})
    s.migrate()
    s.start()
    try:
        r = requests.get(f"https://127.0.0.1:{port}/api/v1/openapi.json", verify=str(cert))
        assert r.status_code == 200
        with pytest.raises(requests.exceptions.ConnectionError):
            requests.get(f"http://127.0.0.1:{port}/api/v1/openapi.json", timeout=3)
    finally:
        s.stop()


@pytest.fixture
def own_cluster():
    c = Cluster()
    yield c
    c.destroy()


def wait_for(fn, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if fn():
            return True
        time.sleep(0.2)
    return False


def test_database_outage_gives_503_then_recovers(own_cluster):
    s = Server(own_cluster)
    s.migrate()
    api = s.token("admin")
    s.start()
    try:
        assert api.get("/api/v1/me").status_code == 200
        assert requests.get(s.public + "/readyz").status_code == 200
        own_cluster.stop()
        r = requests.get(s.public + "/readyz")
        assert r.status_code == 503
        assert r.headers["Retry-After"]
        assert r.json()["checks"]["database"] == "unavailable"
        # liveness is not readiness: the process is alive
        assert requests.get(s.public + "/healthz").status_code == 200
        # API requests get a 503 problem with Retry-After, never a hang or 500
        r = api.get("/api/v1/me")
        problem(r, 503, "database-unavailable")
        assert r.headers["Retry-After"]
        own_cluster.start()
        assert wait_for(lambda: requests.get(s.public + "/readyz").status_code == 200), \
            "did not recover after the database came back"
        assert wait_for(lambda: api.get("/api/v1/me").status_code == 200)
    finally:
        s.stop()

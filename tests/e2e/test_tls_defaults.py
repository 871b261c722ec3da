"""The admin listener's TLS, probed with `openssl s_client` (an independent
TLS stack): TLS 1.2 and 1.3 only, forward-secret AEAD suites only, the
server's order of preference, HSTS."""
import subprocess

import pytest
import requests

from harness import Server, free_port


@pytest.fixture(scope="module")
def tls(cluster, tmp_path_factory):
    d = tmp_path_factory.mktemp("tls")
    key, cert = d / "key.pem", d / "cert.pem"
    # RSA, so that static-RSA key exchange is something a client can ask for
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                    "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
                   check=True, capture_output=True)
    port = free_port()
    s = Server(cluster, db=cluster.new_db("tls"),
               extra={"server": {"admin_listen": f"127.0.0.1:{port}",
                                 "tls_cert": cert, "tls_key": key}})
    s.migrate()
    s.start()
    yield port, cert
    s.stop()


def handshake(port, *args):
    """The cipher suite negotiated, or None if the handshake failed. The
    client allows everything (SECLEVEL=0) so that only the server refuses."""
    out = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}",
                          "-servername", "localhost", *args],
                         input="", capture_output=True, text=True, timeout=30)
    for line in out.stdout.splitlines():
        if "Cipher is " in line:
            suite = line.split("Cipher is ", 1)[1].strip()
            return None if suite == "(NONE)" else suite
    return None


LEGACY = ["-cipher", "ALL:@SECLEVEL=0"]


@pytest.mark.parametrize("version", ["-tls1", "-tls1_1"])
def test_tls_1_0_and_1_1_are_refused(tls, version):
    assert handshake(tls[0], version, *LEGACY) is None


@pytest.mark.parametrize("version", ["-tls1_2", "-tls1_3"])
def test_tls_1_2_and_1_3_are_accepted(tls, version):
    assert handshake(tls[0], version) is not None


@pytest.mark.parametrize("suite", [
    "AES128-SHA",                   # static RSA, CBC, SHA-1
    "AES256-GCM-SHA384",            # static RSA, AEAD: no forward secrecy
    "ECDHE-RSA-AES128-SHA",         # forward secret, but CBC with SHA-1
    "ECDHE-RSA-AES256-SHA384",      # forward secret, CBC
    "DHE-RSA-AES128-SHA",
])
def test_static_rsa_and_cbc_suites_are_refused(tls, suite):
    assert handshake(tls[0], "-tls1_2", "-cipher", suite + ":@SECLEVEL=0") is None


def test_forward_secret_aead_suites_are_accepted_in_the_servers_order(tls):
    # the client prefers AES-128; the server's order puts AES-256 first
    suite = handshake(tls[0], "-tls1_2", "-cipher",
                      "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384")
    assert suite == "ECDHE-RSA-AES256-GCM-SHA384"
    assert handshake(tls[0], "-tls1_2", "-cipher",
                     "ECDHE-RSA-CHACHA20-POLY1305") == "ECDHE-RSA-CHACHA20-POLY1305"


def test_hsts_on_the_admin_listener_under_tls(tls):
    port, cert = tls
    r = requests.get(f"https://127.0.0.1:{port}/api/v1/openapi.json", verify=str(cert))
    assert r.status_code == 200
    hsts = r.headers.get("Strict-Transport-Security", "")
    assert "max-age=" in hsts and int(hsts.split("max-age=")[1].split(";")[0]) >= 15552000

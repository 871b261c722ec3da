"""Session-wide fixtures: one throwaway cluster and one running server."""
import os
import shutil
import subprocess
import tempfile

import pytest

from harness import Cluster, Server
from pki_util import Community


@pytest.fixture(scope="session")
def cluster():
    c = Cluster()
    yield c
    c.destroy()


@pytest.fixture(scope="session")
def server(cluster):
    s = Server(cluster)
    s.migrate()
    s.init()
    s.start()
    yield s
    s.stop()


@pytest.fixture(scope="session")
def admin(server):
    """An API client with an admin's token."""
    return server.token("admin")


# ---- relying parties nobody on this project wrote, built once per session ----

RELYING = os.path.join(os.path.dirname(os.path.abspath(__file__)), "relying")
JDK = "/usr/lib/jvm/java-17-openjdk-amd64/bin"   # Debian's openjdk-17-jdk-headless


def _jdk_tool(name):
    path = os.path.join(JDK, name)
    return path if os.path.exists(path) else shutil.which(name)


@pytest.fixture(scope="session")
def pkix_java():
    """The command running relying/PkixCheck.java (Java PKIX with CRL
    distribution points), compiled once."""
    out = tempfile.mkdtemp(prefix="troth-java.")
    javac = _jdk_tool("javac")
    assert javac, "javac missing: scripts/deps test installs openjdk-17-jdk-headless"
    subprocess.run([javac, "-d", out, os.path.join(RELYING, "PkixCheck.java")],
                   check=True, capture_output=True)
    yield [_jdk_tool("java"), "-XX:TieredStopAtLevel=1", "-Xshare:auto",
           "-Dcom.sun.security.enableCRLDP=true", "-cp", out, "PkixCheck"]
    shutil.rmtree(out, ignore_errors=True)


@pytest.fixture(scope="session")
def go_x509():
    """relying/x509check.go (Go's crypto/x509, standard library only), built
    once; returns the binary's path."""
    d = tempfile.mkdtemp(prefix="troth-go.")
    go = shutil.which("go")
    assert go, "go missing: scripts/deps test installs golang-go"
    env = dict(os.environ, GOCACHE=os.path.join(d, "cache"), GOPATH=os.path.join(d, "gopath"),
               GO111MODULE="off", GOFLAGS="", CGO_ENABLED="0")
    binary = os.path.join(d, "x509check")
    subprocess.run([go, "build", "-o", binary, os.path.join(RELYING, "x509check.go")],
                   check=True, capture_output=True, env=env)
    yield binary
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="module")
def community(server, admin):
    """Members with approved URIs, and issuance for them (pki_util.Community),
    on the session's server; one per test module."""
    return Community(server, admin)

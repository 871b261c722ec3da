"""Session-wide fixtures: one throwaway cluster and one running server."""
import pytest

from harness import Cluster, Server


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

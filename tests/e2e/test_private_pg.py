"""The private PostgreSQL of scripts/pg: only its owner (and root) reach
it, by peer authentication, and Troth works as a role that is not a
superuser but owns its database and schema."""
import os
import re
import stat
import subprocess

import pytest


def sock_dir(cluster):
    return re.search(r"host=([^&]+)", cluster.url()).group(1)


def test_the_socket_directory_is_the_owners_alone(cluster):
    mode = os.stat(sock_dir(cluster)).st_mode
    assert stat.S_IMODE(mode) == 0o700, oct(mode)
    assert stat.S_IMODE(os.stat(os.path.dirname(sock_dir(cluster))).st_mode) == 0o700


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to act as another user")
@pytest.mark.parametrize("role", ["troth", "pgadmin", "postgres"])
def test_another_local_user_cannot_connect(cluster, role):
    url = cluster.url().replace("user=troth", f"user={role}")
    r = subprocess.run(["runuser", "-u", "nobody", "--", "psql", url, "-XqAt",
                        "-c", "SELECT 1"], capture_output=True, text=True, timeout=30)
    assert r.returncode != 0 and "1" not in r.stdout.split(), r.stdout
    # nor by the socket's address alone, whatever user name it claims
    assert "Permission denied" in r.stderr or "authentication failed" in r.stderr, r.stderr


def test_troth_is_not_a_superuser_and_owns_its_database(cluster, server):
    row = cluster.psql("SELECT rolsuper, rolcreatedb, rolcreaterole FROM pg_roles "
                       "WHERE rolname = current_user")
    assert row == "f|f|f"
    owner = cluster.psql("SELECT pg_get_userbyid(datdba) FROM pg_database "
                         "WHERE datname = current_database()")
    assert owner == "troth"
    # the migrations (run by the session's server) created everything as troth
    others = cluster.psql("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' "
                          "AND tableowner <> 'troth'")
    assert others == "0"
    assert int(cluster.psql("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")) > 5

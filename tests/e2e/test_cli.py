"""The command line: help, errors with file:line, schema checks on start."""
import pathlib
import tempfile

from harness import Server, troth


def write(text):
    d = pathlib.Path(tempfile.mkdtemp(prefix="troth-e2e-conf."))
    p = d / "bad.conf"
    p.write_text(text)
    return p


def test_help_and_unknown_command():
    r = troth("--help")
    assert r.returncode == 0 and "serve" in r.stdout and "migrate" in r.stdout
    for cmd in ("serve", "migrate"):
        r = troth(cmd, "--help")
        assert r.returncode == 0 and f"usage: troth {cmd}" in r.stdout
    r = troth("frobnicate")
    assert r.returncode == 2 and 'unknown command "frobnicate"' in r.stderr
    r = troth()
    assert r.returncode == 2
    assert troth("version").stdout.startswith("troth ")


def test_bad_config_stops_startup_with_file_and_line():
    p = write("[server]\npublic_listen = 127.0.0.1:1\nthreds = 3\n")
    r = troth("serve", conf=p)
    assert r.returncode == 1
    assert r.stderr.strip() == f'{p}:3: unknown key "threds" in [server]'


def test_missing_database_url_is_named():
    p = write("[server]\n")
    r = troth("migrate", conf=p)
    assert r.returncode == 1
    assert "[database] url is required" in r.stderr


def test_database_url_from_environment(cluster):
    p = write("[server]\n")
    r = troth("migrate", conf=p, env={"TROTH_DATABASE_URL": cluster.url()})
    assert r.returncode == 0, r.stderr


def test_migrate_twice_applies_nothing_the_second_time(cluster):
    s = Server(cluster, db=cluster.new_db())
    first = s.migrate()
    assert "applied 0001_" in first.stdout
    second = s.migrate()
    assert "applied" not in second.stdout and "schema is current" in second.stdout


def test_serve_refuses_unmigrated_and_pending_schema(cluster):
    db = cluster.new_db()
    s = Server(cluster, db=db)
    r = s.cli("serve", timeout=30)
    assert r.returncode == 1
    assert "pending, first 0001_community.sql" in r.stderr
    s.migrate()
    last = cluster.psql("SELECT name FROM troth_migrations ORDER BY version DESC LIMIT 1", db)
    cluster.psql("DELETE FROM troth_migrations WHERE version = "
                 "(SELECT max(version) FROM troth_migrations)", db)
    r = s.cli("serve", timeout=30)
    assert r.returncode == 1
    assert f"1 migration(s) pending, first {last}" in r.stderr


def test_serve_refuses_unknown_migration(cluster):
    db = cluster.new_db()
    s = Server(cluster, db=db)
    s.migrate()
    cluster.psql("INSERT INTO troth_migrations (version, name, sha256) "
                 "VALUES (9999, '9999_from_the_future.sql', 'x')", db)
    r = s.cli("serve", timeout=30)
    assert r.returncode == 1
    assert "9999_from_the_future.sql, which this build does not know" in r.stderr
    assert s.cli("migrate").returncode == 1


def test_migrate_refuses_a_changed_migration(cluster):
    db = cluster.new_db()
    s = Server(cluster, db=db)
    s.migrate()
    cluster.psql("UPDATE troth_migrations SET sha256 = repeat('0', 64) WHERE version = 1", db)
    r = s.cli("migrate")
    assert r.returncode == 1
    assert "0001_community.sql was changed after it was applied" in r.stderr
    r = s.cli("serve", timeout=30)
    assert r.returncode == 1 and "was changed" in r.stderr


def test_admin_listener_refuses_public_address_without_tls(cluster):
    s = Server(cluster, db=cluster.new_db(), extra={"server": {"admin_listen": "0.0.0.0:1"}})
    s.migrate()
    r = s.cli("serve", timeout=30)
    assert r.returncode == 1
    assert "refusing to serve the admin listener on 0.0.0.0:1 without TLS" in r.stderr

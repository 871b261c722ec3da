"""Finding the caller when the database fails: a broken query is the
server's fault (500), not a wave of bad tokens (401) or anonymous callers;
and a CA passphrase longer than 1,023 bytes works for init and serve alike."""
import secrets

from harness import Api, Server, problem
from pki_util import Community, ec_key


def broken_lookup(cluster, credential, table, column):
    """A server where `credential` ("token" or "session") works, then its
    lookup fails with an SQL error (undefined column): not an outage and not
    an unknown credential. Returns the caller's response to GET /me."""
    db = cluster.new_db()
    s = Server(cluster, db=db)
    s.migrate()
    password = s.init()
    s.start()
    try:
        if credential == "token":
            api = s.token("admin")
        else:
            api = Api(s.admin)
            assert api.login("admin", password).status_code == 200
        assert api.get("/api/v1/me").status_code == 200
        cluster.psql(f"ALTER TABLE {table} RENAME COLUMN {column} TO {column}_x", db=db)
        return api.get("/api/v1/me")
    finally:
        s.stop()


def test_database_error_on_token_lookup_is_500_not_401(cluster):
    problem(broken_lookup(cluster, "token", "api_tokens", "token_hash"), 500)


def test_database_error_on_session_lookup_is_500_not_anonymous(cluster):
    # before: the session counted as anonymous, so /me said 401
    problem(broken_lookup(cluster, "session", "sessions", "csrf_token"), 500)


def test_long_passphrase_is_the_same_for_init_and_serve(cluster):
    # 2,000 bytes: init used to encrypt under the first 1,023, the signer
    # read the whole line, so serve could not decrypt what init made
    s = Server(cluster, db=cluster.new_db())
    s.passphrase_file.write_text(secrets.token_hex(1000) + "\n")
    s.migrate()
    s.init()
    s.start()
    try:
        api = s.token("admin")
        m, uris = Community(s, api).member(kinds=("client",))
        r = Community(s, api).issue(api, m["id"], "udap-client", ec_key(), uris["client"])
        assert r.status_code == 201, r.text
    finally:
        s.stop()

"""Sign-in, sessions with CSRF, API tokens, users, rate limits."""
import uuid

import requests

from harness import Api, problem


def new_user(admin, role="operator", **extra):
    """A user with a password the test chose (a generated one would have to
    be changed first: test_generated_password_must_be_changed_first)."""
    name = "u" + uuid.uuid4().hex[:10]
    extra.setdefault("password", "e2e password " + uuid.uuid4().hex[:12])
    r = admin.post("/api/v1/users", json={"username": name, "role": role, **extra})
    assert r.status_code == 201, r.text
    assert "password" not in r.json()            # shown only when generated
    return name, {**r.json(), "password": extra["password"]}


def test_session_cookie_flags_csrf_and_logout(server, admin):
    name, user = new_user(admin)
    api = Api(server.admin)
    r = api.login(name, user["password"])
    assert r.status_code == 200, r.text
    assert r.json()["user"]["username"] == name
    cookie = r.headers["Set-Cookie"]
    assert "troth_session=" in cookie
    for flag in ("HttpOnly", "SameSite=Strict", "Path=/"):
        assert flag in cookie
    assert "Secure" not in cookie               # plain HTTP on loopback
    me = api.get("/api/v1/me").json()
    assert me == {"id": user["id"], "username": name, "role": "operator",
                  "auth": "session", "member_id": None, "must_change_password": False,
                  "csrf_token": r.json()["csrf_token"]}
    # an unsafe method without the CSRF header is refused
    problem(api.post("/api/v1/tokens", json={"name": "x"}, csrf=False), 403,
            "csrf-token-missing")
    problem(api.post("/api/v1/tokens", json={"name": "x"},
                     headers={"X-CSRF-Token": "forged"}), 403, "csrf-token-missing")
    assert api.post("/api/v1/tokens", json={"name": "x"}).status_code == 201
    assert api.delete("/api/v1/session").status_code == 204
    problem(api.get("/api/v1/me"), 401, "unauthenticated")


def test_every_tab_reads_the_csrf_token_from_me(server, admin):
    """Issue 14 §2: a second tab has the cookie but not the first tab's
    sessionStorage; GET /api/v1/me gives it the session's CSRF token."""
    name, user = new_user(admin)
    first = Api(server.admin)
    assert first.login(name, user["password"]).status_code == 200
    second = Api(server.admin)
    second.s.cookies.update(first.s.cookies)
    problem(second.post("/api/v1/tokens", json={"name": "x"}), 403, "csrf-token-missing")
    second.csrf = second.get("/api/v1/me").json()["csrf_token"]
    assert second.csrf == first.csrf
    assert second.post("/api/v1/tokens", json={"name": "tab2"}).status_code == 201
    # sign-out from the second tab ends the first tab's session too
    assert second.delete("/api/v1/session").status_code == 204
    problem(first.get("/api/v1/me"), 401, "unauthenticated")
    # an API token has no CSRF token to tell
    assert "csrf_token" not in admin.get("/api/v1/me").json()


def test_unknown_user_and_wrong_password_answer_alike(server, admin, cluster):
    name, _ = new_user(admin)
    a = requests.post(server.admin + "/api/v1/session",
                      json={"username": name, "password": "wrong password!"})
    b = requests.post(server.admin + "/api/v1/session",
                      json={"username": "nobody-" + name, "password": "wrong password!"})
    assert problem(a, 401)["detail"] == problem(b, 401)["detail"]
    assert a.json()["type"] == b.json()["type"]
    # tallied (one audit event per account when the window closes:
    # test_signin_limits.py), the unknown name not kept
    assert cluster.psql("SELECT failures, reasons FROM login_failures "
                        f"WHERE username = '{name}'") == '1|{"wrong password": 1}'
    assert cluster.psql("SELECT count(*) FROM login_failures "
                        f"WHERE username = 'nobody-{name}'") == "0"


def test_failed_logins_are_rate_limited_per_account(server, admin):
    name, user = new_user(admin)
    for _ in range(5):
        problem(requests.post(server.admin + "/api/v1/session",
                              json={"username": name, "password": "not the password"}), 401)
    r = requests.post(server.admin + "/api/v1/session",
                      json={"username": name, "password": user["password"]})
    problem(r, 429, "too-many-attempts")
    assert 0 < int(r.headers["Retry-After"]) <= 15 * 60
    # another account from the same address is not locked out
    other, u2 = new_user(admin)
    assert Api(server.admin).login(other, u2["password"]).status_code == 200


def test_session_idle_expiry(server, admin, cluster):
    name, user = new_user(admin)
    api = Api(server.admin)
    assert api.login(name, user["password"]).status_code == 200
    assert api.get("/api/v1/me").status_code == 200
    cluster.psql("UPDATE sessions SET last_seen_at = now() - interval '31 minutes' "
                 f"WHERE user_id = {user['id']}")
    problem(api.get("/api/v1/me"), 401)


def test_api_token_lifecycle(server, admin, cluster):
    name, user = new_user(admin, role="auditor")
    api = Api(server.admin)
    api.login(name, user["password"])
    r = api.post("/api/v1/tokens", json={"name": "ci", "days": 30})
    assert r.status_code == 201, r.text
    tok = r.json()
    assert tok["token"].startswith("troth_") and len(tok["token"]) == 49
    listed = api.get("/api/v1/tokens").json()["items"]
    assert [t["id"] for t in listed] == [tok["id"]]
    assert "token" not in listed[0] and listed[0]["revoked_at"] is None
    # the secret is not stored: no column holds it
    assert cluster.psql(f"SELECT count(*) FROM api_tokens WHERE token_hash::text LIKE "
                        f"'%{tok['token'][6:20]}%'") == "0"
    bearer = Api(server.admin, token=tok["token"])
    assert bearer.get("/api/v1/me").json()["auth"] == "token"
    assert api.delete(f"/api/v1/tokens/{tok['id']}").status_code == 204
    problem(bearer.get("/api/v1/me"), 401, "invalid-token")
    # expiry
    tok2 = api.post("/api/v1/tokens", json={"name": "short"}).json()
    cluster.psql(f"UPDATE api_tokens SET expires_at = now() - interval '1 second' "
                 f"WHERE id = {tok2['id']}")
    problem(Api(server.admin, token=tok2["token"]).get("/api/v1/me"), 401, "invalid-token")
    # one user cannot revoke another's token
    other, u2 = new_user(admin)
    problem(server.token(other).delete(f"/api/v1/tokens/{tok2['id']}"), 404)


def test_disabling_a_user_ends_sessions_and_tokens_at_once(server, admin):
    name, user = new_user(admin)
    api = Api(server.admin)
    api.login(name, user["password"])
    tok = api.post("/api/v1/tokens", json={"name": "t"}).json()["token"]
    bearer = Api(server.admin, token=tok)
    assert bearer.get("/api/v1/me").status_code == 200
    r = admin.patch(f"/api/v1/users/{user['id']}", json={"disabled": True})
    assert r.status_code == 200 and r.json()["disabled"] is True
    problem(api.get("/api/v1/me"), 401)
    problem(bearer.get("/api/v1/me"), 401, "invalid-token")
    problem(Api(server.admin).login(name, user["password"]), 401)
    # re-enabling does not bring the old token back
    admin.patch(f"/api/v1/users/{user['id']}", json={"disabled": False})
    problem(bearer.get("/api/v1/me"), 401)


def test_password_change_and_policy(server, admin):
    name, user = new_user(admin)
    api = Api(server.admin)
    api.login(name, user["password"])
    body = problem(api.post("/api/v1/me/password", json={
        "current_password": user["password"], "new_password": "short"}), 422)
    assert body["field"] == "new_password"
    problem(api.post("/api/v1/me/password", json={
        "current_password": "not it at all", "new_password": "a long new password"}), 422)
    assert api.post("/api/v1/me/password", json={
        "current_password": user["password"],
        "new_password": "a long new password"}).status_code == 204
    assert Api(server.admin).login(name, "a long new password").status_code == 200
    problem(Api(server.admin).login(name, user["password"]), 401)
    body = problem(admin.post("/api/v1/users", json={
        "username": "x" + name, "role": "operator", "password": "short"}), 422)
    assert body["field"] == "password"


def test_users_are_for_admins_only(server, admin):
    name, user = new_user(admin)
    op = server.token(name)
    problem(op.get("/api/v1/users"), 403, "forbidden")
    problem(op.post("/api/v1/users", json={"username": "y", "role": "admin"}), 403)
    problem(Api(server.admin).get("/api/v1/users"), 401, "unauthenticated")


def test_user_input_errors_name_the_field(server, admin, cluster):
    before = cluster.psql("SELECT count(*) FROM audit_events")
    cases = [
        ({"username": "a", "role": "superuser"}, 400, "role"),
        ({"username": "a"}, 400, "role"),
        ({"username": "a", "role": "operator", "extra": 1}, 400, "extra"),
        ({"username": "a\x01b", "role": "operator"}, 400, "username"),
        ({"username": "x" * 129, "role": "operator"}, 400, "username"),
        ({"username": 7, "role": "operator"}, 400, "username"),
        ({"username": "a", "role": "member"}, 400, "member_id"),
        ({"username": "a", "role": "member", "member_id": "999999"}, 422, "member_id"),
        ({"username": "admin", "role": "operator"}, 409, "username"),
    ]
    for body, status, field in cases:
        assert problem(admin.post("/api/v1/users", json=body), status)["field"] == field, body
    # nothing was written, not even an audit event
    assert cluster.psql("SELECT count(*) FROM audit_events") == before
    problem(admin.get("/api/v1/users/abc"), 404)
    problem(admin.get("/api/v1/users/99999999"), 404)
    problem(admin.get("/api/v1/users", params={"limit": "0"}), 400)
    problem(admin.get("/api/v1/users", params={"cursor": "x'--"}), 400)


def test_user_list_paginates(server, admin):
    for _ in range(3):
        new_user(admin)
    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = admin.get("/api/v1/users", params=params).json()
        assert len(page["items"]) <= 2
        seen += [u["id"] for u in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen)) >= 4
    assert seen == sorted(seen, key=int)


def test_failed_logins_are_rate_limited_per_address(cluster):
    """Failures spread over many accounts from one address lock that address
    out (its own server: the limit is per address, and all tests share one)."""
    from harness import Server
    s = Server(cluster, db=cluster.new_db(),
               extra={"auth": {"login_failures_per_ip": "3", "login_failures_per_user": "50"}})
    s.migrate()
    password = s.init()
    s.start()
    try:
        url = s.admin + "/api/v1/session"
        for i in range(3):
            problem(requests.post(url, json={"username": f"nobody{i}",
                                             "password": "not the password"}), 401)
        # even the right password of a real account is refused from here now
        r = requests.post(url, json={"username": "admin", "password": password})
        problem(r, 429, "too-many-attempts")
        assert int(r.headers["Retry-After"]) > 0
    finally:
        s.stop()


def test_generated_password_must_be_changed_first(server, admin, cluster):
    """Issue 14 item 13: a password Troth generated was seen by the admin who
    made the user; until the user changes it, its session may only read who
    it is, change the password and sign out."""
    name = "g" + uuid.uuid4().hex[:10]
    r = admin.post("/api/v1/users", json={"username": name, "role": "operator"})
    assert r.status_code == 201, r.text
    pw = r.json()["password"]
    assert len(pw) == 24 and r.json()["must_change_password"] is True
    api = Api(server.admin)
    login = api.login(name, pw)
    assert login.status_code == 200 and login.json()["user"]["must_change_password"] is True
    assert api.get("/api/v1/me").json()["must_change_password"] is True
    assert api.get("/api/v1/community").status_code == 200
    before = cluster.psql("SELECT count(*) FROM api_tokens")
    for method, path in (("GET", "/api/v1/certificates"), ("GET", "/api/v1/members"),
                         ("POST", "/api/v1/tokens"), ("GET", "/api/v1/stats")):
        p = problem(api.request(method, path, json={"name": "x"} if method == "POST" else None),
                    403, "password-change-required")
        assert "/api/v1/me/password" in p["detail"]
    assert cluster.psql("SELECT count(*) FROM api_tokens") == before
    # the same password again is still a change; a wrong current one is not
    problem(api.post("/api/v1/me/password", json={"current_password": "wrong wrong wrong",
                                                  "new_password": "my own password now"}), 422)
    assert api.get("/api/v1/me").json()["must_change_password"] is True
    assert api.post("/api/v1/me/password", json={"current_password": pw,
                                                 "new_password": "my own password now"}).status_code == 204
    assert api.get("/api/v1/me").json()["must_change_password"] is False
    assert api.get("/api/v1/certificates").status_code == 200      # the same session goes on
    assert admin.get(f"/api/v1/users/{r.json()['id']}").json()["must_change_password"] is False
    # a password the admin chose is not flagged
    name2, u2 = new_user(admin)
    assert u2["must_change_password"] is False

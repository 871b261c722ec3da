"""The authorization matrix: every route of `troth routes` x every kind of
caller -> the expected status. The routes are read from the binary at
collection time, so a new route is tested the day it is added; who may call
each route is written in this file (EXPECTED_ROLES), never taken from the
table being tested, so a wrong role in src/api/routes.c fails; a route this
file cannot fill (an unknown path parameter, a body-less state change with
no factory) fails loudly instead of being skipped.

How a call is made harmless:
  - routes that take a body get `{}`: an authorized caller stops at input
    validation (400/422), which proves it got past authorization without
    changing anything;
  - body-less state changes (activate, approve, DELETE, unhold, ...) get a
    fresh object per call from a factory, so the order of calls does not
    matter;
  - member B probes member A's objects with a body that *would* be valid
    where the body is validated before the object is looked up (the HTTP
    layer checks each route's body spec before the handler runs)
    (otherwise B would stop at 400 and we would prove nothing about the
    404); those objects are fresh or checked unchanged afterwards.

The expectation, in order:
  1. a public-listener route: every caller gets the anonymous answer, which
     is neither 401 nor 403 (the public listener never authenticates);
  2. an exception from EXCEPTIONS (rules finer than the route table);
  3. a role not in the route's roles: anonymous 401, anyone else 403;
  4. member B on member A's object (a route members may use): 404;
  5. otherwise: not 401, 403 or 404 (and never 5xx).
"""
import itertools
import json
import os
import subprocess

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from harness import BIN, ROOT, Api, problem

PASSWORD = "matrix password of some length"
CALLERS = ("anonymous", "memberA", "memberB", "auditor", "operator", "admin")
ROLE_OF = {"anonymous": "anonymous", "memberA": "member", "memberB": "member",
           "auditor": "auditor", "operator": "operator", "admin": "admin"}
_n = itertools.count()


def uniq(prefix):
    return f"{prefix}{os.getpid()}x{next(_n)}"


def route_table():
    out = subprocess.run([BIN, "routes"], capture_output=True, text=True, check=True)
    table = json.loads(out.stdout)
    assert table, "troth routes printed an empty table"
    return table


ROUTES = route_table()


def route_id(r):
    return f'{r["method"]} {r["pattern"]}'


# ---- rules finer than the route table ----
#
# (method, pattern, caller) -> the status the handler answers although the
# route table lets the caller in. Keep each with a pointer to the code.
EXCEPTIONS = {
    # A user revokes only its own API tokens; an admin anyone's. The token
    # here belongs to member A's user, so other non-admins do not find it.
    # src/api/tokens.c h_tokens_delete (q_revoke filters by owner unless admin)
    ("DELETE", "/api/v1/tokens/{id}", "auditor"): 404,
    ("DELETE", "/api/v1/tokens/{id}", "operator"): 404,
    # /metrics is open in the table so that loopback callers may scrape
    # without a token when [server] metrics_open_on_loopback is on (off
    # here); the handler admits staff only. src/api/metrics.c h_metrics
    ("GET", "/metrics", "anonymous"): 401,
    ("GET", "/metrics", "memberA"): 403,
    ("GET", "/metrics", "memberB"): 403,
}


# ---- who may call what: written here, not read from the table under test ----
#
# The route table in src/api/routes.c must say exactly this; a new route is
# added here with its roles, so a wrong role in routes.c fails the matrix.
ANYONE = ("anonymous", "member", "auditor", "operator", "admin")
SIGNED_IN = ("member", "auditor", "operator", "admin")
ISSUERS = ("member", "operator", "admin")
OPS = ("operator", "admin")
AUDITORS = ("auditor", "admin")
ADMIN = ("admin",)
STAFF = ("auditor", "operator", "admin")
EXPECTED_ROLES = {
    ("GET", "/healthz"): ANYONE,
    ("GET", "/readyz"): ANYONE,
    ("GET", "/crl/{ca}.crl"): ANYONE,
    ("GET", "/ca/{ca}.crt"): ANYONE,
    ("GET", "/anchors.pem"): ANYONE,
    ("GET", "/anchors.json"): ANYONE,
    ("GET", "/"): ANYONE,
    ("GET", "/app/{file}"): ANYONE,
    ("GET", "/accept-invitation"): ANYONE,
    ("GET", "/api/v1/openapi.json"): ANYONE,
    ("GET", "/metrics"): ANYONE,
    ("GET", "/api/v1/webhooks"): ADMIN,
    ("POST", "/api/v1/webhooks"): ADMIN,
    ("DELETE", "/api/v1/webhooks/{id}"): ADMIN,
    ("GET", "/api/v1/webhooks/{id}/deliveries"): ADMIN,
    ("GET", "/api/v1/notifications"): ADMIN,
    ("POST", "/api/v1/session"): ANYONE,
    ("DELETE", "/api/v1/session"): ANYONE,
    ("GET", "/api/v1/me"): SIGNED_IN,
    ("GET", "/api/v1/community"): SIGNED_IN,
    ("POST", "/api/v1/me/password"): SIGNED_IN,
    ("GET", "/api/v1/users"): ADMIN,
    ("POST", "/api/v1/users"): ADMIN,
    ("GET", "/api/v1/users/{id}"): ADMIN,
    ("PATCH", "/api/v1/users/{id}"): ADMIN,
    ("GET", "/api/v1/tokens"): SIGNED_IN,
    ("POST", "/api/v1/tokens"): SIGNED_IN,
    ("DELETE", "/api/v1/tokens/{id}"): SIGNED_IN,
    ("POST", "/api/v1/certificates"): ISSUERS,
    ("POST", "/api/v1/certificates/keygen"): ISSUERS,
    ("GET", "/api/v1/certificates"): SIGNED_IN,
    ("GET", "/api/v1/certificates/{serial}.pem"): SIGNED_IN,
    ("GET", "/api/v1/certificates/{serial}.der"): SIGNED_IN,
    ("GET", "/api/v1/certificates/{serial}.chain.pem"): SIGNED_IN,
    ("GET", "/api/v1/certificates/{serial}"): SIGNED_IN,
    ("POST", "/api/v1/certificates/{serial}/revoke"): ISSUERS,
    ("POST", "/api/v1/certificates/{serial}/unhold"): OPS,
    ("POST", "/api/v1/certificates/{serial}/renew"): ISSUERS,
    ("GET", "/api/v1/cas"): SIGNED_IN,
    ("POST", "/api/v1/cas/{id}/crl"): ADMIN,
    ("GET", "/api/v1/cas/{id}/signatures"): STAFF,
    ("GET", "/api/v1/attention"): STAFF,
    ("GET", "/api/v1/uris"): STAFF,
    ("GET", "/api/v1/stats"): STAFF,
    ("GET", "/api/v1/profiles"): SIGNED_IN,
    ("GET", "/api/v1/audit"): AUDITORS,
    ("GET", "/api/v1/audit/verify"): AUDITORS,
    ("GET", "/api/v1/members"): SIGNED_IN,
    ("POST", "/api/v1/members"): OPS,
    ("GET", "/api/v1/members/{id}"): SIGNED_IN,
    ("PATCH", "/api/v1/members/{id}"): OPS,
    ("POST", "/api/v1/members/{id}/activate"): OPS,
    ("POST", "/api/v1/members/{id}/suspend"): OPS,
    ("POST", "/api/v1/members/{id}/reinstate"): OPS,
    ("POST", "/api/v1/members/{id}/terminate"): OPS,
    ("GET", "/api/v1/members/{id}/uris"): SIGNED_IN,
    ("POST", "/api/v1/members/{id}/uris"): ISSUERS,
    ("POST", "/api/v1/members/{id}/uris/{uri_id}/approve"): OPS,
    ("DELETE", "/api/v1/members/{id}/uris/{uri_id}"): ISSUERS,
    ("GET", "/api/v1/members/{id}/users"): SIGNED_IN,
    ("GET", "/api/v1/members/{id}/expiry-timeline"): SIGNED_IN,
    ("GET", "/api/v1/members/{id}/invitations"): SIGNED_IN,
    ("POST", "/api/v1/members/{id}/invitations"): OPS,
    ("POST", "/api/v1/invitations/accept"): ANYONE,
    ("POST", "/api/v1/invitations/lookup"): ANYONE,
    ("POST", "/api/v1/members/{id}/invitations/{inv_id}/revoke"): OPS,
    ("POST", "/api/v1/members/{id}/invitations/{inv_id}/resend"): OPS,
    ("POST", "/api/v1/udap/validate"): SIGNED_IN,
    ("GET", "/sandbox/index.json"): ANYONE,
    ("GET", "/sandbox/anchors.pem"): ANYONE,
    ("GET", "/sandbox/ca/{name}.crt"): ANYONE,
    ("GET", "/sandbox/crl/{name}.crl"): ANYONE,
    ("GET", "/sandbox/fixtures/{name}/{file}"): ANYONE,
    ("GET", "/api/v1/sandbox"): SIGNED_IN,
    ("POST", "/api/v1/sandbox/init"): ADMIN,
    ("POST", "/api/v1/sandbox/refresh"): ADMIN,
}


def csr_pem(cn="matrix"):
    key = ec.generate_private_key(ec.SECP256R1())
    csr = (x509.CertificateSigningRequestBuilder()
           .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
           .sign(key, hashes.SHA256()))
    return csr.public_bytes(serialization.Encoding.PEM).decode()


class World:
    """Member A and B, one client per caller, and factories of fresh
    objects owned by member A. Built once per module."""

    def __init__(self, server, admin):
        self.server, self.admin = server, admin
        self.a = self.new_member("active")
        self.b = self.new_member("active")
        self.a_uri = self.add_uri(self.a["id"])
        self.b_uri = self.add_uri(self.b["id"])
        self.users, self.clients = {}, {"anonymous": Api(server.admin)}
        for caller in CALLERS[1:]:
            role = ROLE_OF[caller]
            body = {"username": uniq(f"mx-{caller}-"), "role": role, "password": PASSWORD}
            if caller == "memberA":
                body["member_id"] = self.a["id"]
            if caller == "memberB":
                body["member_id"] = self.b["id"]
            r = admin.post("/api/v1/users", json=body)
            assert r.status_code == 201, r.text
            self.users[caller] = r.json()
            self.clients[caller] = Api(server.admin, token=self.token_of(caller)["token"])
        self.cert = self.new_cert()

    # -- factories (each call makes a fresh object) --

    def new_member(self, status="pending"):
        r = self.admin.post("/api/v1/members", json={
            "name": uniq("Matrix Org "), "organization_id": f"https://{uniq('mx')}.example/"})
        assert r.status_code == 201, r.text
        m = r.json()
        for step in {"pending": [], "active": ["activate"],
                     "suspended": ["activate", "suspend"]}[status]:
            r = self.admin.post(f"/api/v1/members/{m['id']}/{step}")
            assert r.status_code == 200, r.text
        return m

    def add_uri(self, member_id, by=None):
        """An approved client URI (added by the admin), or a pending one
        (proposed by the member user `by`)."""
        client = self.admin if by is None else self.clients[by]
        r = client.post(f"/api/v1/members/{member_id}/uris",
                        json={"uri": f"https://{uniq('app')}.example/client", "kind": "client"})
        assert r.status_code == 201, r.text
        return r.json()

    def token_of(self, caller):
        r = self.admin.post("/api/v1/tokens", json={"name": uniq("mx"),
                                                    "user_id": self.users[caller]["id"]})
        assert r.status_code == 201, r.text
        return r.json()

    def new_cert(self, hold=False):
        r = self.admin.post("/api/v1/certificates", json=self.issue_body())
        assert r.status_code == 201, r.text
        c = r.json()
        if hold:
            r = self.admin.post(f"/api/v1/certificates/{c['serial']}/revoke",
                                json={"reason": "certificateHold"})
            assert r.status_code == 200 and r.json()["status"] == "on_hold", r.text
        return c

    def new_webhook(self):
        """An endpoint nobody listens on (loopback, port 9: discard)."""
        r = self.admin.post("/api/v1/webhooks", json={
            "url": f"http://127.0.0.1:9/{uniq('hook')}", "events": ["crl.published"]})
        assert r.status_code == 201, r.text
        return r.json()

    def ensure_sandbox(self):
        """The conformance sandbox exists (made once, by the admin's API)."""
        if not getattr(self, "sandbox_made", False):
            r = self.admin.post("/api/v1/sandbox/init")
            assert r.status_code in (201, 409), r.text
            self.sandbox_made = True

    def cert_status(self, serial):
        return self.admin.get(f"/api/v1/certificates/{serial}").json()["status"]

    def no_new_certs(self):
        """A check that member A got no certificate meanwhile."""
        def count():
            r = self.admin.get("/api/v1/certificates",
                               params={"member_id": self.a["id"], "limit": 200})
            return len(r.json()["items"])
        before = count()
        return lambda: assert_equal(count(), before)

    def no_new_uris(self):
        """A check that member A got no URI meanwhile."""
        def uris():
            r = self.admin.get(f"/api/v1/members/{self.a['id']}/uris", params={"limit": 200})
            return [u["id"] for u in r.json()["items"]]
        before = uris()
        return lambda: assert_equal(uris(), before)

    def issue_body(self):
        return {"member_id": self.a["id"], "profile": "udap-client", "csr": csr_pem(),
                "uris": [self.a_uri["uri"]]}


@pytest.fixture(scope="module")
def world(server, admin):
    return World(server, admin)


class Call:
    """One request of the matrix: the path with its parameters filled, the
    body, whether the object is member A's, and a check run afterwards."""

    def __init__(self, path, body=None, a_owned=False, after=None):
        self.path, self.body, self.a_owned, self.after = path, body, a_owned, after


def fill(pattern, values):
    for k, v in values.items():
        pattern = pattern.replace("{" + k + "}", str(v))
    assert "{" not in pattern, f"no value for a parameter of {pattern}"
    return pattern


def member_b_may_reach(route):
    return "member" in EXPECTED_ROLES[(route["method"], route["pattern"])]


def plan(route, caller, w):
    """Builds the Call for one cell of the matrix. Raises for a route it
    does not know how to fill: a new route needs a line here."""
    m, p = route["method"], route["pattern"]
    takes_body = route["body_limit"] > 0
    body = {} if takes_body else None
    unsafe = m not in ("GET", "HEAD")
    b_probe = caller == "memberB"
    A = w.a["id"]

    if p.startswith("/sandbox/") or p.startswith("/api/v1/sandbox/"):
        # init answers 409 and refresh re-issues the test fixtures: neither
        # changes a decision about production objects
        w.ensure_sandbox()
        return Call(fill(p, {"name": "issuing", "file": "key.p12"}).replace(
            "/fixtures/issuing/", "/fixtures/valid-client/"))

    if "{inv_id}" in p:
        # revoke / resend: a fresh pending invitation of member A per call
        r = w.admin.post(f"/api/v1/members/{A}/invitations", json={"username": uniq("mx-inv-")})
        assert r.status_code == 201, r.text
        return Call(fill(p, {"id": A, "inv_id": r.json()["id"]}), a_owned=True)

    # body-less state changes: a fresh object per call (suspend and
    # terminate take an optional reason, so {} would change state too)
    status_change = p.endswith(("/suspend", "/terminate", "/approve"))  # approve: optional confirm_lookalike
    if unsafe and (not takes_body or status_change):
        if p.startswith("/api/v1/members/{id}/") and p.count("/") == 5:
            # activate / suspend / reinstate / terminate: a member in the
            # state the action starts from
            action = p.rsplit("/", 1)[1]
            start = {"activate": "pending", "suspend": "active",
                     "reinstate": "suspended", "terminate": "active"}.get(action)
            assert start, (f"no factory for the member action {m} {p}: "
                           "add one to plan() in test_authz_matrix.py")
            return Call(fill(p, {"id": w.new_member(start)["id"]}))
        if p in ("/api/v1/members/{id}/uris/{uri_id}/approve",
                 "/api/v1/members/{id}/uris/{uri_id}"):
            uri = w.add_uri(A, by="memberA")  # pending: the member may withdraw it
            return Call(fill(p, {"id": A, "uri_id": uri["id"]}), a_owned=True)
        if p == "/api/v1/certificates/{serial}/unhold":
            c = w.new_cert(hold=True)
            return Call(fill(p, {"serial": c["serial"]}), a_owned=True)
        if p == "/api/v1/tokens/{id}":
            t = w.token_of("memberA")
            return Call(fill(p, {"id": t["id"]}), a_owned=True)
        if p == "/api/v1/cas/{id}/crl":
            # no object to create: regenerating the CRL changes no decision
            return Call(fill(p, {"id": "issuing"}))
        if p == "/api/v1/webhooks/{id}":
            return Call(fill(p, {"id": w.new_webhook()["id"]}))
        if p == "/api/v1/session":
            # the matrix's callers use API tokens: there is no session to end
            return Call(p)
        raise AssertionError(f"no factory for the body-less state change {m} {p}: "
                             "add one to plan() in test_authz_matrix.py")

    # member B reaching for A's objects where the handler reads the body
    # before it looks the object up: a body that would otherwise succeed
    if b_probe and m == "POST" and p == "/api/v1/certificates":
        return Call(p, w.issue_body(), a_owned=True, after=w.no_new_certs())
    if b_probe and p == "/api/v1/certificates/keygen":
        body = {k: v for k, v in w.issue_body().items() if k != "csr"}
        body.update(key_type="EC-P256", passphrase="matrix passphrase")
        return Call(p, body, a_owned=True, after=w.no_new_certs())
    if b_probe and p == "/api/v1/certificates/{serial}/revoke":
        c = w.new_cert()
        return Call(fill(p, {"serial": c["serial"]}), {"reason": "keyCompromise"},
                    a_owned=True,
                    after=lambda: assert_equal(w.cert_status(c["serial"]), "valid"))
    if b_probe and p == "/api/v1/certificates/{serial}/renew":
        return Call(fill(p, {"serial": w.cert["serial"]}), {"csr": csr_pem()},
                    a_owned=True, after=w.no_new_certs())
    # the HTTP layer checks every body (the route table's spec) before the
    # handler looks the member up
    if b_probe and m == "POST" and p == "/api/v1/members/{id}/uris":
        return Call(fill(p, {"id": A}),
                    {"uri": f"https://{uniq('mxb')}.example.org/app", "kind": "client"},
                    a_owned=True, after=w.no_new_uris())

    # everything else: fixed objects of member A
    if p.startswith("/api/v1/members/{id}"):
        return Call(fill(p, {"id": A}), body, a_owned=True)
    if p.startswith("/api/v1/certificates/{serial}"):
        return Call(fill(p, {"serial": w.cert["serial"]}), body, a_owned=True)
    if p.startswith("/api/v1/users/{id}"):
        return Call(fill(p, {"id": w.users["memberA"]["id"]}), body)
    if p == "/api/v1/cas/{id}/signatures":
        return Call(fill(p, {"id": "issuing"}))
    if p in ("/crl/{ca}.crl", "/ca/{ca}.crt"):
        return Call(fill(p, {"ca": "issuing"}))
    if p == "/app/{file}":
        return Call(fill(p, {"file": "main.js"}))
    if p == "/api/v1/webhooks/{id}/deliveries":
        return Call(fill(p, {"id": w.new_webhook()["id"]}))
    if p == "/api/v1/certificates" or p == "/api/v1/certificates/keygen":
        return Call(p, body, a_owned=False)  # {}: stops at validation for all
    assert "{" not in p, (f"no value for the parameters of {m} {p}: "
                          "add them to plan() in test_authz_matrix.py")
    return Call(p, body)


def assert_equal(a, b):
    assert a == b, (a, b)


def send(route, caller, call, w, server):
    base = server.public if route["listeners"] == ["public"] else server.admin
    assert route["listeners"] in (["public"], ["admin"]), route
    client = w.clients[caller]
    kw = {"json": call.body} if call.body is not None else {}
    return client.s.request(route["method"], base + call.path, timeout=30, **kw)


def expected(route, caller, call):
    """The status (int) or 'allowed' for one cell."""
    key = (route["method"], route["pattern"], caller)
    if key in EXCEPTIONS:
        return EXCEPTIONS[key]
    role = ROLE_OF[caller]
    if role not in EXPECTED_ROLES[(route["method"], route["pattern"])]:
        return 401 if caller == "anonymous" else 403
    if caller == "memberB" and call.a_owned and member_b_may_reach(route):
        return 404
    return "allowed"


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("route", ROUTES, ids=route_id)
def test_matrix(route, caller, world, server):
    call = plan(route, caller, world)
    r = send(route, caller, call, world, server)
    cell = f"{route_id(route)} as {caller} -> {r.status_code} {r.text[:300]}"
    assert r.status_code < 500, cell
    if route["listeners"] == ["public"]:
        anon = send(route, "anonymous", call, world, server)
        assert anon.status_code not in (401, 403), cell
        assert r.status_code == anon.status_code, cell
        assert r.status_code == 200, cell  # every public object named here exists
    else:
        want = expected(route, caller, call)
        if want == "allowed":
            assert r.status_code not in (401, 403, 404), cell
            if call.body == {}:
                # past authorization, stopped by validation: nothing changed
                assert r.status_code in (400, 422), cell
        else:
            assert r.status_code == want, cell
            body = problem(r, want)
            if want == 401:
                assert body["type"] == "urn:troth:problem:unauthenticated", cell
            if want == 403 and (route["method"], route["pattern"], caller) not in EXCEPTIONS:
                assert body["type"] == "urn:troth:problem:forbidden", cell
            if want == 404:
                assert body["type"].endswith("not-found"), cell
    if call.after:
        call.after()


def test_route_table_gives_the_roles_this_file_expects():
    """The binary's roles for every route are EXPECTED_ROLES', no route
    missing on either side (a new route needs its line above)."""
    table = {(r["method"], r["pattern"]): tuple(r["roles"]) for r in ROUTES}
    wrong = [f"{m} {p}: table {table.get((m, p))} vs expected {EXPECTED_ROLES.get((m, p))}"
             for (m, p) in sorted(set(table) | set(EXPECTED_ROLES))
             if table.get((m, p)) != EXPECTED_ROLES.get((m, p))]
    assert not wrong, "\n".join(wrong)


def test_route_table_is_well_formed():
    """What the matrix relies on: known roles and listeners, unique routes,
    and a public listener that only serves GETs to everyone."""
    seen = {route_id(r) for r in ROUTES}
    assert len(seen) == len(ROUTES), "duplicate routes in the table"
    for r in ROUTES:
        assert set(r["roles"]) <= set(ROLE_OF.values()), r
        assert r["listeners"] in (["public"], ["admin"]), r
        if r["listeners"] == ["public"]:
            assert r["method"] == "GET" and "anonymous" in r["roles"], r


# ---- the table and the OpenAPI document agree ----

def test_route_roles_are_documented_in_openapi():
    doc = json.loads((ROOT / "assets/openapi.json").read_text())
    everyone = {"anonymous", "member", "auditor", "operator", "admin"}
    wrong = []
    for r in ROUTES:
        op = doc["paths"].get(r["pattern"], {}).get(r["method"].lower())
        assert op is not None, f"{route_id(r)} is not in assets/openapi.json"
        documented = {x.replace(" (own)", "") for x in op.get("x-roles", [])}
        # "anonymous" documents a route open to every caller
        if "anonymous" in documented:
            documented = everyone
        if not set(r["roles"]) <= documented:
            wrong.append(f"{route_id(r)}: table {r['roles']} vs x-roles {op.get('x-roles')}")
        if documented != set(r["roles"]):
            wrong.append(f"{route_id(r)}: x-roles {op.get('x-roles')} promise more than "
                         f"the table's {r['roles']}")
    assert not wrong, "\n".join(wrong)


# ---- rules finer than the route table, probed with real bodies ----
#
# (caller, method, path, body, status, problem kind or None, check of the
# JSON answer or None). {name} in a path or body is an object of World.resolve.
FINER = [
    # A member revokes its own certificate ...
    # src/api/certificate_status.c h_certificates_revoke -> ca_revoke(only_member)
    ("memberA", "POST", "/api/v1/certificates/{fresh_cert}/revoke",
     {"reason": "keyCompromise"}, 200, None, lambda j: j["status"] == "revoked"),
    # ... but may not put it on hold: src/ca/revoke.c, kind hold-not-allowed
    ("memberA", "POST", "/api/v1/certificates/{fresh_cert}/revoke",
     {"reason": "certificateHold"}, 403, "hold-not-allowed", None),
    # that refusal comes before the lookup, so it tells member B nothing:
    # the same answer for A's certificate and for none at all
    ("memberB", "POST", "/api/v1/certificates/{fresh_cert}/revoke",
     {"reason": "certificateHold"}, 403, "hold-not-allowed", None),
    ("memberB", "POST", "/api/v1/certificates/ffffffff0000/revoke",
     {"reason": "certificateHold"}, 403, "hold-not-allowed", None),
    # a member proposes URIs for its own member, pending until approved:
    # src/api/member_uris.c h_member_uri_add (.approved = staff)
    ("memberA", "POST", "/api/v1/members/{A}/uris",
     {"uri": "{new_uri}", "kind": "client"}, 201, None, lambda j: j["status"] == "pending"),
    # an operator's are approved at once
    ("operator", "POST", "/api/v1/members/{A}/uris",
     {"uri": "{new_uri}", "kind": "client"}, 201, None, lambda j: j["status"] == "approved"),
    # a member withdraws pending URIs, not approved ones:
    # src/api/member_uris.c delete_tx / reply_uri_failure (member_only)
    ("memberA", "DELETE", "/api/v1/members/{A}/uris/{approved_uri}", None, 403,
     "forbidden", None),
    # tokens for someone else: an admin only: src/api/tokens.c h_tokens_create
    ("operator", "POST", "/api/v1/tokens", {"name": "x", "user_id": "{memberA_user}"},
     403, "forbidden", None),
    ("memberB", "POST", "/api/v1/tokens", {"name": "x", "user_id": "{memberA_user}"},
     403, "forbidden", None),
    ("admin", "POST", "/api/v1/tokens", {"name": "x", "user_id": "{memberA_user}"},
     201, None, lambda j: j["token"]),
    # one's own token anyone may revoke: src/api/tokens.c h_tokens_delete
    ("operator", "DELETE", "/api/v1/tokens/{operator_token}", None, 204, None, None),
    ("auditor", "DELETE", "/api/v1/tokens/{auditor_token}", None, 204, None, None),
    # a member user issues only for its own member (the member is in the
    # body): src/ca/issue.c ca_issue (only_member) -> 404, never 403
    ("memberA", "POST", "/api/v1/certificates", "{issue_for_B}", 404,
     "member-not-found", None),
]


def resolve(w, value):
    """Replaces {name} placeholders in a path or a body with fresh or fixed
    objects of the world."""
    names = {
        "A": lambda: w.a["id"],
        "fresh_cert": lambda: w.new_cert()["serial"],
        "new_uri": lambda: f"https://{uniq('fine')}.example/client",
        "approved_uri": lambda: w.add_uri(w.a["id"])["id"],
        "memberA_user": lambda: w.users["memberA"]["id"],
        "operator_token": lambda: w.token_of("operator")["id"],
        "auditor_token": lambda: w.token_of("auditor")["id"],
        "issue_for_B": lambda: dict(w.issue_body(), member_id=w.b["id"],
                                    uris=[w.b_uri["uri"]]),
    }
    if isinstance(value, dict):
        return {k: resolve(w, v) for k, v in value.items()}
    if not isinstance(value, str):
        return value
    if value.startswith("{") and value.endswith("}") and value[1:-1] in names:
        return names[value[1:-1]]()
    for name, make in names.items():
        if "{" + name + "}" in value:
            value = value.replace("{" + name + "}", str(make()))
    return value


@pytest.mark.parametrize("caller,method,path,body,status,kind,check", FINER,
                         ids=[f"{f[0]} {f[1]} {f[2]} {f[5] or f[4]}" for f in FINER])
def test_finer_rules(world, server, caller, method, path, body, status, kind, check):
    kw = {"json": resolve(world, body)} if body is not None else {}
    r = world.clients[caller].s.request(method, server.admin + resolve(world, path), **kw)
    assert r.status_code == status, (r.status_code, r.text)
    if kind:
        problem(r, status, kind)
    if check:
        assert check(r.json()), r.text


def test_lists_show_a_member_only_its_own(world):
    a, b = world.clients["memberA"], world.clients["memberB"]
    world.new_cert()
    # src/api/certificate_read.c h_certificates_list: member_id is forced
    for params in ({}, {"member_id": world.b["id"]}):
        items = a.get("/api/v1/certificates", params=params).json()["items"]
        assert items and {c["member_id"] for c in items} == {world.a["id"]}, params
    assert b.get("/api/v1/certificates").json()["items"] == []
    assert b.get("/api/v1/certificates",
                 params={"member_id": world.a["id"]}).json()["items"] == []
    # src/api/members.c h_member_list
    assert [m["id"] for m in b.get("/api/v1/members").json()["items"]] == [world.b["id"]]
    # src/api/tokens.c h_tokens_list: one's own; ?user_id= is for admins
    mine = b.get("/api/v1/tokens", params={"user_id": world.users["memberA"]["id"]})
    assert {t["user_id"] for t in mine.json()["items"]} == {world.users["memberB"]["id"]}
    theirs = world.admin.get("/api/v1/tokens",
                             params={"user_id": world.users["memberA"]["id"]}).json()
    assert {t["user_id"] for t in theirs["items"]} == {world.users["memberA"]["id"]}
    # each download route reaches its own handler ({serial}.pem once
    # swallowed {serial}.chain.pem: src/http/route.c route_pattern_match)
    serial = world.cert["serial"]
    pem = a.get(f"/api/v1/certificates/{serial}.pem").text
    chain = a.get(f"/api/v1/certificates/{serial}.chain.pem").text
    assert pem.count("BEGIN CERTIFICATE") == 1 and chain.startswith(pem.strip())
    assert chain.count("BEGIN CERTIFICATE") >= 2
    # another member's 404 looks exactly like the 404 of nothing at all
    for suffix in ("", ".pem", ".der", ".chain.pem"):
        theirs = problem(b.get(f"/api/v1/certificates/{serial}{suffix}"), 404)
        nothing = problem(b.get(f"/api/v1/certificates/ffffffff0000{suffix}"), 404)
        assert theirs == nothing


# ---- CSRF: a session cookie without X-CSRF-Token on every unsafe route ----

UNSAFE_ADMIN_ROUTES = [r for r in ROUTES if r["listeners"] == ["admin"]
                       and r["method"] not in ("GET", "HEAD")]


@pytest.fixture(scope="module")
def admin_session(world, server):
    name = uniq("mx-session-admin")
    r = world.admin.post("/api/v1/users", json={"username": name, "role": "admin",
                                                "password": PASSWORD})
    assert r.status_code == 201, r.text
    s = Api(server.admin)
    assert s.login(name, PASSWORD).status_code == 200
    return s


@pytest.mark.parametrize("route", UNSAFE_ADMIN_ROUTES, ids=route_id)
def test_csrf_token_is_required_on_every_unsafe_route(route, world, server,
                                                      admin_session):
    call = plan(route, "admin", world)
    kw = {"json": call.body} if call.body is not None else {}
    r = admin_session.request(route["method"], call.path, csrf=False, **kw)
    problem(r, 403, "csrf-token-missing")
    # the session itself still works (and an admin was refused only for CSRF)
    assert admin_session.get("/api/v1/me").json()["role"] == "admin"

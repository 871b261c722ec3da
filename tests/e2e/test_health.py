"""Health, readiness, request ids, the access log, and error shapes."""
import json
import re
import time

import requests

from harness import problem, troth


def test_healthz_answers_ok_with_request_id(server):
    r = requests.get(server.public + "/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok"}
    assert re.fullmatch(r"[0-9a-f]{16}", r.headers["X-Request-Id"])
    # every response has its own id
    assert requests.get(server.public + "/healthz").headers["X-Request-Id"] != \
        r.headers["X-Request-Id"]


def test_head_has_headers_and_no_body(server):
    r = requests.head(server.public + "/healthz")
    assert r.status_code == 200
    assert r.content == b""
    assert r.headers["Content-Length"] == "15"


def test_readyz_reports_database_and_schema(server):
    r = requests.get(server.public + "/readyz")
    assert r.status_code == 200, r.text
    assert r.json()["checks"]["database"] == "ok"
    assert r.json()["checks"]["schema"] == "current"


def test_access_log_has_one_line_per_request(server):
    r = requests.get(server.public + "/no-such-path-for-the-log")
    rid = r.headers["X-Request-Id"]
    # the line is written when the connection finishes the request: poll
    for _ in range(100):
        lines = [l for l in server.log_text().splitlines() if rid in l]
        if lines:
            break
        time.sleep(0.02)
    assert len(lines) == 1, lines
    assert re.search(rf'^\S+Z {rid} GET "/no-such-path-for-the-log" 404 \d+ \d+us$',
                     lines[0]), lines[0]


def test_unknown_path_is_404_problem(server):
    for base in (server.public, server.admin):
        body = problem(requests.get(base + "/nothing/here"), 404, "not-found")
        assert "/nothing/here" in body["detail"]


def test_wrong_method_is_405_with_allow(server):
    r = requests.post(server.public + "/healthz")
    problem(r, 405, "method-not-allowed")
    assert r.headers["Allow"] == "GET, HEAD"
    r = requests.delete(server.public + "/readyz")
    assert r.headers["Allow"] == "GET, HEAD"


def test_public_routes_are_not_on_the_admin_listener(server):
    problem(requests.get(server.admin + "/healthz"), 404)


def test_admin_answers_carry_security_headers(server):
    r = requests.get(server.admin + "/api/v1/openapi.json")
    assert r.status_code == 200
    assert r.headers["X-Frame-Options"] == "DENY"
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert "unsafe-inline" not in r.headers["Content-Security-Policy"]
    assert r.headers["Referrer-Policy"] == "no-referrer"


def test_every_route_is_in_the_openapi_document(server):
    doc = requests.get(server.admin + "/api/v1/openapi.json").json()
    assert doc["openapi"].startswith("3.")
    table = json.loads(troth("routes").stdout)
    assert table, "empty route table"
    missing = [f'{r["method"]} {r["pattern"]}' for r in table
               if r["method"].lower() not in doc["paths"].get(r["pattern"], {})]
    assert not missing, missing
    # and nothing documented that the server does not have
    routes = {(r["method"].lower(), r["pattern"]) for r in table}
    extra = [f"{m} {p}" for p, ops in doc["paths"].items() for m in ops
             if m in ("get", "post", "patch", "put", "delete") and (m, p) not in routes]
    assert not extra, extra

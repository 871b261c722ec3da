"""GET /metrics: a real scrape checked by Prometheus's own promtool, values
that move with what the service does, who may scrape, and no personal data
in the labels."""
import os
import re
import subprocess

import pytest
import requests

from harness import Server, problem
from pki_util import Community, ec_key, wait_for

PROM_TYPE = "text/plain; version=0.0.4"


def scrape(api):
    r = api.get("/metrics")
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith(PROM_TYPE)
    return r.text


def value(text, name, **labels):
    """The sample of `name` whose labels include `labels`, or None."""
    for line in text.splitlines():
        m = re.match(r"^([a-z_]+)(\{(.*)\})? (\S+)$", line)
        if not m or m.group(1) != name:
            continue
        have = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(3) or ""))
        if all(have.get(k) == v for k, v in labels.items()):
            return float(m.group(4))
    return None


def promtool_check(text):
    p = subprocess.run(["promtool", "check", "metrics"], input=text,
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stdout + p.stderr


def test_scrape_passes_promtool_and_has_every_metric(server, admin):
    requests.get(server.public + "/anchors.pem", timeout=5)
    text = scrape(admin)
    promtool_check(text)
    for name in ["troth_crl_this_update_timestamp_seconds",
                 "troth_crl_next_update_timestamp_seconds", "troth_crl_number",
                 "troth_crl_entries", "troth_crl_bytes",
                 "troth_crl_generation_duration_seconds",
                 "troth_revocation_to_publish_seconds",
                 "troth_ca_not_after_timestamp_seconds", "troth_certificates",
                 "troth_certificates_expiring", "troth_certificates_issued_total",
                 "troth_revocations_total", "troth_signer_workers", "troth_database_up",
                 "troth_http_requests_total", "troth_http_request_duration_seconds",
                 "troth_audit_unsealed_events", "troth_notifications_pending",
                 "troth_build_info"]:
        assert f"# TYPE {name} " in text, name
    assert value(text, "troth_database_up") == 1
    # the commit the binary was built from (the Makefile writes it)
    head = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], capture_output=True,
                          text=True, cwd=os.path.dirname(__file__)).stdout.strip()
    build = re.search(r'^troth_build_info\{version="[^"]+",commit="([^"]+)"\} 1$', text, re.M)
    assert build and build.group(1).startswith(head or "unknown"), (build, head)
    assert value(text, "troth_signer_workers", state="up") >= 1
    assert value(text, "troth_certificates_expiring", within="7d") is not None
    assert value(text, "troth_http_requests_total", listener="public",
                 route="/anchors.pem", code="200") >= 1


def test_values_move_and_labels_hold_no_personal_data(server, admin, community):
    issuing = next(c for c in admin.get("/api/v1/cas").json()["items"]
                   if c["kind"] == "issuing")
    ca = issuing["id"]
    before = scrape(admin)
    issued0 = value(before, "troth_certificates_issued_total", profile="udap-client") or 0
    revoked0 = value(before, "troth_revocations_total", reason="keyCompromise") or 0
    publish0 = value(before, "troth_revocation_to_publish_seconds_count") or 0
    number0 = value(before, "troth_crl_number", ca=ca)

    m, uris = community.member(name="Metrics Private Clinic, Inc.")
    r = community.issue(admin, m["id"], "udap-client", ec_key(), uris["client"])
    assert r.status_code == 201, r.text
    serial = r.json()["serial"]
    mid = scrape(admin)
    assert value(mid, "troth_certificates_issued_total", profile="udap-client") == issued0 + 1

    r = admin.post(f"/api/v1/certificates/{serial}/revoke", json={"reason": "keyCompromise"})
    assert r.status_code == 200, r.text
    # the histogram counts every CA's publications: another CA's pending
    # revocation (an earlier test's) may move it first, so wait for this
    # CA's CRL number too (CI saw the count move while the number had not)
    def published(t):
        return ((value(t, "troth_revocation_to_publish_seconds_count") or 0) > publish0
                and value(t, "troth_crl_number", ca=ca) > number0)
    after, _ = wait_for(lambda: (lambda t: t if published(t) else None)(scrape(admin)),
                        timeout=15)
    assert after, "the revocation never reached a served CRL"
    assert value(after, "troth_revocations_total", reason="keyCompromise") == revoked0 + 1
    assert value(after, "troth_crl_number", ca=ca) > number0
    # the route's pattern, never the raw path with the serial
    requests.get(server.public + f"/crl/{ca}.crl", timeout=5)
    after = scrape(admin)
    assert value(after, "troth_http_requests_total", listener="public",
                 route="/crl/{ca}.crl", code="200") >= 1
    assert value(after, "troth_http_requests_total", listener="admin",
                 route="/api/v1/certificates/{serial}/revoke", code="200") >= 1
    promtool_check(after)
    label_values = " ".join(re.findall(r'="((?:[^"\\]|\\.)*)"', after))
    for secret in [serial, m["name"], "Metrics Private", uris["client"][0],
                   uris["client"][0].split("/")[2]]:
        assert secret not in label_values, secret


def test_who_may_scrape(server, admin, community):
    problem(requests.get(server.admin + "/metrics", timeout=5), 401, "unauthenticated")
    m, _ = community.member()
    member = community.member_user(m["id"])
    problem(member.get("/metrics"), 403, "forbidden")
    auditor = server.user("metrics-auditor", "auditor")
    assert auditor.get("/metrics").status_code == 200
    assert requests.get(server.public + "/metrics", timeout=5).status_code == 404


def test_open_on_loopback_when_configured(cluster):
    db = cluster.new_db("metrics")
    s = Server(cluster, db=db, extra={"server": {"metrics_open_on_loopback": "on"}})
    s.migrate()
    s.init()
    s.start()
    try:
        r = requests.get(s.admin + "/metrics", timeout=5)
        assert r.status_code == 200, r.text
        promtool_check(r.text)
        # a bad token is still refused, not ignored
        r = requests.get(s.admin + "/metrics", headers={"Authorization": "Bearer nope"},
                         timeout=5)
        assert r.status_code == 401
    finally:
        s.stop()

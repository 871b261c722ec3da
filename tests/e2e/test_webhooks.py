"""Webhooks: registration (secret shown once, https only but loopback,
known events), deliveries signed with HMAC-SHA256 and checked by a real
HTTP receiver, and none lost: with the receiver down for a while, every
event of that time arrives once it is back, in order per certificate.
An endpoint that never answers ends dead, in the API and the metrics."""
import pytest
import requests

from harness import Server, problem
from notify_util import Receiver
from pki_util import Community, ec_key, wait_for

ALL = ["certificate.issued", "certificate.revoked", "certificate.held",
       "certificate.released", "member.status_changed", "crl.published"]


@pytest.fixture(scope="module")
def notify_server(cluster):
    db = cluster.new_db("hooks")
    # short back-off so the outage below is seconds, not minutes: about
    # 10 s of failures before a notice is dead
    s = Server(cluster, db=db, extra={"notify": {
        "retry_base_ms": "200", "retry_max_seconds": "1", "max_attempts": "12"}})
    s.migrate()
    s.init()
    s.start()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def api(notify_server):
    return notify_server.token("admin")


def register(api, url, events=ALL):
    r = api.post("/api/v1/webhooks", json={"url": url, "events": events})
    assert r.status_code == 201, r.text
    return r.json()


def test_registration_rules(api):
    problem(api.post("/api/v1/webhooks", json={"url": "http://hooks.example.org/x",
                                                "events": ALL}), 422, "invalid-field")
    body = problem(api.post("/api/v1/webhooks", json={"url": "ftp://127.0.0.1/x",
                                                       "events": ALL}), 422)
    assert body["field"] == "url"
    body = problem(api.post("/api/v1/webhooks", json={"url": "https://a.example/",
                                                       "events": ["certificate.exploded"]}), 400)
    assert body["field"] == "events"
    body = problem(api.post("/api/v1/webhooks", json={"url": "https://a.example/"}), 400)
    assert body["field"] == "events"
    h = register(api, "https://hooks.example.org/troth", ["crl.published"])
    assert h["secret"].startswith("whsec_") and len(h["secret"]) > 40
    listed = {x["id"]: x for x in api.get("/api/v1/webhooks").json()["items"]}
    assert listed[h["id"]]["url"] == "https://hooks.example.org/troth"
    assert "secret" not in listed[h["id"]]
    assert api.delete(f"/api/v1/webhooks/{h['id']}").status_code == 204
    assert h["id"] not in {x["id"] for x in api.get("/api/v1/webhooks").json()["items"]}
    problem(api.delete(f"/api/v1/webhooks/{h['id']}"), 404)
    events = [e["action"] for e in api.get("/api/v1/audit", params={"limit": 20}).json()["items"]]
    assert "webhook.create" in events and "webhook.delete" in events


def test_none_lost_while_the_receiver_is_down(notify_server, api):
    rec = Receiver()
    hook = register(api, rec.url)
    rec.secret = hook["secret"]
    rec.start()
    com = Community(notify_server, api)
    m, uris = com.member()
    r = com.issue(api, m["id"], "udap-client", ec_key(), uris["client"])
    assert r.status_code == 201, r.text
    first = r.json()["serial"]
    got, _ = wait_for(lambda: [d for d in rec.docs() if d["data"].get("serial") == first],
                      timeout=15)
    assert got and got[0]["type"] == "certificate.issued", rec.docs()
    assert got[0]["data"]["uris"] == uris["client"]

    # the receiver goes away; events keep happening
    rec.stop()
    serials = []
    for _ in range(3):
        r = com.issue(api, m["id"], "udap-client", ec_key(), uris["client"])
        assert r.status_code == 201, r.text
        serials.append(r.json()["serial"])
    a, b, c = serials
    assert api.post(f"/api/v1/certificates/{a}/revoke",
                    json={"reason": "keyCompromise"}).status_code == 200
    assert api.post(f"/api/v1/certificates/{b}/revoke",
                    json={"reason": "certificateHold"}).status_code == 200
    assert api.post(f"/api/v1/certificates/{b}/unhold").status_code == 200
    assert api.post(f"/api/v1/members/{m['id']}/suspend").status_code == 200
    # failures are recorded while it is down
    def failing():
        items = api.get(f"/api/v1/webhooks/{hook['id']}/deliveries").json()["items"]
        return [n for n in items if n["attempts"] >= 3 and n["status"] == "pending"]
    stuck, _ = wait_for(failing, timeout=10)
    assert stuck, "no failed attempts recorded while the receiver was down"
    assert all(not a["ok"] for a in stuck[0]["log"])
    rec.start()

    # every notice queued for this endpoint arrives exactly once
    cluster = notify_server.cluster
    def queued():
        return set(cluster.psql(
            f"SELECT id FROM outbox WHERE webhook_id = {hook['id']}",
            db=notify_server.db).split())
    def all_in():
        ids = [d["id"] for d in rec.docs()]
        return set(ids) >= queued() and len(queued()) > 0
    done, _ = wait_for(all_in, timeout=40, step=0.2)
    assert done, (sorted(queued() - {d["id"] for d in rec.docs()}), rec.bad)
    assert not rec.bad, rec.bad
    docs = rec.docs()
    ids = [d["id"] for d in docs]
    assert len(ids) == len(set(ids)), "a notice was delivered twice"

    def types(serial):
        return [d["type"] for d in docs if d["data"].get("serial") == serial]
    assert types(a) == ["certificate.issued", "certificate.revoked"]
    assert types(b) == ["certificate.issued", "certificate.held", "certificate.released",
                        "certificate.held"]  # the last: held by the suspension
    assert types(c) == ["certificate.issued", "certificate.held"]
    revoked = next(d for d in docs if d["type"] == "certificate.revoked")
    assert revoked["data"]["reason"] == "keyCompromise" and revoked["data"]["revoked_at"]
    status = [d["data"] for d in docs if d["type"] == "member.status_changed"]
    assert {"member_id": m["id"], "from": "active", "to": "suspended"} in status
    crls = [d["data"] for d in docs if d["type"] == "crl.published"]
    assert crls and all(x["url"] == f"{notify_server.public}/crl/{x['ca']}.crl" for x in crls)
    numbers = [x["crl_number"] for x in crls if x["ca"] == "issuing"]
    assert numbers == sorted(numbers)
    # the log shows the failures and the final success
    items = api.get(f"/api/v1/webhooks/{hook['id']}/deliveries",
                    params={"limit": 200}).json()["items"]
    assert all(n["status"] == "sent" for n in items)
    retried = [n for n in items if n["attempts"] > 1]
    assert retried and all(n["log"][-1]["ok"] and n["log"][-1]["http_status"] == 204
                           and not n["log"][0]["ok"] for n in retried)
    rec.stop()


def test_an_endpoint_that_never_answers_ends_dead(notify_server, api):
    h = register(api, "http://127.0.0.1:9/never", ["crl.published"])
    ca = "issuing"
    assert api.post(f"/api/v1/cas/{ca}/crl").status_code in (200, 201, 202)
    def dead():
        r = api.get("/api/v1/notifications", params={"status": "dead", "channel": "webhook"})
        return [n for n in r.json()["items"] if n["webhook_id"] == h["id"]]
    got, _ = wait_for(dead, timeout=40, step=0.5)
    assert got, api.get(f"/api/v1/webhooks/{h['id']}/deliveries").json()
    assert got[0]["attempts"] == 12 and len(got[0]["log"]) == 12
    assert got[0]["last_error"]
    listed = {x["id"]: x for x in api.get("/api/v1/webhooks").json()["items"]}
    assert listed[h["id"]]["dead"] >= 1
    def scraped():
        text = api.get("/metrics").text
        return 'troth_notifications_dead{channel="webhook"} 0' not in text and \
            'troth_notifications_dead{channel="webhook"}' in text
    assert wait_for(scraped, timeout=15, step=0.5)[0]
    problem(api.get("/api/v1/notifications", params={"status": "lost"}), 400)

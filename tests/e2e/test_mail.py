"""E-mail through libcurl SMTP to a real SMTP server (Debian's
python3-aiosmtpd): expiry notices to a member's contacts, not for a
certificate that was renewed, and operator alerts (a broken audit chain).
The scan runs when serve starts (scan_seconds is long here), so the test
sets the community up, restarts serve, and reads the mailbox."""
import time

import pytest

from harness import Server
from notify_util import Mailbox
from pki_util import Community, csr_pem, ec_key, uniq, wait_for


@pytest.fixture(scope="module")
def mailbox():
    box = Mailbox()
    yield box
    box.stop()


@pytest.fixture(scope="module")
def mail_server(cluster, mailbox):
    db = cluster.new_db("mail")
    s = Server(cluster, db=db, extra={
        "notify": {"smtp_url": mailbox.url, "from": "troth@ca.example.org",
                   "operator_email": "ops@ca.example.org", "scan_seconds": "3600",
                   "ui_url": "https://troth.example.org", "retry_base_ms": "200",
                   "retry_max_seconds": "1"},
        # 5-day certificates: within the 7-day threshold at once
        "profiles": {"udap_client_days": "5"}})
    s.migrate()
    s.init()
    s.start()
    yield s
    s.stop()


def body_parts(msg):
    parts = {p.get_content_type(): p.get_content() for p in msg.walk()
             if p.get_content_maintype() == "text"}
    return parts.get("text/plain", ""), parts.get("text/html", "")


def test_expiry_notices_and_operator_alert(mail_server, mailbox, cluster):
    api = mail_server.token("admin")
    com = Community(mail_server, api)
    r = api.post("/api/v1/members", json={
        "name": "Mail Clinic", "organization_id": f"https://{uniq('mail')}.example/",
        "contacts": [{"email": "alice@clinic.example", "name": "Alice"},
                     {"email": "bob@clinic.example", "name": "Bob"}]})
    assert r.status_code == 201, r.text
    m = r.json()
    assert api.post(f"/api/v1/members/{m['id']}/activate").status_code == 200
    uri = f"https://{uniq('app')}.clinic.example/client"
    com.add_uri(m["id"], uri, "client")
    r = com.issue(api, m["id"], "udap-client", ec_key(), [uri])
    assert r.status_code == 201, r.text
    expiring = r.json()
    r = com.issue(api, m["id"], "udap-client", ec_key(), [uri])
    assert r.status_code == 201, r.text
    renewed = r.json()["serial"]
    r = api.post(f"/api/v1/certificates/{renewed}/renew", json={"csr": csr_pem(ec_key())})
    assert r.status_code == 201, r.text
    successor = r.json()["serial"]
    # tamper with the sealed audit chain as a superuser would
    ok, _ = wait_for(lambda: cluster.psql(
        "SELECT count(*) FROM audit_events WHERE chain_seq IS NULL",
        db=mail_server.db) == "0", timeout=10)
    assert ok
    cluster.psql("SET session_replication_role = replica; "
                 "UPDATE audit_events SET actor = 'mallory' WHERE chain_seq = 1",
                 db=mail_server.db, admin=True)
    before = len(mailbox.messages)
    mail_server.stop()
    mail_server.start()  # the scan runs at start

    def mails():
        msgs = list(mailbox.messages[before:])
        expiry = [x for x in msgs if expiring["serial"] in x["Subject"]]
        alert = [x for x in msgs if "audit chain" in x["Subject"]]
        return (expiry, alert, msgs) if expiry and alert else None
    got, _ = wait_for(mails, timeout=30, step=0.3)
    assert got, [x["Subject"] for x in mailbox.messages]
    expiry, alert, msgs = got
    # the notice: to both contacts, with serial, URI, notAfter, renew link
    assert len(expiry) == 1
    e = expiry[0]
    assert sorted(e.rcpt) == ["alice@clinic.example", "bob@clinic.example"]
    assert e.mail_from == "troth@ca.example.org"
    assert "within 7 days" in e["Subject"]
    text, html = body_parts(e)
    assert expiring["serial"] in text and uri in text
    assert expiring["not_after"] in text
    link = f"https://troth.example.org/#/certificates/{expiring['serial']}"
    assert link in text and f'href="{link}"' in html
    assert expiring["serial"] in html
    # the renewed one gets none; its successor (also 5 days) does
    assert not [x for x in msgs if renewed in x["Subject"]]
    assert [x for x in msgs if successor in x["Subject"]]
    # the operator alert names the broken event
    a = alert[0]
    assert a.rcpt == ["ops@ca.example.org"]
    assert "[troth]" in a["Subject"]
    assert "broken" in body_parts(a)[0]
    sent = cluster.psql("SELECT count(*) FROM outbox WHERE channel = 'email' "
                        "AND status = 'sent'", db=mail_server.db)
    assert int(sent) == len([x for x in msgs if x["Subject"]])
    # a second start sends nothing again for the same thresholds
    n = len(mailbox.messages)
    mail_server.stop()
    mail_server.start()
    time.sleep(2)  # what a duplicate would need to arrive (no assertion on time)
    assert len(mailbox.messages) == n, [x["Subject"] for x in mailbox.messages[n:]]

"""GET /api/v1/stats (issue 14 §4): true numbers over every row, checked
against independent counts (SQL written here, and the listing API's total),
holds apart from revocations, weeks starting Monday UTC."""
import datetime

from cryptography.hazmat.primitives.asymmetric import ec

from harness import problem
from pki_util import csr_pem
from test_members import make_user, new_member, uniq


def sql_count(cluster, where):
    return int(cluster.psql(f"SELECT count(*) FROM certificates WHERE {where}"))


def test_stats_are_true(server, cluster):
    op = make_user(server, "operator")
    m = new_member(op)
    uri = f"https://{uniq('app')}.example/"
    assert op.post(f"/api/v1/members/{m['id']}/uris", {"uri": uri, "kind": "client"}).status_code == 201
    assert op.post(f"/api/v1/members/{m['id']}/activate").status_code == 200
    serials = []
    for _ in range(4):
        r = op.post("/api/v1/certificates", {"member_id": m["id"], "profile": "udap-client", "uris": [uri],
                                            "csr": csr_pem(ec.generate_private_key(ec.SECP256R1()))})
        assert r.status_code == 201, r.text
        serials.append(r.json()["serial"])
    before = op.get("/api/v1/stats").json()
    assert op.post(f"/api/v1/certificates/{serials[0]}/revoke", {"reason": "keyCompromise"}).status_code == 200
    assert op.post(f"/api/v1/certificates/{serials[1]}/revoke", {"reason": "certificateHold"}).status_code == 200
    cluster.psql(f"UPDATE certificates SET not_after = now() + interval '5 days' WHERE serial = '{serials[2]}'")
    s = op.get("/api/v1/stats").json()
    c = s["certificates"]
    # a hold is not a revocation
    assert c["revoked"] == before["certificates"]["revoked"] + 1
    assert c["on_hold"] == before["certificates"]["on_hold"] + 1
    # against SQL written here
    assert c["revoked"] == sql_count(cluster, "status = 'revoked'")
    assert c["on_hold"] == sql_count(cluster, "status = 'on_hold'")
    assert c["valid"] == sql_count(cluster, "status = 'valid' AND not_after > now()")
    assert c["expired"] == sql_count(cluster, "status = 'valid' AND not_after <= now()")
    assert c["total"] == sql_count(cluster, "true") == sum(c[k] for k in ("valid", "expired", "on_hold", "revoked"))
    # against the listing API's totals
    for st in ("revoked", "on_hold"):
        assert op.get("/api/v1/certificates", params={"status": st, "limit": 1}).json()["total"] == c[st]
    e = s["expiring"]
    assert e["within_7_days"] >= 1
    assert e["within_7_days"] == sql_count(cluster, "status = 'valid' AND not_after > now() AND not_after <= now() + interval '7 days'")
    assert e["within_7_days"] <= e["within_30_days"] <= e["within_90_days"] <= c["valid"]
    # by profile adds up
    for k in ("valid", "expired", "on_hold", "revoked"):
        assert sum(p[k] for p in s["by_profile"]) == c[k]
    udap = next(p for p in s["by_profile"] if p["profile"] == "udap-client")
    assert udap["revoked"] == sql_count(cluster, "status = 'revoked' AND profile = 'udap-client'")
    # members
    for st in ("pending", "active", "suspended", "terminated"):
        assert s["members"][st] == int(cluster.psql(f"SELECT count(*) FROM members WHERE status = '{st}'"))
    # 12 weeks, Mondays, the last holding today; this week's counts include ours
    weeks = s["weeks"]
    assert len(weeks) == 12
    days = [datetime.date.fromisoformat(w["week"]) for w in weeks]
    assert all(d.weekday() == 0 for d in days)
    assert all((b - a).days == 7 for a, b in zip(days, days[1:]))
    today = datetime.datetime.now(datetime.timezone.utc).date()
    assert days[-1] <= today < days[-1] + datetime.timedelta(days=7)
    this = weeks[-1]
    start = days[-1].isoformat()
    assert this["issued"] == sql_count(cluster, f"created_at AT TIME ZONE 'UTC' >= '{start}'")
    assert this["revoked"] == sql_count(cluster, f"status = 'revoked' AND revoked_at AT TIME ZONE 'UTC' >= '{start}'")
    assert this["held"] == sql_count(cluster, f"status = 'on_hold' AND revoked_at AT TIME ZONE 'UTC' >= '{start}'")
    assert this["issued"] >= 4 and this["revoked"] >= 1 and this["held"] >= 1


def test_stats_are_for_staff(server):
    op = make_user(server, "operator")
    m = new_member(op)
    assert op.post(f"/api/v1/members/{m['id']}/activate").status_code == 200
    problem(make_user(server, "member", member=m["id"]).get("/api/v1/stats"), 403)
    assert make_user(server, "auditor").get("/api/v1/stats").status_code == 200

"""GET /api/v1/stats (issue 14 §4): true numbers over every row, checked
against independent counts (SQL written here, and the listing API's total),
holds apart from revocations, weeks starting Monday UTC."""
import datetime
import time

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


def _issue(op, m, uri, profile="udap-client"):
    r = op.post("/api/v1/certificates", {"member_id": m["id"], "profile": profile, "uris": [uri],
                                        "csr": csr_pem(ec.generate_private_key(ec.SECP256R1()))})
    assert r.status_code == 201, r.text
    return r.json()["serial"]


def test_expiry_timeline_counts_rows_by_week_profile_and_renewal(server, cluster):
    """The timeline (the community's in /stats, one member's at
    /members/{id}/expiry-timeline) against rows made here: notAfter moved
    into chosen weeks by SQL, one renewed, one revoked, one expired; and each
    bar's filter (expires_from / expires_before / profile / renewed) lists
    exactly the certificates the bar counts."""
    op = make_user(server, "operator")
    m = new_member(op)
    uri = f"https://{uniq('tl')}.example/"
    assert op.post(f"/api/v1/members/{m['id']}/uris", {"uri": uri, "kind": "client"}).status_code == 201
    assert op.post(f"/api/v1/members/{m['id']}/activate").status_code == 200
    s = [_issue(op, m, uri) for _ in range(6)]
    monday = datetime.date.fromisoformat(cluster.psql(
        "SELECT to_char(date_trunc('week', now() AT TIME ZONE 'UTC'), 'YYYY-MM-DD')"))

    def put(serial, week, hour=12):  # notAfter into week `week` (0 = this one), after now
        day = monday + datetime.timedelta(weeks=week, days=3)
        cluster.psql(f"UPDATE certificates SET not_after = GREATEST('{day} {hour}:00:00+00'::timestamptz, "
                     f"now() + interval '1 hour') WHERE serial = '{serial}'")
    put(s[0], 2)
    put(s[1], 2)
    put(s[2], 5)
    put(s[3], 5)   # revoked below: not counted
    put(s[4], 12)  # the last week shown
    cluster.psql(f"UPDATE certificates SET not_after = now() - interval '1 day' WHERE serial = '{s[5]}'")
    assert op.post(f"/api/v1/certificates/{s[3]}/revoke", {"reason": "superseded"}).status_code == 200
    # s[1] is renewed: its successor expires later, in the default validity (outside 13 weeks or not)
    r = op.post(f"/api/v1/certificates/{s[1]}/renew", {"csr": csr_pem(ec.generate_private_key(ec.SECP256R1()))})
    assert r.status_code == 201, r.text
    renewal = r.json()["serial"]
    cluster.psql(f"UPDATE certificates SET not_after = now() + interval '400 days' WHERE serial = '{renewal}'")

    mine = op.get(f"/api/v1/members/{m['id']}/expiry-timeline").json()
    weeks = mine["weeks"]
    assert len(weeks) == 13
    days = [datetime.date.fromisoformat(w["week"]) for w in weeks]
    assert days[0] == monday and all((b - a).days == 7 for a, b in zip(days, days[1:]))
    got = {i: (w["total"], w["renewed"], w["not_renewed"]) for i, w in enumerate(weeks) if w["total"]}
    assert got == {2: (2, 1, 1), 5: (1, 0, 1), 12: (1, 0, 1)}, got
    assert mine["profiles"] == ["udap-client"]
    assert weeks[2]["by_profile"] == [{"profile": "udap-client", "renewed": 1, "not_renewed": 1}]

    # each bar's filter lists exactly what it counts
    def listed(**f):
        out = op.get("/api/v1/certificates", params={"member_id": m["id"], "status": "valid", **f}).json()
        return sorted(c["serial"] for c in out["items"]), out["total"]
    wk = lambda i: {"expires_from": days[i].isoformat(), "expires_before": (days[i] + datetime.timedelta(weeks=1)).isoformat()}
    assert listed(**wk(2), profile="udap-client", renewed="true") == ([s[1]], 1)
    assert listed(**wk(2), profile="udap-client", renewed="false") == ([s[0]], 1)
    assert listed(**wk(5), renewed="false") == ([s[2]], 1)
    assert listed(**wk(12)) == ([s[4]], 1)

    # the community's timeline: against SQL written here, every week
    all_weeks = op.get("/api/v1/stats").json()["expiry_timeline"]["weeks"]
    assert [w["week"] for w in all_weeks] == [w["week"] for w in weeks]
    for w in all_weeks:
        lo, hi = w["week"], (datetime.date.fromisoformat(w["week"]) + datetime.timedelta(weeks=1)).isoformat()
        where = (f"status = 'valid' AND not_after > now() AND not_after >= '{lo}T00:00:00Z' "
                 f"AND not_after < '{hi}T00:00:00Z'")
        ren = (" AND EXISTS (SELECT 1 FROM certificates n WHERE n.renewed_from = certificates.serial "
               "AND n.status <> 'revoked')")
        assert w["total"] == sql_count(cluster, where)
        assert w["renewed"] == sql_count(cluster, where + ren)
        assert w["total"] == w["renewed"] + w["not_renewed"] == sum(p["renewed"] + p["not_renewed"] for p in w["by_profile"])


def test_expiry_timeline_is_the_members_own(server):
    op = make_user(server, "operator")
    a, b = new_member(op), new_member(op)
    for x in (a, b):
        assert op.post(f"/api/v1/members/{x['id']}/activate").status_code == 200
    ua = make_user(server, "member", member=a["id"])
    assert ua.get(f"/api/v1/members/{a['id']}/expiry-timeline").status_code == 200
    problem(ua.get(f"/api/v1/members/{b['id']}/expiry-timeline"), 404, "member-not-found")
    problem(op.get("/api/v1/members/999999999/expiry-timeline"), 404, "member-not-found")


def test_certificate_list_date_filters_are_checked(server):
    op = make_user(server, "operator")
    for k, v in (("expires_from", "2026-02-30"), ("expires_from", "2026-1-01"), ("expires_before", "tomorrow"),
                 ("expires_before", "1969-12-31"), ("renewed", "yes")):
        p = problem(op.get("/api/v1/certificates", params={k: v}), 400, "invalid-field")
        assert p["field"] == k, p


def test_crl_freshness_per_ca(server, cluster):
    """Each CA's latest CRL as the crls table has it (number, times, entries,
    DER size); the refresh point thisUpdate + crl_refresh_hours; the latest
    revocation and the first CRL dated at or after it."""
    op = make_user(server, "operator")
    m = new_member(op)
    uri = f"https://{uniq('crl')}.example/"
    assert op.post(f"/api/v1/members/{m['id']}/uris", {"uri": uri, "kind": "client"}).status_code == 201
    assert op.post(f"/api/v1/members/{m['id']}/activate").status_code == 200
    serial = _issue(op, m, uri)
    assert op.post(f"/api/v1/certificates/{serial}/revoke", {"reason": "keyCompromise"}).status_code == 200
    ca = cluster.psql(f"SELECT ca_id FROM certificates WHERE serial = '{serial}'")
    deadline = time.monotonic() + 30
    while True:  # the CRL worker publishes within seconds of a revocation
        row = next(c for c in op.get("/api/v1/stats").json()["crls"] if c["ca_id"] == ca)
        if row["last_revocation_crl_number"] is not None or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    latest = cluster.psql(f"SELECT crl_number, entries, octet_length(der), "
                          f"to_char(this_update AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
                          f"to_char(next_update AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') "
                          f"FROM crls WHERE ca_id = '{ca}' AND crl_number = {row['crl_number']}").split("|")
    newest = int(cluster.psql(f"SELECT max(crl_number) FROM crls WHERE ca_id = '{ca}'"))
    assert row["crl_number"] <= newest
    assert [str(row["crl_number"]), str(row["entries"]), str(row["size_bytes"]), row["this_update"], row["next_update"]] == latest
    der = cluster.psql(f"SELECT encode(der, 'hex') FROM crls WHERE ca_id = '{ca}' AND crl_number = {row['crl_number']}")
    assert len(bytes.fromhex(der)) == row["size_bytes"]
    tu = datetime.datetime.fromisoformat(row["this_update"].replace("Z", "+00:00"))
    assert row["refresh_at"] == (tu + datetime.timedelta(hours=12)).strftime("%Y-%m-%dT%H:%M:%SZ")
    revoked_at = cluster.psql(f"SELECT to_char(max(revoked_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') "
                              f"FROM certificates WHERE ca_id = '{ca}' AND status <> 'valid'")
    assert row["last_revocation_at"] == revoked_at
    assert row["last_revocation_crl_number"] is not None, row
    first = cluster.psql(f"SELECT crl_number, extract(epoch FROM this_update - '{revoked_at}'::timestamptz)::bigint "
                         f"FROM crls WHERE ca_id = '{ca}' AND this_update >= '{revoked_at}' ORDER BY crl_number LIMIT 1").split("|")
    assert [row["last_revocation_crl_number"], row["last_revocation_latency_seconds"]] == [int(first[0]), int(first[1])]
    assert 0 <= row["last_revocation_latency_seconds"] < 30

"""GET /sla/at-risk: the dispatcher's list of promises at risk, on the app's clock."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from dispatch.escalation import at_risk
from tests.api.conftest import Api
from tests.api.plans_helper import make_plan

CST = timezone(timedelta(hours=8))


def test_at_risk_lists_breached_first_with_reasons(api: Api) -> None:
    make_plan(api, publish_it=True)
    late = datetime(2026, 11, 24, 16, 0, tzinfo=CST)
    api.client.app.state.clock = lambda: late  # type: ignore[attr-defined]
    r = api.get("/sla/at-risk", params={"territory": "GZ", "threshold_minutes": 90})
    assert r.status_code == 200, r.text
    listed = r.json()
    with api.sessions() as s:
        expected = at_risk(s, late, territory="GZ", threshold=timedelta(minutes=90))
    assert [a["job"] for a in listed] == [a.job for a in expected] and listed
    levels = [a["level"] for a in listed]
    assert levels == sorted(levels, reverse=True) and 2 in levels  # breached first
    for a in listed:  # the rule, checked from the listed facts themselves
        deadline = datetime.fromisoformat(a["deadline"])
        if a["level"] == 2:
            assert deadline < late and a["reason"] == "breached"
        elif a["reason"] == "eta_after_deadline":
            assert datetime.fromisoformat(a["eta"]) > deadline
        else:
            assert a["eta"] is None and deadline - late <= timedelta(minutes=90)
    assert all(a["reason"] in ("breached", "eta_after_deadline", "unplanned_near_deadline") for a in listed)
    assert api.get("/sla/at-risk", params={"threshold_minutes": -1}).status_code == 422
    assert api.get("/sla/at-risk", who="agent").status_code == 403


def test_kpis_and_the_follow_up_survey_through_the_api(api: Api) -> None:
    from dispatch.kpi import kpis

    now = datetime(2026, 11, 24, 20, 0, tzinfo=CST)
    api.client.app.state.clock = lambda: now  # type: ignore[attr-defined]
    r = api.get("/kpis", params={"start": "2026-11-23", "end": "2026-11-24", "territory": "SZ"})
    assert r.status_code == 200, r.text
    with api.sessions() as s:
        expected = kpis(s, date(2026, 11, 23), date(2026, 11, 24), territory="SZ", now=now).as_dict()
    assert r.json() == {k: (v.isoformat() if isinstance(v, date) else v) for k, v in expected.items()}
    assert r.json()["jobs"] == 80  # every Shenzhen demo job was reported on those two days
    r = api.get("/kpis", params={"start": "2026-11-24", "end": "2026-11-23"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["end"]
    r = api.post("/jobs/J00001/survey", who="agent", json={"csat": 4, "nps": 9})
    assert r.status_code == 409 and "once it is over" in r.text
    assert api.post("/jobs/J00001/survey", who="agent", json={"csat": 6, "nps": 9}).status_code == 422

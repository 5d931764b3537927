"""GET /sla/at-risk: the dispatcher's list of promises at risk, on the app's clock."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from sqlalchemy import select

from dispatch import models as m
from dispatch.db import transaction
from dispatch.escalation import REASONS, Promise, at_risk
from dispatch.lifecycle import transition
from tests.api.conftest import Api
from tests.api.plans_helper import make_plan

CST = timezone(timedelta(hours=8))
S = m.JobStatus


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
    assert {a["kind"] for a in listed} == {"response", "resolution"}  # no job is incomplete
    for a in listed:  # the rule, checked from the listed facts themselves
        deadline = datetime.fromisoformat(a["deadline"])
        assert a["reason"] in REASONS[Promise(a["kind"])] and a["kind"] in a["detail"]
        if a["level"] == 2:
            assert deadline < late and a["reason"] == "breached"
        elif a["reason"] == "eta_after_deadline":
            assert datetime.fromisoformat(a["eta"]) > deadline
        elif a["reason"] == "end_after_deadline":
            assert datetime.fromisoformat(a["planned_end"]) > deadline
        else:
            assert a["eta"] is None and a["reason"] == "unplanned_near_deadline"
            assert deadline - late <= timedelta(minutes=90 + 120)  # the threshold, plus the work (<= 2 h)
    r = api.get("/sla/at-risk", params={"territory": "GZ", "threshold_minutes": 90, "kind": "response"})
    assert r.json() == [a for a in listed if a["kind"] == "response"]
    assert api.get("/sla/at-risk", params={"threshold_minutes": -1}).status_code == 422
    assert api.get("/sla/at-risk", params={"kind": "parts"}).status_code == 422
    assert api.get("/sla/at-risk", who="agent").status_code == 403


def test_an_unknown_territory_is_404_not_an_empty_list(api: Api) -> None:
    """Like every other route: an empty list would tell the dispatcher all is well there."""
    r = api.get("/sla/at-risk", params={"territory": "XX"})
    assert r.status_code == 404 and r.json()["detail"][0]["loc"] == ["territory"], r.text
    assert "'XX'" in r.json()["detail"][0]["msg"]
    assert api.get("/sla/at-risk", params={"territory": "GZ"}).status_code == 200


def test_an_incomplete_job_is_listed_until_its_return_visit_is_planned(api: Api) -> None:
    """Before, the list knew only response deadlines: a job back to new after an incomplete
    visit showed as a breached response ("nobody is on site") and never as waiting."""
    with transaction(api.sessions) as s:
        job = s.scalars(select(m.Job).where(m.Job.code == "J00001")).one()
        job.response_deadline, job.resolution_deadline = datetime(2026, 11, 24, 12, tzinfo=CST), None
        for step in (S.SCHEDULED, S.DISPATCHED, S.EN_ROUTE, S.ON_SITE):
            transition(s, job, step, actor="t", at=datetime(2026, 11, 24, 9, tzinfo=CST))
        transition(
            s, job, S.INCOMPLETE, actor="t", reason="no_access", at=datetime(2026, 11, 24, 10, tzinfo=CST)
        )
        transition(s, job, S.NEW, actor="t", at=datetime(2026, 11, 24, 10, 30, tzinfo=CST))
    api.client.app.state.clock = lambda: datetime(2026, 11, 24, 13, tzinfo=CST)  # type: ignore[attr-defined]
    r = api.get("/sla/at-risk", params={"territory": "GZ", "kind": "return_visit"})
    assert r.status_code == 200, r.text
    assert [(a["job"], a["level"], a["reason"], a["status"]) for a in r.json()] == [
        ("J00001", 1, "no_return_visit", "new")
    ]
    assert r.json()[0]["detail"] == "incomplete 3 h ago (no access) and no return visit planned"
    everything = api.get("/sla/at-risk", params={"territory": "GZ"}).json()
    assert [a["kind"] for a in everything if a["job"] == "J00001"] == ["return_visit"]  # response kept
    r = api.get(
        "/sla/at-risk", params={"territory": "GZ", "kind": "return_visit", "return_wait_minutes": 120}
    )
    assert [(a["level"], a["reason"], a["minutes"]) for a in r.json()] == [(2, "waited_too_long", 60)]
    with transaction(api.sessions) as s:  # a draft visits it again, at 15:00
        shift = s.scalars(select(m.Shift).join(m.Engineer).where(m.Engineer.code == "E001")).first()
        assert shift is not None
        at = datetime(2026, 11, 24, 15, tzinfo=CST)
        territory = s.get_one(m.Site, job.site_id).territory_id
        plan = m.Plan(territory_id=territory, day=shift.day, status=m.PlanStatus.DRAFT)
        route = m.Route(
            shift_id=shift.id, engineer_id=shift.engineer_id, start=at, end=at, travel_seconds=0, distance_m=0
        )
        end = at + timedelta(minutes=job.duration_minutes)
        route.visits.append(m.Visit(seq=1, kind="job", job_id=job.id, arrival=at, start=at, end=end))
        plan.routes.append(route)
        s.add(plan)
    r = api.get(
        "/sla/at-risk", params={"territory": "GZ", "kind": "return_visit", "return_wait_minutes": 120}
    )
    assert r.status_code == 200 and r.json() == []


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

"""The engineer's phone: the day's route from the published plan, status steps on their own
jobs only, and the visit report with first-time-fix (completed on the first on-site visit).

Steps and reports are for today's route (or a visit under way), on the app's clock: tests that
take them pin it to the demo day, Tuesday 2026-11-24 in Guangzhou."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, event, select

from dispatch import engineer_day
from dispatch import models as m
from dispatch.db import transaction
from dispatch.lifecycle import transition
from dispatch.plan_export import plan_document
from dispatch.users import create_user
from tests.api.conftest import ENGINEER, OTHER_ENGINEER, Api
from tests.api.plans_helper import CST, DAY, make_plan

MORNING = datetime(2026, 11, 24, 8, 30, tzinfo=CST)  # the demo day, before anyone sets off


def at(api: Api, now: datetime) -> None:
    api.client.app.state.clock = lambda: now  # type: ignore[attr-defined]


def _owner(api: Api, plan_id: int) -> tuple[str, str, list[str]]:
    """(token key, engineer code, job codes in order) of an engineer with at least two visits:
    the conftest engineer E001 if the solver gave them two, else one it did (given a user)."""
    with api.sessions() as s:
        doc = plan_document(s, plan_id)
    routes = {r["engineer"]: [v["job"] for v in r["visits"] if v["job"]] for r in doc["routes"]}
    if len(routes.get(ENGINEER, [])) >= 2:
        return "engineer", ENGINEER, routes[ENGINEER]
    code = max((c for c in routes if c != OTHER_ENGINEER), key=lambda c: len(routes[c]))
    assert len(routes[code]) >= 2, routes
    with transaction(api.sessions) as s:
        api.tokens["planned"] = create_user(s, "planned-engineer", "engineer", code)[1]
    return "planned", code, routes[code]


@contextmanager
def _queries(engine: Engine) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_route_is_the_days_visits_in_order_with_contacts_and_parts(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan_id = make_plan(api, publish_it=True, dispatch_now=True)
    who, code, jobs = _owner(api, plan_id)
    with transaction(api.sessions) as s:
        engineer = s.scalars(select(m.Engineer).where(m.Engineer.code == code)).one()
        van = s.scalars(
            select(m.Stock).where(m.Stock.engineer_id == engineer.id, m.Stock.quantity > m.Stock.reserved)
        ).first()
        assert van is not None, f"{code} has an empty van in the demo data"
        depot_ids = set(s.scalars(select(m.Depot.id).where(m.Depot.territory_id == engineer.territory_id)))
        van_parts = set(s.scalars(select(m.Stock.part_id).where(m.Stock.engineer_id == engineer.id)))
        depot_stock = s.scalars(
            select(m.Stock).where(m.Stock.depot_id.in_(depot_ids), m.Stock.quantity > m.Stock.reserved)
        ).all()
        elsewhere = next(st for st in depot_stock if st.part_id not in van_parts)
        holders = {
            s.get_one(m.Depot, st.depot_id).code
            for st in depot_stock
            if st.part_id == elsewhere.part_id and st.depot_id is not None
        }
        first = s.scalars(select(m.Job).where(m.Job.code == jobs[0])).one()
        first.parts = [
            m.JobPart(part_id=van.part_id, quantity=1),
            m.JobPart(part_id=elsewhere.part_id, quantity=1),
        ]
        van_sku = s.get_one(m.Part, van.part_id).sku
        depot_sku = s.get_one(m.Part, elsewhere.part_id).sku
        shift = s.scalars(select(m.Shift).where(m.Shift.engineer_id == engineer.id, m.Shift.day == DAY)).one()
        shift_start, shift_end = shift.start, shift.end

    with _queries(api.client.app.state.engine) as statements:  # type: ignore[attr-defined]
        r = api.get(f"/me/route?date={DAY.isoformat()}", who=who)
    assert r.status_code == 200, r.text
    # A fixed handful of queries (auth included), none repeated per visit or per part.
    assert len(statements) <= 16 and len(set(statements)) == len(statements), statements
    day = r.json()
    assert day["engineer"] == code and day["plan_id"] == plan_id and day["timezone"] == "Asia/Shanghai"
    assert [v["job"] for v in day["visits"]] == jobs
    seqs = [v["seq"] for v in day["visits"]]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    parse = datetime.fromisoformat
    assert parse(day["shift_start"]) == shift_start and parse(day["shift_end"]) == shift_end
    previous_end = parse(day["shift_start"])
    for v in day["visits"]:
        assert previous_end <= parse(v["eta"]) <= parse(v["start"]) < parse(v["end"])
        previous_end = parse(v["end"])
        assert v["status"] == "dispatched" and v["address"] and v["customer_name"] and v["customer_phone"]
        assert -90 <= v["lat"] <= 90 and v["skills"] and v["duration_minutes"] > 0
    assert previous_end <= parse(day["shift_end"])
    lunch = day["lunch"]
    assert lunch is not None and parse(lunch["end"]) > parse(lunch["start"])
    assert lunch["seq"] not in seqs
    assert day["summary"]["visits"] == len(jobs) and day["summary"]["travel_minutes"] > 0
    parts = {p["sku"]: p for p in day["visits"][0]["parts"]}
    assert parts[van_sku]["on_van"] is True and parts[van_sku]["depots"] == []
    assert parts[depot_sku]["on_van"] is False
    assert {d["code"] for d in parts[depot_sku]["depots"]} == holders
    assert all(d["address"] and d["available"] >= 1 for d in parts[depot_sku]["depots"])

    # The default day is today where the engineer works.
    monkeypatch.setattr(engineer_day, "utcnow", lambda: datetime(2026, 11, 23, 17, 30, tzinfo=UTC))
    assert api.get("/me/route", who=who).json()["date"] == DAY.isoformat()  # 01:30 in Guangzhou
    r = api.get("/me/route?date=2026-11-25", who=who)
    assert r.status_code == 404 and r.json()["detail"][0]["loc"] == ["date"]
    assert api.get(f"/me/route?date={DAY.isoformat()}", who="dispatcher").status_code == 403


def test_a_draft_plan_is_not_the_engineers_route(api: Api) -> None:
    make_plan(api)
    r = api.get(f"/me/route?date={DAY.isoformat()}", who="engineer")
    assert r.status_code == 404 and r.json()["detail"][0]["loc"] == ["date"]


def _report(api: Api, who: str, code: str, **body: Any) -> Any:
    return api.post(f"/me/jobs/{code}/report", who=who, json=body)


def _step(api: Api, who: str, code: str, status: str) -> Any:
    return api.post(f"/me/jobs/{code}/status", who=who, json={"status": status})


def test_visits_step_through_the_lifecycle_and_end_with_a_report(api: Api) -> None:
    plan_id = make_plan(api, publish_it=True, dispatch_now=True)
    at(api, MORNING)
    who, code, jobs = _owner(api, plan_id)
    other = "engineer2" if code != OTHER_ENGINEER else "engineer"
    fixed, revisited = jobs[0], jobs[1]

    # Only the job's own engineer sees it: anyone else gets 404, not 403.
    r = _step(api, other, fixed, "en_route")
    assert r.status_code == 404 and r.json()["detail"][0]["loc"] == ["job"]
    assert _report(api, other, fixed, outcome="completed", signed_by="x").status_code == 404
    assert _step(api, who, "J-NOPE", "en_route").status_code == 404
    # The lifecycle decides what is legal; completion is not a status step.
    r = _step(api, who, fixed, "on_site")
    assert r.status_code == 409 and "cannot go from dispatched to on_site" in r.text
    r = _step(api, who, fixed, "completed")
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "status"

    r = _step(api, who, fixed, "en_route")
    assert r.status_code == 200 and r.json()["status"] == "en_route"
    assert _report(api, who, fixed, outcome="completed", signed_by="Chen").status_code == 409
    assert _step(api, who, fixed, "on_site").json()["status"] == "on_site"

    for body, field in (
        ({"outcome": "completed"}, ["signed_by"]),
        ({"outcome": "incomplete"}, ["reason"]),
        ({"outcome": "incomplete", "reason": "bored"}, ["reason"]),
        ({"outcome": "completed", "signed_by": "Chen", "reason": "no_access"}, ["reason"]),
        (
            {"outcome": "completed", "signed_by": "Chen", "parts_used": {"NOPE-1": 1}},
            ["parts_used", "NOPE-1"],
        ),
        ({"outcome": "completed", "signed_by": "Chen", "minutes_on_site": -5}, ["body", "minutes_on_site"]),
        ({"outcome": "cancelled", "signed_by": "Chen"}, ["body", "outcome"]),
    ):
        r = _report(api, who, fixed, **body)
        assert r.status_code == 422 and r.json()["detail"][0]["loc"] == field, (body, r.text)

    # A part the van does not hold cannot be reported used: stock never goes below zero.
    assert api.put(f"/engineers/{code}/stock/WH-VALVE", json={"quantity": 0}).status_code == 200
    r = _report(api, who, fixed, outcome="completed", parts_used={"WH-VALVE": 1}, signed_by="Chen")
    assert r.status_code == 409 and r.json()["detail"][0]["loc"] == ["parts_used", "WH-VALVE"]
    assert api.put(f"/engineers/{code}/stock/WH-VALVE", json={"quantity": 2}).status_code == 200
    r = _report(
        api,
        who,
        fixed,
        outcome="completed",
        work_done="replaced valve",
        parts_used={"WH-VALVE": 1},
        signed_by="Chen",
    )
    assert r.status_code == 200, r.text
    van = {row["sku"]: row for row in api.get(f"/engineers/{code}/stock").json()}
    assert van["WH-VALVE"]["quantity"] == 1  # consumed from the van
    report = r.json()
    assert report["status"] == "completed" and report["first_time_fix"] is True
    assert report["parts_used"] == {"WH-VALVE": 1} and report["minutes_on_site"] >= 0
    r = _report(api, who, fixed, outcome="completed", signed_by="Chen")
    assert r.status_code == 409  # one final report per job

    # Needs a part: incomplete, then a second visit completes it, which is no first-time fix.
    for status in ("en_route", "on_site"):
        assert _step(api, who, revisited, status).status_code == 200
    r = _report(
        api,
        who,
        revisited,
        outcome="incomplete",
        reason="needs_part",
        work_done="diagnosed",
        minutes_on_site=25,
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "incomplete" and r.json()["first_time_fix"] is False
    assert r.json()["reason"] == "needs_part"
    for status in ("new", "scheduled", "dispatched"):
        assert api.post(f"/jobs/{revisited}/status", json={"status": status}).status_code == 200
    with transaction(api.sessions) as s:  # the next plan gives it back to the engineer
        job = s.scalars(select(m.Job).where(m.Job.code == revisited)).one()
        job.engineer_id = s.scalars(select(m.Engineer.id).where(m.Engineer.code == code)).one()
    for status in ("en_route", "on_site"):
        assert _step(api, who, revisited, status).status_code == 200
    r = _report(
        api, who, revisited, outcome="completed", work_done="fitted part", minutes_on_site=30, signed_by="Li"
    )
    assert r.status_code == 200, r.text
    second = r.json()
    assert second["status"] == "completed" and second["first_time_fix"] is False
    assert second["minutes_on_site"] == 55 and second["work_done"] == "diagnosed\n---\nfitted part"

    with api.sessions() as s:
        rows = {s.get_one(m.Job, r.job_id).code: r for r in s.scalars(select(m.ServiceReport))}
        assert set(rows) == {fixed, revisited}
        assert rows[fixed].parts_used == [{"sku": "WH-VALVE", "quantity": 1}]
        assert rows[fixed].signed_by == "Chen" and rows[fixed].first_time_fix
        assert rows[revisited].outcome is m.JobStatus.COMPLETED and not rows[revisited].first_time_fix
        job = s.scalars(select(m.Job).where(m.Job.code == fixed)).one()
        assert [e.to_status.value for e in job.events][-3:] == ["en_route", "on_site", "completed"]
        assert {e.actor for e in job.events[-3:]} == {
            f"engineer:{'engineer-1' if who == 'engineer' else 'planned-engineer'}"
        }


def test_setting_off_to_a_scheduled_job_records_the_dispatch_step(api: Api) -> None:
    plan_id = make_plan(api, publish_it=True, dispatch_now=False)
    at(api, MORNING)
    who, _engineer, codes = _owner(api, plan_id)
    code = codes[0]
    r = api.post(f"/me/jobs/{code}/status", who=who, json={"status": "en_route"})
    assert r.status_code == 200, r.text
    events = api.get(f"/jobs/{code}/events").json()
    assert [e["to_status"] for e in events][-3:] == ["scheduled", "dispatched", "en_route"]
    assert events[-2]["actor"].startswith("engineer:")


def test_only_todays_jobs_or_a_visit_under_way_are_stepped_and_reported(api: Api) -> None:
    """Tomorrow's job is refused (409 naming the field and the day it is planned for), today's
    is accepted, "today" being the territory's local date, and a visit under way at midnight
    carries on into the next day."""
    plan_id = make_plan(api, publish_it=True, dispatch_now=True)
    who, _code, jobs = _owner(api, plan_id)
    first, second = jobs[0], jobs[1]

    at(api, datetime(2026, 11, 23, 15, 0, tzinfo=CST))  # the day before: these jobs are tomorrow's
    for status in ("en_route", "on_site"):
        r = _step(api, who, first, status)
        assert r.status_code == 409 and r.json()["detail"][0]["loc"] == ["status"], r.text
        assert r.json()["detail"][0]["msg"].startswith(f"job {first} is planned for 2026-11-24;")
    r = _report(api, who, first, outcome="completed", signed_by="Chen")
    assert r.status_code == 409 and r.json()["detail"][0]["loc"] == ["job"], r.text
    assert "planned for 2026-11-24" in r.json()["detail"][0]["msg"]

    at(api, datetime(2026, 11, 23, 17, 30, tzinfo=UTC))  # 01:30 on the 24th in Guangzhou: today
    assert _step(api, who, first, "en_route").status_code == 200
    assert _step(api, who, first, "on_site").status_code == 200
    r = _report(api, who, first, outcome="completed", signed_by="Chen")
    assert r.status_code == 200, r.text

    at(api, datetime(2026, 11, 24, 23, 50, tzinfo=CST))  # a late visit, under way at midnight
    assert _step(api, who, second, "en_route").status_code == 200
    past_midnight = datetime(2026, 11, 25, 0, 20, tzinfo=CST)
    at(api, past_midnight)
    r = _step(api, who, second, "on_site")
    assert r.status_code == 200, r.text
    assert datetime.fromisoformat(r.json()["at"]) == past_midnight  # stamped on the app's clock
    at(api, datetime(2026, 11, 25, 1, 5, tzinfo=CST))
    r = _report(api, who, second, outcome="completed", signed_by="Li")
    assert r.status_code == 200 and r.json()["minutes_on_site"] == 45, r.text

    # The day after, what was not begun is yesterday's: refused, naming the day it was for.
    rest = jobs[2:]
    if rest:
        r = _step(api, who, rest[0], "en_route")
        assert r.status_code == 409 and "is planned for 2026-11-24" in r.text
    # A job of theirs on no published route at all: refused too.
    with transaction(api.sessions) as s:
        loose = s.scalars(select(m.Job).where(m.Job.status == m.JobStatus.NEW)).first()
        assert loose is not None
        loose.engineer_id = s.scalars(select(m.Job.engineer_id).where(m.Job.code == first)).one()
        for status in (m.JobStatus.SCHEDULED, m.JobStatus.DISPATCHED):
            transition(s, loose, status, actor="dispatcher:test")
        loose_code = loose.code
    at(api, MORNING)
    r = _step(api, who, loose_code, "en_route")
    assert r.status_code == 409 and "is not on your published route for today" in r.text
    with api.sessions() as s:
        events = s.scalars(select(m.JobEvent).join(m.Job).where(m.Job.code == first)).all()
        assert [e.to_status.value for e in events][-3:] == ["en_route", "on_site", "completed"]

"""Manual moves: a job goes to another engineer's route only if the independent checker accepts
the changed routes; the stored ETAs are the checker's schedule; stale views are refused."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import delete, select

from dispatch import models as m
from dispatch import plan_edits
from dispatch.db import transaction
from dispatch.lifecycle import transition
from dispatch.planning import publish
from solver import Reason, Unassigned, check
from tests.api.conftest import Api
from tests.api.plans_helper import CST, DAY, make_plan


def _doc(api: Api, plan_id: int) -> dict[str, Any]:
    r = api.get(f"/plans/{plan_id}")
    assert r.status_code == 200, r.text
    doc: dict[str, Any] = r.json()
    return doc


def _jobs_of(doc: dict[str, Any]) -> dict[str, list[str]]:
    return {r["engineer"]: [v["job"] for v in r["visits"] if v["job"]] for r in doc["routes"]}


def _skills(api: Api) -> tuple[dict[str, dict[str, int]], dict[str, dict[str, int]], set[str]]:
    """(job → skills, engineer → skills, jobs with windows or parts) in GZ: a job with parts
    moves only to a van that has them (see the depot-stop test), so the others use jobs without."""
    with api.sessions() as s:
        jobs = {j.code: {k.skill: k.min_level for k in j.skills} for j in s.scalars(select(m.Job))}
        engineers = {e.code: e.skill_levels() for e in s.scalars(select(m.Engineer))}
        windowed = {j.code for j in s.scalars(select(m.Job)) if j.windows or j.parts}
    return jobs, engineers, windowed


def _covers(have: dict[str, int], need: dict[str, int]) -> bool:
    return all(have.get(k, 0) >= v for k, v in need.items())


def _work_late(api: Api, engineer: str, hours: int = 4) -> None:
    """The engineer agrees to a longer day: room for one more visit, whatever the solver packed."""
    with api.sessions() as s:
        e = s.scalars(select(m.Engineer).where(m.Engineer.code == engineer)).one()
        sh = s.scalars(select(m.Shift).where(m.Shift.engineer_id == e.id, m.Shift.day == DAY)).one()
        body = {
            "start": sh.start.isoformat(),
            "end": (sh.end + timedelta(hours=hours)).isoformat(),
            "break_earliest": sh.break_earliest.isoformat() if sh.break_earliest else None,
            "break_latest_end": sh.break_latest_end.isoformat() if sh.break_latest_end else None,
            "break_minutes": sh.break_minutes,
        }
    r = api.put(f"/engineers/{engineer}/shifts/{DAY.isoformat()}", json=body)
    assert r.status_code in (200, 201), r.text


def _quiet_place(route: dict[str, Any], windowed: set[str]) -> int:
    """The first place after the lunch break behind which no visit has a customer window, so
    a longer day is all an extra visit there needs."""
    kinds = [("break", None) if v["kind"] == "break" else ("job", v["job"]) for v in route["visits"]]
    jobs = [c for k, c in kinds if k == "job"]
    before_break = next((n for n, (k, _) in enumerate(kinds) if k == "break"), 0)
    first = sum(1 for k, _ in kinds[:before_break] if k == "job") + 1
    return next(p for p in range(first, len(jobs) + 2) if not set(jobs[p - 1 :]) & windowed)


def _stored_plan_is_valid(api: Api, plan_id: int) -> None:
    """Rebuild the whole stored plan from the database and run the checker on it; visits are
    in route order without overlaps, and moved routes carry the checker's times."""
    with api.sessions() as s:
        plan = s.get_one(m.Plan, plan_id)
        td = plan_edits.plan_day(s, plan)
        items = plan_edits.stored_items(td, plan)
        codes = {i: c for c, i in td.job_ids.items()}
        left = [Unassigned(job_id=codes[u.job_id], reason=Reason(u.reason)) for u in plan.unassigned]
        loads = plan_edits.stored_loads(plan)
        report = check(td.problem, plan_edits.solution_of(td.problem, items, left, loads))
        assert report.feasible, report.describe()
        assert not [v for v in report.violations if v.rule.value == "missing_job"]
        for route in plan.routes:
            assert [v.seq for v in route.visits] == list(range(1, len(route.visits) + 1))
            previous = route.start
            for v in route.visits:
                assert v.arrival <= v.start < v.end and previous <= v.start, (route.engineer_id, v.seq)
                previous = v.end
                if v.job_id is None:
                    continue
                earliest = td.at(report.service_start[codes[v.job_id]])
                # Re-timed routes carry the checker's schedule; the solver's may start later.
                assert v.start == earliest if route.version else v.start >= earliest
            assert previous <= route.end


def test_a_move_to_a_skilled_engineer_with_room_is_stored_with_checked_etas(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan_id = make_plan(api)
    before = _doc(api, plan_id)
    job_skills, engineer_skills, windowed = _skills(api)
    routes = {r["engineer"]: r for r in before["routes"]}
    planned = _jobs_of(before)
    # A short job without a window, from someone else's route, that the target is skilled for.
    job, source, target = min(
        (
            (j, src, tgt)
            for src, js in planned.items()
            for j in js
            if j not in windowed
            for tgt in sorted(routes)
            if tgt != src and len(planned[tgt]) >= 2 and _covers(engineer_skills[tgt], job_skills[j])
        ),
        key=lambda t: (len(routes[t[2]]["visits"]), t[0]),
    )
    _work_late(api, target)
    place = _quiet_place(routes[target], windowed)
    versions = {r["engineer"]: r["version"] for r in before["routes"]}
    body = {"job": job, "engineer": target, "position": place, "versions": versions}

    assert api.post(f"/plans/{plan_id}/moves", who="agent", json=body).status_code == 403
    r = api.post(f"/plans/{plan_id}/moves", json=body)
    assert r.status_code == 200, r.text
    after = r.json()
    moved = _jobs_of(after)
    assert moved[target].index(job) == place - 1 and job not in moved[source]
    assert moved[target][: place - 1] == planned[target][: place - 1]
    assert moved[target][place:] == planned[target][place - 1 :]
    new_versions = {r["engineer"]: r["version"] for r in after["routes"]}
    assert new_versions[target] == versions[target] + 1 and new_versions[source] == versions[source] + 1
    assert all(new_versions[e] == v for e, v in versions.items() if e not in (source, target))
    visit = next(
        v for rt in after["routes"] if rt["engineer"] == target for v in rt["visits"] if v["job"] == job
    )
    assert visit["pinned"] is True
    with api.sessions() as s:
        row = s.scalars(select(m.Job).where(m.Job.code == job)).one()
        assert row.pinned and s.get_one(m.Engineer, row.engineer_id).code == target
        assert row.status is m.JobStatus.NEW  # a draft plan does not move the lifecycle
    _stored_plan_is_valid(api, plan_id)

    # Somebody moved things since this view was read: refused, nothing changes.
    stale = {"job": job, "engineer": source, "versions": versions}
    r = api.post(f"/plans/{plan_id}/moves", json=stale)
    assert r.status_code == 409 and r.json()["detail"][0]["loc"] == ["plan"], r.text
    assert _jobs_of(_doc(api, plan_id)) == moved

    # A writer that commits between this move's read and its write wins; the move is refused.
    real_check = plan_edits.check

    def racing_check(*args: Any, **kw: Any) -> Any:
        with transaction(api.sessions) as s:
            route = s.scalars(select(m.Route).where(m.Route.plan_id == plan_id)).all()
            for rt in route:
                rt.version += 1
        monkeypatch.setattr(plan_edits, "check", real_check)
        return real_check(*args, **kw)

    monkeypatch.setattr(plan_edits, "check", racing_check)
    fresh = {"job": job, "engineer": target, "position": place}
    r = api.post(f"/plans/{plan_id}/moves", json=fresh)
    assert r.status_code == 409 and "plan changed, reload" in r.text, r.text

    r = api.post(f"/plans/{plan_id}/jobs/{job}/unpin")
    assert r.status_code == 200
    assert not next(v for rt in r.json()["routes"] for v in rt["visits"] if v["job"] == job)["pinned"]
    assert api.post(f"/plans/{plan_id}/jobs/J-NOPE/unpin").status_code == 404


def _refusal(r: Any) -> set[str]:
    assert r.status_code == 409, r.text
    body = r.json()
    assert body["detail"][0]["loc"] == ["move"]
    assert all(v["message"] for v in body["violations"])
    return {v["rule"] for v in body["violations"]}


def test_moves_that_break_a_rule_are_refused_naming_it(api: Api) -> None:
    plan_id = make_plan(api)
    before = _doc(api, plan_id)
    job_skills, engineer_skills, _ = _skills(api)
    planned = _jobs_of(before)
    engineers = sorted(planned)

    job, unskilled = next(
        (j, e)
        for src in engineers
        for j in planned[src]
        for e in engineers
        if not _covers(engineer_skills[e], job_skills[j])
    )
    rules = _refusal(
        api.post(f"/plans/{plan_id}/moves", json={"job": job, "engineer": unskilled, "position": 1})
    )
    assert "skill" in rules

    def skilled_elsewhere(j: str) -> str:
        return next(
            e
            for e in engineers
            if j not in planned[e] and planned[e] and _covers(engineer_skills[e], job_skills[j])
        )

    long_job = next(j for e in engineers for j in planned[e] if j != job)
    assert api.patch(f"/jobs/{long_job}", json={"duration_minutes": 600}).status_code == 200
    target = skilled_elsewhere(long_job)
    rules = _refusal(
        api.post(f"/plans/{plan_id}/moves", json={"job": long_job, "engineer": target, "position": 1})
    )
    assert "shift_end" in rules

    early = next(j for e in engineers for j in planned[e] if j not in (job, long_job))
    window = {
        "start": datetime(2026, 11, 24, 7, 0, tzinfo=CST).isoformat(),
        "end": datetime(2026, 11, 24, 7, 5, tzinfo=CST).isoformat(),
    }
    assert api.patch(f"/jobs/{early}", json={"windows": [window]}).status_code == 200
    target = skilled_elsewhere(early)
    last = len(planned[target]) + 1
    rules = _refusal(
        api.post(f"/plans/{plan_id}/moves", json={"job": early, "engineer": target, "position": last})
    )
    assert "time_window" in rules

    assert _jobs_of(_doc(api, plan_id)) == planned  # nothing refused was stored
    assert all(r["version"] == 0 for r in _doc(api, plan_id)["routes"])
    r = api.post(f"/plans/{plan_id}/moves", json={"job": job, "engineer": engineers[0], "position": 99})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["position"]
    r = api.post(f"/plans/{plan_id}/moves", json={"job": job, "engineer": engineers[0], "position": 0})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "position"
    r = api.post(f"/plans/{plan_id}/moves", json={"job": job, "engineer": "E-NOPE"})
    assert r.status_code == 404 and r.json()["detail"][0]["loc"] == ["engineer"]
    r = api.post(f"/plans/{plan_id}/moves", json={"job": "J-NOPE", "engineer": engineers[0]})
    assert r.status_code == 404 and r.json()["detail"][0]["loc"] == ["job"]

    # Depot pick-ups (written by bookings) are not re-timed by moves yet: refused, not mangled.
    with transaction(api.sessions) as s:
        route = s.scalars(select(m.Route).where(m.Route.plan_id == plan_id).order_by(m.Route.id)).first()
        assert route is not None
        with_pickup = s.get_one(m.Engineer, route.engineer_id).code
        last = route.visits[-1]
        route.visits.append(
            m.Visit(seq=last.seq + 1, kind="depot", arrival=last.end, start=last.end, end=last.end)
        )
    mover = next(
        j for e in engineers if e != with_pickup for j in planned[e] if j not in (job, long_job, early)
    )
    r = api.post(f"/plans/{plan_id}/moves", json={"job": mover, "engineer": with_pickup})
    assert r.status_code == 409 and "booked depot pick-up" in r.text


def test_in_a_published_plan_a_placed_job_is_scheduled_and_pinned_for_re_plans(api: Api) -> None:
    plan_id = make_plan(api, publish_it=True)
    before = _doc(api, plan_id)
    assert before["unassigned"], "the demo day leaves some jobs out"
    job_skills, engineer_skills, constrained = _skills(api)
    job = next(u["job"] for u in before["unassigned"] if u["job"] not in constrained)
    # Made placeable: shorter, any time of day; the target works late to make room.
    assert api.patch(f"/jobs/{job}", json={"duration_minutes": 30, "windows": []}).status_code == 200
    target = next(
        r["engineer"] for r in before["routes"] if _covers(engineer_skills[r["engineer"]], job_skills[job])
    )
    _work_late(api, target)
    r = api.post(f"/plans/{plan_id}/moves", json={"job": job, "engineer": target})  # best place
    assert r.status_code == 200, r.text
    after = r.json()
    assert job in _jobs_of(after)[target] and job not in {u["job"] for u in after["unassigned"]}
    assert after["kpis"]["served"] == before["kpis"]["served"] + 1
    assert after["kpis"]["unassigned"] == before["kpis"]["unassigned"] - 1
    with api.sessions() as s:
        row = s.scalars(select(m.Job).where(m.Job.code == job)).one()
        assert row.status is m.JobStatus.SCHEDULED and row.pinned
        assert row.events[-1].actor == "dispatcher:dispatcher-1"
    _stored_plan_is_valid(api, plan_id)

    # An engineer not in the plan yet gets a route of their own.
    new = {"code": "E950", "name": "Wu Fang", "territory": "GZ", "home_lat": 23.12, "home_lon": 113.3}
    with api.sessions() as s:  # a van with nothing in it serves only a job that needs no parts
        needs_parts = {j.code for j in s.scalars(select(m.Job)) if j.parts}
    second = next(u["job"] for u in before["unassigned"] if u["job"] not in {job, *needs_parts})
    skills = {k: 5 for k in job_skills[second]}
    assert api.post("/engineers", json={**new, "skills": skills}).status_code == 201
    shift = {"start": "2026-11-24T08:00+08:00", "end": "2026-11-24T18:00+08:00"}
    assert api.put("/engineers/E950/shifts/2026-11-24", json=shift).status_code == 201
    assert api.patch(f"/jobs/{second}", json={"windows": []}).status_code == 200
    r = api.post(
        f"/plans/{plan_id}/moves", json={"job": second, "engineer": "E950", "position": 1, "pin": False}
    )
    assert r.status_code == 200, r.text
    route = next(rt for rt in r.json()["routes"] if rt["engineer"] == "E950")
    assert [v["job"] for v in route["visits"]] == [second] and route["version"] == 1
    _stored_plan_is_valid(api, plan_id)

    # The next plan keeps the pinned job with its engineer; the old plan can no longer change.
    next_plan = make_plan(api)
    with transaction(api.sessions) as s:
        publish(s, next_plan, actor="dispatcher:test")
    nxt = _doc(api, next_plan)
    assert job in _jobs_of(nxt)[target], [u for u in nxt["unassigned"] if u["job"] == job]
    r = api.post(f"/plans/{plan_id}/moves", json={"job": job, "engineer": target})
    assert r.status_code == 409 and r.json()["detail"][0]["loc"] == ["plan"]


def test_moves_keep_planned_depot_stops_and_need_the_parts_on_board(api: Api) -> None:
    plan_id = make_plan(api)
    doc = _doc(api, plan_id)
    job_skills, engineer_skills, windowed = _skills(api)
    planned = _jobs_of(doc)
    with api.sessions() as s:
        needs = {j.code: {p.part_id for p in j.parts} for j in s.scalars(select(m.Job)) if j.parts}
        sku = {p.id: p.sku for p in s.scalars(select(m.Part))}
        vans: dict[str, set[str]] = {}
        for st, code in s.execute(select(m.Stock, m.Engineer.code).join(m.Engineer)):
            if st.quantity > st.reserved:
                vans.setdefault(code, set()).add(sku[st.part_id])
    with_stop = {r["engineer"]: r for r in doc["routes"] if any(v["kind"] == "depot" for v in r["visits"])}
    assert with_stop, "the plan has depot stops"
    # A job whose part a stop loads, to a skilled engineer with room, no stop and no such part.
    job, target = next(
        (j, e)
        for src, route in sorted(with_stop.items())
        for v in route["visits"]
        if v["kind"] == "depot"
        for j in planned[src]
        if j in needs and {sku[p] for p in needs[j]} & set(v["loads"])
        for e in sorted(planned)
        if e not in with_stop
        and planned[e]
        and _covers(engineer_skills[e], job_skills[j])
        and not {sku[p] for p in needs[j]} <= vans.get(e, set())
    )
    _work_late(api, target)
    rules = _refusal(api.post(f"/plans/{plan_id}/moves", json={"job": job, "engineer": target}))
    assert "parts_missing" in rules
    # A job needing no parts onto a route with a stop: accepted, and the stop is kept as stored.
    stop_route = sorted(with_stop)[0]
    stops_before = [(v["depot"], v["loads"]) for v in with_stop[stop_route]["visits"] if v["kind"] == "depot"]
    mover = next(
        j
        for e in sorted(planned)
        if e != stop_route
        for j in planned[e]
        if j not in needs and j not in windowed and _covers(engineer_skills[stop_route], job_skills[j])
    )
    _work_late(api, stop_route, hours=6)
    r = api.post(f"/plans/{plan_id}/moves", json={"job": mover, "engineer": stop_route})
    assert r.status_code == 200, r.text
    after = {x["engineer"]: x for x in r.json()["routes"]}[stop_route]
    assert mover in [v["job"] for v in after["visits"]]
    assert [(v["depot"], v["loads"]) for v in after["visits"] if v["kind"] == "depot"] == stops_before
    with api.sessions() as s:
        stored = s.scalars(
            select(m.Visit).join(m.Route).where(m.Route.plan_id == plan_id, m.Visit.kind == "depot")
        ).all()
        assert stored and all(v.depot_id is not None and v.loads for v in stored)


def test_a_move_during_the_day_goes_after_what_is_done_and_not_before_now(api: Api) -> None:
    """At 14:00, with the target engineer's morning visits done, a job moved to the front of
    their route is placed after them and starts no earlier than now; what is done is not
    re-timed (a move used to be timed from the route's morning start)."""
    plan_id = make_plan(api, publish_it=True, dispatch_now=True)
    before = _doc(api, plan_id)
    job_skills, engineer_skills, windowed = _skills(api)
    planned = _jobs_of(before)
    now = datetime(2026, 11, 24, 14, 0, tzinfo=CST)
    routes = {r["engineer"]: r for r in before["routes"]}

    def morning(engineer: str) -> list[dict[str, Any]]:
        return [v for v in routes[engineer]["visits"] if v["job"] and datetime.fromisoformat(v["end"]) <= now]

    job, target = min(
        (
            (j, tgt)
            for src, js in planned.items()
            for j in js
            if j not in windowed
            for tgt in sorted(planned)
            if tgt != src and morning(tgt) and _covers(engineer_skills[tgt], job_skills[j])
        ),
        key=lambda t: (len(planned[t[1]]), t[0]),
    )
    _work_late(api, target, hours=8)  # what was planned from noon on now starts after 14:00
    done = morning(target)
    later = [v["job"] for v in routes[target]["visits"] if v["job"] and v not in done]
    with transaction(api.sessions) as s:  # the afternoon's customers can wait for the extra visit
        s.execute(delete(m.JobWindow).where(m.JobWindow.job_id.in_(select(m.Job.id).where(m.Job.code.in_(later)))))
    with transaction(api.sessions) as s:
        for v in done:
            row = s.scalars(select(m.Job).where(m.Job.code == v["job"])).one()
            arrival, end = datetime.fromisoformat(v["eta"]), datetime.fromisoformat(v["end"])
            for status, at in (
                (m.JobStatus.EN_ROUTE, arrival - timedelta(minutes=15)),
                (m.JobStatus.ON_SITE, arrival),
                (m.JobStatus.COMPLETED, end),
            ):
                transition(s, row, status, actor="engineer", at=at)
    api.client.app.state.clock = lambda: now  # type: ignore[attr-defined]
    r = api.post(f"/plans/{plan_id}/moves", json={"job": job, "engineer": target, "position": 1})
    assert r.status_code == 200, r.text
    route = next(rt for rt in r.json()["routes"] if rt["engineer"] == target)
    jobs = [v for v in route["visits"] if v["job"]]
    assert [v["job"] for v in jobs[: len(done) + 1]] == [*(v["job"] for v in done), job]
    for kept, original in zip(jobs, done, strict=False):
        assert (kept["start"], kept["end"]) == (original["start"], original["end"])  # not re-timed
    assert all(datetime.fromisoformat(v["start"]) >= now for v in jobs[len(done) :])

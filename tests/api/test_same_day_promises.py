"""Same-day promises: a slot offered or booked during the day starts from the moment of the
call and from where the engineer actually is, and an engineer has one visit in hand at a time.

The demo day, Tuesday 2026-11-24 in Guangzhou, is *today* here: the clock is pinned to it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from dispatch import booking
from dispatch import models as m
from dispatch.db import transaction
from dispatch.jobs import change_status
from dispatch.lifecycle import transition
from dispatch.plan_export import plan_document
from dispatch.users import Principal
from solver import Location
from solver.travel import GreatCircleProvider
from tests.api.conftest import ENGINEER, OTHER_ENGINEER, Api
from tests.api.plans_helper import CST, DAY, make_plan
from tests.api.test_bookings import HEATER, at, book, quote

CALL = datetime(2026, 11, 24, 11, 50, tzinfo=CST)
DISPATCHER = Principal(0, "wu", m.Role.DISPATCHER, None)


def _drive(a: tuple[float, float], b: tuple[float, float]) -> timedelta:
    matrix = GreatCircleProvider().matrix([Location(lat=a[0], lon=a[1]), Location(lat=b[0], lon=b[1])])
    return timedelta(seconds=int(matrix.durations[0, 1]))


def _site(api: Api, code: str) -> tuple[float, float]:
    with api.sessions() as s:
        site = s.scalars(select(m.Site).where(m.Site.code == code)).one()
        return site.lat, site.lon


def _homes(api: Api) -> dict[str, tuple[float, float]]:
    with api.sessions() as s:
        return {e.code: (e.home_lat, e.home_lon) for e in s.scalars(select(m.Engineer))}


def _violations(api: Api, route_id: int, now: datetime) -> set[tuple[str, str | None]]:
    with api.sessions() as s:
        report, _ = booking.check_stored_route(s, route_id, now)
    return {(v.rule.value, v.job_id) for v in report.violations if v.hard}


def _route_is_checked_from(
    api: Api, route_id: int, now: datetime, known: set[tuple[str, str | None]] | None = None
) -> list[m.Visit]:
    """The stored route passes the independent checker timed from where the day stood at
    ``now`` (but for rules it broke before the booking, ``known``), and every visit the
    booking timed carries the checker's service start."""
    with api.sessions() as s:
        report, rows = booking.check_stored_route(s, route_id, now)
        broken = {(v.rule.value, v.job_id) for v in report.violations if v.hard}
        assert broken <= (known or set()), report.describe()
        origin = datetime.combine(DAY, datetime.min.time(), CST)
        for step_id, start in report.service_start.items():
            assert rows[step_id].start == origin + timedelta(seconds=start), step_id
        return list(s.scalars(select(m.Visit).where(m.Visit.route_id == route_id).order_by(m.Visit.seq)))


def only(api: Api, engineer: str, skill: str = "heat_pump") -> dict[str, Any]:
    """A request only ``engineer`` is skilled for (a skill given to them alone)."""
    with transaction(api.sessions) as s:
        row = s.scalars(select(m.Engineer).where(m.Engineer.code == engineer)).one()
        row.skills.append(m.EngineerSkill(skill=skill, level=1))
    return {**HEATER, "skills": {skill: 1}}


def test_a_same_day_slot_leaves_home_after_the_call(api: Api) -> None:
    """No plan yet: every engineer is at home, so no visit can begin before the call plus the
    drive (the 11:50 call once offered E015 at 12:00 from a home 94 minutes away)."""
    site = _site(api, HEATER["site"])
    homes = _homes(api)
    assert _drive(homes["E015"], site) > timedelta(minutes=90)
    r = quote(api, now=CALL, **only(api, "E015"))
    assert r.status_code == 201, r.text
    slots = r.json()["slots"]
    assert slots
    for slot in slots:
        eta = datetime.fromisoformat(slot["eta"])
        assert eta >= CALL + _drive(homes[slot["engineer"]], site), slot
        assert slot["sla_kept"] is (eta <= datetime.fromisoformat(r.json()["response_deadline"]))
    first = slots[0]
    b = book(api, r.json()["quote_id"], first["slot_id"], "same-day-1")
    assert b.status_code == 201, b.text
    assert datetime.fromisoformat(b.json()["eta"]) >= CALL + _drive(homes[first["engineer"]], site)
    with api.sessions() as s:
        job = s.scalars(select(m.Job).where(m.Job.code == b.json()["job"])).one()
        visit = s.scalars(select(m.Visit).where(m.Visit.job_id == job.id)).one()
        route = s.get_one(m.Route, visit.route_id)
        assert route.start >= CALL and visit.arrival >= CALL + _drive(homes[first["engineer"]], site)
    _route_is_checked_from(api, route.id, CALL)


def _busy_engineer(api: Api, plan_id: int) -> tuple[str, list[str]]:
    with api.sessions() as s:
        doc = plan_document(s, plan_id)
    routes = {r["engineer"]: [v["job"] for v in r["visits"] if v["job"]] for r in doc["routes"]}
    code = max(routes, key=lambda c: (len(routes[c]), c))
    assert len(routes[code]) >= 3, routes
    return code, routes[code]


def _events(api: Api, code: str, steps: list[tuple[m.JobStatus, datetime]]) -> None:
    with transaction(api.sessions) as s:
        job = s.scalars(select(m.Job).where(m.Job.code == code)).one()
        for status, at in steps:
            transition(s, job, status, actor="engineer", at=at.astimezone(UTC))


def _roomy_engineer(api: Api, plan_id: int) -> tuple[str, list[m.Visit]]:
    """The engineer with the fewest planned visits but at least two, and their job visits."""
    with api.sessions() as s:
        plan = s.get_one(m.Plan, plan_id)
        routes = [(r, [v for v in r.visits if v.kind == "job"]) for r in plan.routes]
        route, visits = min(
            ((r, v) for r, v in routes if len(v) >= 2), key=lambda rv: (len(rv[1]), rv[0].engineer_id)
        )
        return s.get_one(m.Engineer, route.engineer_id).code, visits


def test_a_same_day_slot_follows_the_visits_done_and_in_hand(api: Api) -> None:
    """With a published plan, an engineer who finished one visit and is on site at the next,
    half an hour behind the plan, is free only when that visit ends, there: slots start from
    then and from there, the visits made stay first on the route as they were, and the rest
    is re-timed without breaking a rule it kept."""
    plan_id = make_plan(api, publish_it=True, dispatch_now=True)
    code, visits = _roomy_engineer(api, plan_id)
    done, in_hand = visits[:2]
    with api.sessions() as s:
        codes = {v.job_id: s.get_one(m.Job, v.job_id).code for v in visits}
        minutes = s.get_one(m.Job, in_hand.job_id).duration_minutes
        site = s.get_one(m.Site, s.get_one(m.Job, in_hand.job_id).site_id).code
    with transaction(api.sessions) as s:  # the later visits' customers cancelled: the day has room
        for v in visits[2:]:
            change_status(s, codes[v.job_id], m.JobStatus.CANCELLED, DISPATCHER)
    _events(
        api,
        codes[done.job_id],
        [
            (m.JobStatus.EN_ROUTE, done.arrival - timedelta(minutes=20)),
            (m.JobStatus.ON_SITE, done.arrival),
            (m.JobStatus.COMPLETED, done.end),
        ],
    )
    # Running half an hour behind the plan: on site later than planned, so free later.
    since = in_hand.arrival + timedelta(minutes=30)
    _events(api, codes[in_hand.job_id], [(m.JobStatus.EN_ROUTE, done.end), (m.JobStatus.ON_SITE, since)])
    call = since + timedelta(minutes=10)
    free_at = since + timedelta(minutes=minutes)
    request = {**only(api, code), "site": site, "asset": None}  # another appliance at the same site
    with api.sessions() as s:
        route_id = s.scalars(
            select(m.Route.id)
            .join(m.Engineer, m.Engineer.id == m.Route.engineer_id)
            .where(m.Route.plan_id == plan_id, m.Engineer.code == code)
        ).one()
        before = {
            v.id: (v.arrival, v.start, v.end)
            for v in s.scalars(select(m.Visit).where(m.Visit.route_id == route_id))
        }
    known = _violations(api, route_id, call)
    r = quote(api, now=call, **request)
    assert r.status_code == 201, r.text
    slots = r.json()["slots"]
    assert slots and {s["engineer"] for s in slots} == {code}
    for slot in slots:
        assert datetime.fromisoformat(slot["eta"]) >= max(free_at, call), slot
    b = book(api, r.json()["quote_id"], slots[0]["slot_id"], "same-day-2")
    assert b.status_code == 201, b.text
    visits = _route_is_checked_from(api, route_id, call, known)  # no rule broken that was kept
    made = next(k for k, v in enumerate(visits) if v.job_id == in_hand.job_id) + 1
    assert [v.job_id for v in visits[:made] if v.kind == "job"] == [done.job_id, in_hand.job_id]
    for v in visits[:made]:
        assert (v.arrival, v.start, v.end) == before[v.id]  # what is done or under way stays as it was
    with api.sessions() as s:
        new = s.scalars(select(m.Visit).join(m.Job).where(m.Job.code == b.json()["job"])).one()
    assert new.seq > made and new.arrival >= free_at
    for v in visits[made:]:
        assert v.start >= free_at, v.seq


def test_an_engineer_has_one_visit_in_hand_at_a_time(api: Api) -> None:
    """On site at one job, en route to another: refused, naming the job in hand."""
    plan_id = make_plan(api, publish_it=True, dispatch_now=True)
    code, jobs = _busy_engineer(api, plan_id)
    users = {ENGINEER: "engineer", OTHER_ENGINEER: "engineer2"}  # engineers with a user already
    if code in users:
        api.tokens["busy"] = api.tokens[users[code]]
    else:
        with transaction(api.sessions) as s:
            from dispatch.users import create_user

            api.tokens["busy"] = create_user(s, "busy-engineer", "engineer", code)[1]
    at(api, CALL)  # steps are for today's route

    def step(job: str, status: str) -> Any:
        return api.post(f"/me/jobs/{job}/status", who="busy", json={"status": status})

    assert step(jobs[0], "en_route").status_code == 200
    r = step(jobs[1], "en_route")
    assert r.status_code == 409, r.text
    assert r.json()["detail"][0]["loc"] == ["status"] and jobs[0] in r.json()["detail"][0]["msg"]
    assert step(jobs[0], "on_site").status_code == 200
    r = step(jobs[1], "en_route")
    assert r.status_code == 409 and jobs[0] in r.json()["detail"][0]["msg"]
    with api.sessions() as s:
        statuses = {
            j.code: j.status for j in s.scalars(select(m.Job).where(m.Job.code.in_(jobs[:2])))
        }
    assert statuses == {jobs[0]: m.JobStatus.ON_SITE, jobs[1]: m.JobStatus.DISPATCHED}
    # The database holds the rule too, whatever path writes the status.
    with api.sessions() as s:
        other = s.scalars(select(m.Job).where(m.Job.code == jobs[1])).one()
        other.status = m.JobStatus.ON_SITE
        try:
            s.flush()
        except Exception as exc:  # IntegrityError, named differently by each driver
            assert "uq_job_active_visit" in str(exc) or "UNIQUE" in str(exc)
        else:
            raise AssertionError("a second visit in hand was stored")

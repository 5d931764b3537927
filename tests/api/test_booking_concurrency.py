"""Racing confirmations on PostgreSQL: the last capacity of a route is booked exactly once."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from dispatch import booking
from dispatch import models as m
from dispatch.db import transaction
from dispatch.errors import DispatchError
from dispatch.planning import create_run, publish, run_plan, territory_by_code
from tests.api.conftest import Api

CST = timezone(timedelta(hours=8))
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=CST)
DAY = date(2026, 11, 24)
CALL = booking.QuoteRequest(
    site="S0002",
    asset="WA07000002",
    skills={"water_heater": 1},
    duration_minutes=40,
    parts={"WH-VALVE": 1},
    preferred_days=[DAY],
)
postgres_only = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


def fire(
    sessions: sessionmaker[Session], calls: list[tuple[str, str, str]], actors: list[str] | None = None
) -> list[object]:
    """All confirmations at once, each in its own thread and session: results or the error.
    ``actors``: who makes each call (default: one agent for all)."""

    def one(k: int) -> object:
        try:
            actor = actors[k] if actors else "agent:race"
            return booking.confirm(sessions, *calls[k], actor=actor, now=NOW)
        except DispatchError as exc:
            return exc

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(one, range(len(calls))))


def counts(s: Session, engineer_id: int) -> tuple[int, int, int]:
    visits = s.scalar(
        select(func.count())
        .select_from(m.Visit)
        .join(m.Route, m.Route.id == m.Visit.route_id)
        .where(m.Route.engineer_id == engineer_id, m.Visit.kind == "job")
    )
    reserved = s.scalar(select(func.sum(m.Stock.reserved)))
    bookings = s.scalar(select(func.count()).select_from(m.Booking))
    return int(visits or 0), int(reserved or 0), int(bookings or 0)


@postgres_only
def test_fifty_racing_confirmations_take_the_last_capacity_once(api: Api) -> None:
    with transaction(api.sessions) as s:
        run_id = create_run(s, territory_by_code(s, "GZ"), DAY, requested_by="test").id
    assert run_plan(api.database_url, run_id, time_limit=2) == "succeeded"
    with transaction(api.sessions) as s:
        plan_id = s.get_one(m.PlanRun, run_id).plan_id
        assert plan_id is not None
        publish(s, plan_id, actor="dispatcher:test")
        # the planned day is full: an evening for everyone, so the slot exists whatever the plan
        s.execute(update(m.Shift).values(end=datetime(2026, 11, 24, 21, 0, tzinfo=CST)))
    with transaction(api.sessions) as s:
        top = booking.quote(s, CALL, actor="agent:race", now=NOW).slots[0]
        shift = s.get_one(m.Shift, top["shift_id"])
        route = s.scalars(
            select(m.Route).where(m.Route.plan_id == plan_id, m.Route.shift_id == shift.id)
        ).first()
        on_route = sum(1 for v in route.visits if v.kind == "job") if route else 0
        shift.max_jobs = on_route + 1  # exactly one free place
        engineer_id = shift.engineer_id
    calls = []
    for k in range(50):  # fifty callers, each with their own quote of that same slot
        with transaction(api.sessions) as s:
            q = booking.quote(s, CALL, actor="agent:race", now=NOW)
            slot = next(x for x in q.slots if x["slot_id"] == top["slot_id"])
            assert slot["engineer"] == top["engineer"]
            calls.append((q.id, slot["slot_id"], f"caller-{k}"))
    with api.sessions() as s:
        before = counts(s, engineer_id)
        reservations_before = s.scalar(select(func.max(m.PartReservation.id))) or 0
    results = fire(api.sessions, calls)
    won = [r for r in results if isinstance(r, booking.BookingResult)]
    lost = [r for r in results if isinstance(r, DispatchError)]
    assert len(won) == 1 and won[0].created and won[0].engineer == top["engineer"]
    assert len(lost) == 49 and {e.status_code for e in lost} == {409}
    # Fresh alternatives come with every refusal (the day may be too full to have any).
    assert all(e.field == "slot_id" and isinstance(e.extra["alternatives"], list) for e in lost)
    # ... and never the engineer who is now full (checked where there are any).
    assert all(a["engineer"] != top["engineer"] for e in lost for a in e.extra["alternatives"])
    with api.sessions() as s:
        assert counts(s, engineer_id) == (before[0] + 1, before[1] + 1, before[2] + 1)
        booked_job = s.scalars(select(m.Job.id).where(m.Job.code == won[0].job)).one()
        held = s.scalars(
            select(m.PartReservation.job_id).where(m.PartReservation.id > reservations_before)
        ).all()
        assert held == [booked_job]  # the one booking holds its part; no loser reserved anything
        route = s.scalars(select(m.Route).join(m.Visit).join(m.Job).where(m.Job.code == won[0].job)).one()
        report, _ = booking.check_stored_route(s, route.id)
        assert report.feasible, report.describe()


@postgres_only
def test_racing_retries_with_one_key_make_one_booking(api: Api) -> None:
    with transaction(api.sessions) as s:
        q = booking.quote(s, CALL, actor="agent:race", now=NOW)
    results = fire(api.sessions, [(q.id, q.slots[0]["slot_id"], "same-key")] * 20)
    assert all(isinstance(r, booking.BookingResult) for r in results), results
    jobs = Counter(r.job for r in results if isinstance(r, booking.BookingResult))
    created = [r for r in results if isinstance(r, booking.BookingResult) and r.created]
    assert len(jobs) == 1 and len(created) == 1
    with api.sessions() as s:
        assert s.scalar(select(func.count()).select_from(m.Booking)) == 1
        assert s.scalar(select(func.count()).select_from(m.Job).where(m.Job.code.like("J-%"))) == 1


@postgres_only
def test_racing_keys_on_one_quote_book_it_once(api: Api) -> None:
    with transaction(api.sessions) as s:
        q = booking.quote(s, CALL, actor="agent:race", now=NOW)
        # make sure every slot stays free for all: capacity is not what stops them
        s.execute(update(m.Shift).values(max_jobs=None))
    slots = [x["slot_id"] for x in q.slots]
    results = fire(api.sessions, [(q.id, slots[k % len(slots)], f"k{k}") for k in range(20)])
    won = [r for r in results if isinstance(r, booking.BookingResult)]
    lost = [r for r in results if isinstance(r, DispatchError)]
    assert len(won) == 1 and len(lost) == 19
    assert {(e.status_code, e.field) for e in lost} == {(409, "quote_id")}


@postgres_only
def test_two_callers_racing_with_one_key_book_once_each(api: Api) -> None:
    """Keys are per caller: two callers' retries under one key, all at once, make one booking
    for each caller, and every retry answers with its own caller's booking."""
    call = replace(CALL, parts={})  # parts are not what is raced here
    with transaction(api.sessions) as s:
        s.execute(update(m.Shift).values(max_jobs=None))
        quotes = {who: booking.quote(s, call, actor=who, now=NOW) for who in ("agent:a", "agent:b")}
    engineers = {who: q.slots[0]["engineer"] for who, q in quotes.items()}
    picks = {  # different engineers where the quotes allow: the race is the key's, not a route's
        "agent:a": quotes["agent:a"].slots[0]["slot_id"],
        "agent:b": next(
            (x["slot_id"] for x in quotes["agent:b"].slots if x["engineer"] != engineers["agent:a"]),
            quotes["agent:b"].slots[-1]["slot_id"],
        ),
    }
    actors = ["agent:a", "agent:b"] * 10
    results = fire(api.sessions, [(quotes[w].id, picks[w], "shared-key") for w in actors], actors)
    booked = [r for r in results if isinstance(r, booking.BookingResult)]
    assert len(booked) == len(results), results
    jobs = {w: {r.job for r, a in zip(booked, actors, strict=True) if a == w} for w in quotes}
    assert len(jobs["agent:a"]) == len(jobs["agent:b"]) == 1 and jobs["agent:a"] != jobs["agent:b"]
    assert sum(1 for r in booked if r.created) == 2
    with api.sessions() as s:
        rows = s.execute(select(m.Booking.created_by, m.Booking.idempotency_key)).all()
    assert sorted(rows) == [("agent:a", "shared-key"), ("agent:b", "shared-key")]

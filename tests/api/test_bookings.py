"""Call-centre bookings through the API, on SQLite and PostgreSQL, on a pinned clock.

"Now" is Monday 2026-11-23 10:00 in Guangzhou, so the demo day (2026-11-24) is tomorrow.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import delete, func, select, update

from dispatch import booking
from dispatch import models as m
from dispatch.db import transaction
from dispatch.engineer_day import engineer_day
from dispatch.planning import territory_by_code
from dispatch.users import Principal
from solver import Location
from solver.travel import GreatCircleProvider
from tests.api.conftest import Api
from tests.api.plans_helper import make_plan

CST = timezone(timedelta(hours=8))
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=CST)
DAY = date(2026, 11, 24)
GOLD_DEADLINE = datetime(2026, 11, 24, 12, 0, tzinfo=CST)  # 8 business hours today + 4 tomorrow
HEATER: dict[str, Any] = {
    "site": "S0002",
    "asset": "WA07000002",
    "skills": {"water_heater": 1},
    "duration_minutes": 40,
}


def at(api: Api, now: datetime) -> None:
    api.client.app.state.clock = lambda: now  # type: ignore[attr-defined]


def quote(api: Api, who: str = "agent", **body: Any) -> Any:
    at(api, body.pop("now", NOW))
    return api.post("/bookings/quote", who=who, json={"preferred_days": [DAY.isoformat()], **body})


def book(api: Api, quote_id: str, slot_id: str, key: str | None, who: str = "agent") -> Any:
    headers = {"Idempotency-Key": key} if key is not None else {}
    return api.post("/bookings", who=who, json={"quote_id": quote_id, "slot_id": slot_id}, headers=headers)


def plan_gz(api: Api, *, publish_it: bool) -> int:
    return make_plan(api, publish_it=publish_it)


def give_everyone_the_evening(api: Api) -> None:
    """The demo day is over-subscribed, so a plan may leave no capable engineer room for one
    more visit; with everyone working to 21:00, visits without windows can move later."""
    with transaction(api.sessions) as s:
        s.execute(update(m.Shift).values(end=datetime(2026, 11, 24, 21, 0, tzinfo=CST)))


def route_of_job(api: Api, code: str) -> tuple[m.Route, list[m.Visit]]:
    with api.sessions() as s:
        job = s.scalars(select(m.Job).where(m.Job.code == code)).one()
        visit = s.scalars(select(m.Visit).where(m.Visit.job_id == job.id)).one()
        route = s.get_one(m.Route, visit.route_id)
        visits = list(s.scalars(select(m.Visit).where(m.Visit.route_id == route.id).order_by(m.Visit.seq)))
        return route, visits


def assert_route_checks(api: Api, route_id: int) -> None:
    """The stored route passes the independent checker, and its stored ETAs are the checker's."""
    with api.sessions() as s:
        report, rows = booking.check_stored_route(s, route_id)
        assert report.feasible, report.describe()
        route = s.get_one(m.Route, route_id)
        plan = s.get_one(m.Plan, route.plan_id)
        origin = datetime.combine(plan.day if plan.days == 1 else DAY, datetime.min.time(), CST)
        for step_id, start in report.service_start.items():
            assert rows[step_id].start == origin + timedelta(seconds=start), step_id


def test_a_quote_checks_the_contract_and_offers_feasible_ranked_slots(api: Api) -> None:
    r = quote(api, **HEATER)
    assert r.status_code == 201, r.text
    q = r.json()
    assert q["entitlement"]["cover"] == "contract" and q["entitlement"]["sla_policy"] == "GOLD"
    assert q["entitlement"]["contract"] == "K0002"
    assert datetime.fromisoformat(q["response_deadline"]) == GOLD_DEADLINE
    slots = q["slots"]
    assert len(slots) == 5 and len({s["slot_id"] for s in slots}) == 5
    for s in slots:
        start, end, eta = (datetime.fromisoformat(s[k]) for k in ("start", "end", "eta"))
        assert start.astimezone(CST).date() == DAY and end - start == timedelta(hours=2)
        assert start <= eta <= end
        assert s["sla_kept"] is (eta <= GOLD_DEADLINE)
    kept = [s["sla_kept"] for s in slots]
    assert kept == sorted(kept, reverse=True) and any(kept) and not all(kept)
    for group in (True, False):
        scores = [s["score"] for s in slots if s["sla_kept"] is group]
        assert scores == sorted(scores)
    assert "shift_id" not in slots[0]  # internal keys stay inside
    with api.sessions() as s:
        stored = s.get_one(m.Quote, q["quote_id"])
        assert stored.expires_at == NOW + timedelta(seconds=300)
        skilled = {
            e.code for e in s.scalars(select(m.Engineer)) if e.skill_levels().get("water_heater", 0) >= 1
        }
    assert {s["engineer"] for s in slots} <= skilled
    # Default days: today (its windows from 10:00 on) and the next two days (no shifts then).
    r = quote(api, now=datetime(2026, 11, 24, 9, 0, tzinfo=CST), **{**HEATER, "preferred_days": None})
    assert r.status_code == 201, r.text
    starts = [datetime.fromisoformat(s["start"]).astimezone(CST) for s in r.json()["slots"]]
    assert starts and min(starts) == datetime(2026, 11, 24, 10, 0, tzinfo=CST)
    assert r.json()["entitlement"]["cover"] == "contract"


def test_entitlement_warranty_chargeable_and_credit_hold(api: Api) -> None:
    r = quote(api, site="S0004", asset="WA07000004", skills={"washer": 1}, duration_minutes=60)
    assert r.status_code == 201, r.text
    assert r.json()["entitlement"]["cover"] == "warranty" and r.json()["entitlement"]["billable"] is False
    r = quote(api, site="S0003", asset="FR07000003", skills={"fridge": 1}, duration_minutes=60)
    assert r.status_code == 201, r.text
    assert r.json()["entitlement"]["cover"] == "chargeable" and r.json()["entitlement"]["billable"] is True
    with transaction(api.sessions) as s:
        s.execute(update(m.Customer).where(m.Customer.code == "C0002").values(on_credit_hold=True))
    r = quote(api, **HEATER)
    assert r.status_code == 409 and r.json()["detail"][0]["loc"] == ["customer"]
    with api.sessions() as s:
        assert s.scalar(select(func.count()).select_from(m.Quote)) == 2


def test_confirm_books_into_the_published_route_reserves_van_parts_and_is_idempotent(api: Api) -> None:
    plan_id = plan_gz(api, publish_it=True)
    give_everyone_the_evening(api)
    q = quote(api, **HEATER, parts={"WH-VALVE": 1}).json()
    assert q["slots"], q
    slot = q["slots"][0]
    with api.sessions() as s:
        jobs_before = s.scalar(select(func.count()).select_from(m.Job)) or 0
        stock_before = {st.id: st.reserved for st in s.scalars(select(m.Stock))}
    r = book(api, q["quote_id"], slot["slot_id"], "call-1")
    assert r.status_code == 201, r.text
    b = r.json()
    assert b["engineer"] == slot["engineer"] and b["sla_kept"] is slot["sla_kept"]
    window = [datetime.fromisoformat(b["window"][k]) for k in ("start", "end")]
    assert window == [datetime.fromisoformat(slot["start"]), datetime.fromisoformat(slot["end"])]
    assert [(p["sku"], p["quantity"], p["source"]) for p in b["parts"]] == [
        ("WH-VALVE", 1, slot["parts_source"])
    ]
    route, visits = route_of_job(api, b["job"])
    assert route.plan_id == plan_id and route.version == 1  # the solver wrote 0; one booking since
    assert sum(1 for v in visits if v.kind == "job") >= 2  # booked into a day that had visits
    assert [v.seq for v in visits] == list(range(1, len(visits) + 1))
    assert_route_checks(api, route.id)
    with api.sessions() as s:
        job = s.scalars(select(m.Job).where(m.Job.code == b["job"])).one()
        assert job.status is m.JobStatus.SCHEDULED and job.engineer_id == route.engineer_id
        assert job.response_deadline == GOLD_DEADLINE
        visit = next(v for v in visits if v.job_id == job.id)
        assert visit.start == datetime.fromisoformat(b["eta"])
        assert datetime.fromisoformat(slot["start"]) <= visit.start <= datetime.fromisoformat(slot["end"])
        [res] = s.scalars(select(m.PartReservation).where(m.PartReservation.job_id == job.id)).all()
        stock = s.get_one(m.Stock, res.stock_id)
        assert stock.reserved == stock_before[stock.id] + 1 <= stock.quantity
        if slot["parts_source"] == "van":
            assert stock.engineer_id == route.engineer_id
        else:
            assert stock.depot_id is not None
            kinds = [v.kind for v in visits]
            assert kinds[kinds.index("job", visits.index(visit)) - 1] == "depot"
    # A retry answers with the same booking, and books nothing more.
    again = book(api, q["quote_id"], slot["slot_id"], "call-1")
    assert again.status_code == 200 and again.json()["job"] == b["job"]
    assert again.json()["booking_id"] == b["booking_id"]
    other = "2026-11-24T16:00" if slot["slot_id"] != "2026-11-24T16:00" else "2026-11-24T14:00"
    r = book(api, q["quote_id"], other, "call-1")
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["Idempotency-Key"]
    r = book(api, q["quote_id"], other, None)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "Idempotency-Key"
    # One quote books once, whatever the key.
    r = book(api, q["quote_id"], other, "call-2")
    assert r.status_code == 409 and r.json()["detail"][0]["loc"] == ["quote_id"]
    with api.sessions() as s:
        assert s.scalar(select(func.count()).select_from(m.Job)) == jobs_before + 1
        assert s.scalar(select(func.count()).select_from(m.Booking)) == 1
        assert sum(st.reserved for st in s.scalars(select(m.Stock))) == sum(stock_before.values()) + 1
    # What the customer is told.
    r = api.get(f"/jobs/{b['job']}/status", who="agent")
    assert r.status_code == 200, r.text
    st = r.json()
    assert st["status"] == "scheduled" and st["message"] == "Your visit is booked."
    assert st["engineer_first_name"] == b["engineer_name"].split()[0]
    booked = [datetime.fromisoformat(st["booked_window"][k]) for k in ("start", "end")]
    eta_win = [datetime.fromisoformat(st["eta_window"][k]) for k in ("start", "end")]
    eta = datetime.fromisoformat(b["eta"])
    assert booked == [datetime.fromisoformat(slot["start"]), datetime.fromisoformat(slot["end"])]
    assert booked[0] <= eta_win[0] <= eta <= eta_win[1] <= booked[1]
    assert eta_win[1] - eta_win[0] <= timedelta(hours=1)
    assert api.get(f"/jobs/{b['job']}/status", who="engineer").status_code == 403


def test_without_a_plan_a_booking_makes_a_draft_with_that_route_and_a_depot_pickup(api: Api) -> None:
    # No van in Guangzhou has the valve: it comes from a depot, picked up on the way.
    with transaction(api.sessions) as s:
        s.execute(update(m.Stock).where(m.Stock.engineer_id.is_not(None)).values(quantity=0, reserved=0))
    q = quote(api, **HEATER, parts={"WH-VALVE": 2}).json()
    assert q["slots"] and all(s["parts_source"] == "depot" and s["depot"] for s in q["slots"])
    slot = q["slots"][0]
    r = book(api, q["quote_id"], slot["slot_id"], "k")
    assert r.status_code == 201, r.text
    b = r.json()
    assert b["parts"] == [{"sku": "WH-VALVE", "quantity": 2, "source": "depot", "depot": slot["depot"]}]
    route, visits = route_of_job(api, b["job"])
    job_visit = next(v for v in visits if v.kind == "job")
    assert visits[visits.index(job_visit) - 1].kind == "depot"
    assert visits[visits.index(job_visit) - 1].end <= job_visit.arrival
    assert_route_checks(api, route.id)
    with api.sessions() as s:
        plan = s.get_one(m.Plan, route.plan_id)
        assert plan.status is m.PlanStatus.DRAFT and plan.day == DAY and len(plan.routes) == 1
        job = s.scalars(select(m.Job).where(m.Job.code == b["job"])).one()
        assert job.status is m.JobStatus.NEW and job.engineer_id == route.engineer_id
    # A second booking the same day lands in the same draft, and the route still checks.
    q2 = quote(api, **HEATER).json()
    r = book(api, q2["quote_id"], q2["slots"][0]["slot_id"], "k2")
    assert r.status_code == 201, r.text
    route2, _ = route_of_job(api, r.json()["job"])
    assert route2.plan_id == route.plan_id
    assert_route_checks(api, route2.id)


def test_an_idempotency_key_is_the_callers_own(api: Api) -> None:
    """A key replayed by another caller never answers with the first caller's booking: that
    caller books for themselves (or is refused as anyone would be), and each retry of a caller
    still gets that caller's own booking back."""
    mine = quote(api, **HEATER).json()
    slot = mine["slots"][0]["slot_id"]
    first = book(api, mine["quote_id"], slot, "call-1")
    assert first.status_code == 201, first.text
    # The dispatcher replays the agent's key with the agent's very request: not the agent's
    # booking back, but a booking attempt of their own, refused like any second one of a quote.
    r = book(api, mine["quote_id"], slot, "call-1", who="dispatcher")
    assert r.status_code == 409 and r.json()["detail"][0]["loc"] == ["quote_id"], r.text
    assert "booking_id" not in r.json()
    # With a quote of their own, the same key makes the dispatcher's own booking.
    theirs = quote(api, who="dispatcher", **HEATER).json()
    second = book(api, theirs["quote_id"], theirs["slots"][0]["slot_id"], "call-1", who="dispatcher")
    assert second.status_code == 201, second.text
    assert second.json()["job"] != first.json()["job"]
    assert second.json()["booking_id"] != first.json()["booking_id"]
    # Each caller's retry still answers with that caller's booking, and books nothing more.
    ids = ("booking_id", "job")
    again = book(api, mine["quote_id"], slot, "call-1")
    assert again.status_code == 200 and [again.json()[k] for k in ids] == [first.json()[k] for k in ids]
    again = book(api, theirs["quote_id"], theirs["slots"][0]["slot_id"], "call-1", who="dispatcher")
    assert again.status_code == 200 and [again.json()[k] for k in ids] == [second.json()[k] for k in ids]
    # ... and the key with another request is still refused, per caller.
    r = book(api, theirs["quote_id"], theirs["slots"][1]["slot_id"], "call-1", who="dispatcher")
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["Idempotency-Key"]
    with api.sessions() as s:
        rows = s.execute(select(m.Booking.created_by, m.Booking.idempotency_key)).all()
    assert sorted(rows) == [("agent:agent-1", "call-1"), ("dispatcher:dispatcher-1", "call-1")]


def test_expired_quote_and_taken_slot_are_409_with_fresh_alternatives(api: Api) -> None:
    first = quote(api, **HEATER).json()
    slot = first["slots"][0]
    with transaction(api.sessions) as s:  # that engineer can take one more visit that day
        eng = s.scalars(select(m.Engineer).where(m.Engineer.code == slot["engineer"])).one()
        s.execute(update(m.Shift).where(m.Shift.engineer_id == eng.id).values(max_jobs=1))
    rival = quote(api, **HEATER).json()
    same = next(x for x in rival["slots"] if x["slot_id"] == slot["slot_id"])
    assert same["engineer"] == slot["engineer"]
    assert book(api, first["quote_id"], slot["slot_id"], "a").status_code == 201
    r = book(api, rival["quote_id"], same["slot_id"], "b")
    assert r.status_code == 409 and r.json()["detail"][0]["loc"] == ["slot_id"]
    alternatives = r.json()["alternatives"]
    assert alternatives and all(a["engineer"] != slot["engineer"] for a in alternatives)
    fresh = r.json()["quote_id"]
    assert fresh != rival["quote_id"]
    at(api, NOW)
    assert book(api, fresh, alternatives[0]["slot_id"], "b2").status_code == 201
    # An expired quote.
    old = quote(api, **HEATER).json()
    at(api, NOW + timedelta(seconds=301))
    r = book(api, old["quote_id"], old["slots"][0]["slot_id"], "c")
    assert r.status_code == 409 and r.json()["detail"][0]["loc"] == ["quote_id"]
    assert "expired" in r.json()["detail"][0]["msg"] and r.json()["alternatives"]
    with api.sessions() as s:
        assert s.scalar(select(func.count()).select_from(m.Booking)) == 2


def test_bad_bodies_are_422_naming_the_field_and_roles_are_enforced(api: Api) -> None:
    def loc(r: Any) -> list[Any]:
        assert r.status_code == 422, r.text
        return list(r.json()["detail"][0]["loc"])

    assert loc(quote(api, **{**HEATER, "duration_minutes": 0}))[-1] == "duration_minutes"
    assert loc(quote(api, **{**HEATER, "skills": {"telepathy": 1}})) == ["skills", "telepathy"]
    assert loc(quote(api, **HEATER, preferred_days=["2026-11-22"])) == ["preferred_days", "0"]
    assert loc(quote(api, **HEATER, parts={"NOPE": 1})) == ["parts", "NOPE"]
    assert loc(quote(api, **HEATER, colour="red"))[-1] == "colour"
    assert loc(quote(api, **{**HEATER, "site": ""}))[-1] == "site"
    assert quote(api, **{**HEATER, "site": "S9999"}).status_code == 404
    r = quote(api, **HEATER, parts={"WH-VALVE": 50})
    assert r.status_code == 409 and r.json()["detail"][0]["loc"] == ["parts"]
    assert "part_unavailable" in r.json()["detail"][0]["msg"]
    assert quote(api, who="engineer", **HEATER).status_code == 403
    assert quote(api, who="dispatcher", **HEATER).status_code == 201
    q = quote(api, who="admin", **HEATER).json()
    assert loc(book(api, q["quote_id"], "2026-11-24T09:00", "k")) == ["slot_id"]
    r = book(api, "00000000-0000-4000-8000-000000000000", "2026-11-24T08:00", "k")
    assert r.status_code == 404 and r.json()["detail"][0]["loc"] == ["quote_id"]
    assert loc(book(api, "\x00", "x", "k"))[-1] == "quote_id"
    assert loc(quote(api, **HEATER, description="nul \x00 byte"))[-1] == "description"
    assert loc(quote(api, **HEATER, parts={"WH-VALVE": 0}))[-2:] == ["parts", "WH-VALVE"]
    assert book(api, q["quote_id"], q["slots"][0]["slot_id"], "k", who="engineer").status_code == 403
    assert api.get("/jobs/NOPE/status", who="agent").status_code == 404


def test_quotes_see_a_booking_made_a_moment_before(api: Api) -> None:
    """Quotes share a cached view of each territory-day; a booking bumps its route's version,
    so the very next quote reads the routes afresh and the taken capacity is gone."""
    plan_gz(api, publish_it=True)
    give_everyone_the_evening(api)
    first = quote(api, **HEATER)
    assert first.status_code == 201, first.text
    slot = first.json()["slots"][0]
    with api.sessions() as s:
        territory = territory_by_code(s, "GZ")
        before = booking._day_view(s, territory, DAY)
        assert booking._day_view(s, territory, DAY) is before  # nothing changed: shared
    assert book(api, first.json()["quote_id"], slot["slot_id"], "k-cache").status_code == 201
    with api.sessions() as s:
        after = booking._day_view(s, territory_by_code(s, "GZ"), DAY)
    assert after is not before and after.stamp != before.stamp
    booked = after.bases[next(sh.id for sh in after.shifts if sh.engineer.code == slot["engineer"])]
    assert len(booked.jobs) > len(before.bases[booked.shift.id].jobs)  # the new visit is in the view


def test_quotes_on_the_worker_pool_match_quotes_in_process(api: Api) -> None:
    """`dispatch serve` answers quotes on a process pool; its answers, and its refusals, are the
    same as in the request thread."""
    from api.runner import QuotePool

    plan_gz(api, publish_it=True)
    give_everyone_the_evening(api)
    in_thread = quote(api, **HEATER).json()
    pool = QuotePool(1)
    api.client.app.state.quotes = pool  # type: ignore[attr-defined]
    try:
        on_pool = quote(api, **HEATER)
        assert on_pool.status_code == 201, on_pool.text
        strip = ("quote_id", "expires_at")
        assert {k: v for k, v in on_pool.json().items() if k not in strip} == {
            k: v for k, v in in_thread.items() if k not in strip
        }
        with transaction(api.sessions) as s:
            s.execute(update(m.Customer).where(m.Customer.code == "C0002").values(on_credit_hold=True))
        refused = quote(api, **HEATER)
        assert refused.status_code == 409 and refused.json()["detail"][0]["loc"] == ["customer"]
    finally:
        pool.shutdown()


def test_a_cancelled_booking_gives_back_its_parts_and_its_place_on_the_route(api: Api) -> None:
    plan_gz(api, publish_it=True)
    give_everyone_the_evening(api)
    with transaction(api.sessions) as s:
        s.execute(update(m.Stock).where(m.Stock.engineer_id.is_not(None)).values(quantity=0, reserved=0))
    with api.sessions() as s:
        reserved_before = s.scalar(select(func.sum(m.Stock.reserved))) or 0
    q = quote(api, **HEATER, parts={"WH-VALVE": 1}).json()
    r = book(api, q["quote_id"], q["slots"][0]["slot_id"], "k-cancel")
    assert r.status_code == 201, r.text
    code = r.json()["job"]
    route, visits = route_of_job(api, code)
    assert any(v.kind == "depot" for v in visits)
    with api.sessions() as s:
        assert (s.scalar(select(func.sum(m.Stock.reserved))) or 0) == reserved_before + 1
    at(api, NOW)
    assert api.post(f"/jobs/{code}/cancel", who="agent").status_code == 200
    with api.sessions() as s:
        job = s.scalars(select(m.Job).where(m.Job.code == code)).one()
        assert s.scalars(select(m.Visit).where(m.Visit.job_id == job.id)).first() is None
        after = list(s.scalars(select(m.Visit).where(m.Visit.route_id == route.id).order_by(m.Visit.seq)))
        assert len(after) == len(visits) - 2  # the visit and the pick-up made for it
        assert [v.seq for v in after] == list(range(1, len(after) + 1))
        assert s.get_one(m.Route, route.id).version == route.version + 1
        reservation = s.scalars(select(m.PartReservation).where(m.PartReservation.job_id == job.id)).one()
        assert reservation.status is m.ReservationStatus.RELEASED
        assert (s.scalar(select(func.sum(m.Stock.reserved))) or 0) == reserved_before
        report, _rows = booking.check_stored_route(s, route.id)
        assert report.feasible, report.describe()


# ---------------------------------------------------------------------------------------------
# Parts by transfer from another territory's depot
# ---------------------------------------------------------------------------------------------

MIDNIGHT = datetime(2026, 11, 24, 0, 0, tzinfo=CST)  # the demo day has begun; no shift has


def valve_only_in_shenzhen(api: Api, lanes: dict[tuple[str, str], int]) -> None:
    """WH-VALVE is free only in Shenzhen's depots (D-SZ-LG 7, D-SZ-BA 2); the only lanes are
    ``lanes`` ((from, to) → lead minutes)."""
    with transaction(api.sessions) as s:
        depots = {d.code: d.id for d in s.scalars(select(m.Depot))}
        valve = s.scalars(select(m.Part).where(m.Part.sku == "WH-VALVE")).one()
        shenzhen = [depots["D-SZ-LG"], depots["D-SZ-BA"]]
        s.execute(
            update(m.Stock)
            .where(m.Stock.part_id == valve.id, m.Stock.depot_id.not_in(shenzhen))
            .values(quantity=0, reserved=0)
        )
        s.execute(
            update(m.Stock)
            .where(m.Stock.part_id == valve.id, m.Stock.engineer_id.is_not(None))
            .values(quantity=0, reserved=0)
        )
        s.execute(delete(m.DepotLane))
        for (a, b), lead in lanes.items():
            s.add(m.DepotLane(from_depot_id=depots[a], to_depot_id=depots[b], lead_minutes=lead))


def drive_seconds(api: Api, depot: str, site: str) -> int:
    with api.sessions() as s:
        d = s.scalars(select(m.Depot).where(m.Depot.code == depot)).one()
        st = s.scalars(select(m.Site).where(m.Site.code == site)).one()
        points = [Location(lat=d.lat, lon=d.lon), Location(lat=st.lat, lon=st.lon)]
    return int(GreatCircleProvider().matrix(points).durations[0][1])


def stock_reserved(api: Api) -> dict[str, int]:
    """Reserved WH-VALVE units per depot code / engineer code."""
    with api.sessions() as s:
        rows = s.execute(
            select(m.Stock.reserved, m.Depot.code, m.Engineer.code)
            .join(m.Part, m.Part.id == m.Stock.part_id)
            .outerjoin(m.Depot, m.Depot.id == m.Stock.depot_id)
            .outerjoin(m.Engineer, m.Engineer.id == m.Stock.engineer_id)
            .where(m.Part.sku == "WH-VALVE")
        ).all()
    return {depot or eng: reserved for reserved, depot, eng in rows}


def test_a_part_held_only_in_another_territory_is_offered_by_transfer_and_reserved_at_its_source(
    api: Api,
) -> None:
    # Two sources with lanes into Baiyun: Longgang's is the faster, so it is the one offered.
    valve_only_in_shenzhen(api, {("D-SZ-LG", "D-GZ-BY"): 600, ("D-SZ-BA", "D-GZ-BY"): 900})
    r = quote(api, now=MIDNIGHT, **HEATER, parts={"WH-VALVE": 1})
    assert r.status_code == 201, r.text
    q = r.json()
    ready = MIDNIGHT + timedelta(minutes=600)  # 10:00, the demo day
    assert q["slots"], q
    for slot in q["slots"]:
        assert slot["parts_source"] == "transfer"
        assert (slot["depot"], slot["transfer_from"]) == ("D-GZ-BY", "D-SZ-LG")
        assert datetime.fromisoformat(slot["parts_ready_at"]) == ready
        assert "transfer_from_id" not in slot and "depot_id" not in slot
    # No visit before the parts are there, picked up (10 min) and driven to the site.
    earliest = ready + timedelta(seconds=600 + drive_seconds(api, "D-GZ-BY", "S0002"))
    etas = {s["slot_id"]: datetime.fromisoformat(s["eta"]) for s in q["slots"]}
    assert all(eta >= earliest for eta in etas.values()), (earliest, etas)
    assert "2026-11-24T08:00" not in etas  # that window closes before the parts arrive
    assert etas["2026-11-24T10:00"] == earliest  # the engineer waits at the depot for them
    for slot in q["slots"]:
        assert datetime.fromisoformat(slot["end"]) >= earliest
    # Confirm: the units are reserved at the source, where they are until they travel.
    before = stock_reserved(api)
    r = book(api, q["quote_id"], "2026-11-24T10:00", "k-transfer")
    assert r.status_code == 201, r.text
    b = r.json()
    assert b["parts"] == [{"sku": "WH-VALVE", "quantity": 1, "source": "transfer", "depot": "D-SZ-LG"}]
    assert datetime.fromisoformat(b["eta"]) == earliest
    r = api.get(f"/jobs/{b['job']}/reservations", who="agent")
    assert r.status_code == 200, r.text
    assert [(x["sku"], x["quantity"], x["status"], x["place"], x["place_code"]) for x in r.json()] == [
        ("WH-VALVE", 1, "reserved", "depot", "D-SZ-LG")
    ]
    after = stock_reserved(api)
    assert after == {**before, "D-SZ-LG": before["D-SZ-LG"] + 1}
    with api.sessions() as s:
        for st in s.scalars(select(m.Stock)):
            assert 0 <= st.reserved <= st.quantity
    # The pick-up is at Baiyun (the visit names it; no planned load) and waits for the transfer.
    route, visits = route_of_job(api, b["job"])
    job_visit = next(v for v in visits if v.kind == "job")
    pickup = visits[visits.index(job_visit) - 1]
    with api.sessions() as s:
        baiyun = s.scalars(select(m.Depot).where(m.Depot.code == "D-GZ-BY")).one()
    assert (pickup.kind, pickup.loads, pickup.depot_id) == ("depot", None, baiyun.id)
    assert pickup.arrival <= pickup.start == ready and pickup.end <= job_visit.arrival
    assert job_visit.start == earliest
    # Re-timed from the database (the lane's lead after the reservation), the route checks
    # and keeps its stored times; a later quote plans around that wait.
    assert_route_checks(api, route.id)
    # The engineer's day shows the pick-up at Baiyun, for the booked job (once published).
    with transaction(api.sessions) as s:
        s.get_one(m.Plan, route.plan_id).status = m.PlanStatus.PUBLISHED
    with api.sessions() as s:
        who = Principal(user_id=0, name="x", role=m.Role.ENGINEER, engineer_id=route.engineer_id)
        day = engineer_day(s, who, DAY)
        [stop] = day.pickups
    assert (stop.for_job, stop.depot.code if stop.depot else None, stop.loads) == (b["job"], "D-GZ-BY", {})
    # ... and the valve as held for the job, at its source across the territory border.
    [need] = next(v for v in day.visits if v.job == b["job"]).parts
    assert (need.sku, need.reserved, [d.code for d in need.depots]) == ("WH-VALVE", True, ["D-SZ-LG"])
    assert stop.start == ready
    again = quote(api, now=MIDNIGHT, **HEATER, parts={"WH-VALVE": 1})
    assert again.status_code == 201 and again.json()["slots"], again.text
    assert all(s["transfer_from"] == "D-SZ-LG" for s in again.json()["slots"])


def test_a_transfer_slot_is_rechecked_on_confirmation_and_without_a_lane_the_part_is_unavailable(
    api: Api,
) -> None:
    valve_only_in_shenzhen(api, {("D-SZ-LG", "D-GZ-BY"): 600})
    q = quote(api, now=MIDNIGHT, **HEATER, parts={"WH-VALVE": 1}).json()
    assert "2026-11-24T10:00" in {s["slot_id"] for s in q["slots"]}
    # The lane slows down before the call ends: 10:00 can no longer be kept.
    with transaction(api.sessions) as s:
        s.execute(update(m.DepotLane).values(lead_minutes=900))  # ready at 15:00
    before = stock_reserved(api)
    r = book(api, q["quote_id"], "2026-11-24T10:00", "k-slow")
    assert r.status_code == 409 and r.json()["detail"][0]["loc"] == ["slot_id"], r.text
    alternatives = r.json()["alternatives"]
    assert alternatives and {a["slot_id"] for a in alternatives} <= {"2026-11-24T14:00", "2026-11-24T16:00"}
    ready = MIDNIGHT + timedelta(minutes=900)
    for a in alternatives:
        assert a["parts_source"] == "transfer" and datetime.fromisoformat(a["parts_ready_at"]) == ready
        assert datetime.fromisoformat(a["eta"]) >= ready + timedelta(minutes=10)
    assert stock_reserved(api) == before
    # No lane: neither van, depot nor transfer can supply the part.
    with transaction(api.sessions) as s:
        s.execute(delete(m.DepotLane))
    r = quote(api, now=MIDNIGHT, **HEATER, parts={"WH-VALVE": 1})
    assert r.status_code == 409, r.text
    detail = r.json()["detail"][0]
    assert detail["loc"] == ["parts"] and "part_unavailable" in detail["msg"] and "WH-VALVE" in detail["msg"]
    # A lane from a depot without the part does not help either.
    valve_only_in_shenzhen(api, {("D-FD-NH", "D-GZ-BY"): 60})
    r = quote(api, now=MIDNIGHT, **HEATER, parts={"WH-VALVE": 1})
    assert r.status_code == 409 and "part_unavailable" in r.json()["detail"][0]["msg"]
    with api.sessions() as s:
        assert s.scalar(select(func.count()).select_from(m.Booking)) == 0

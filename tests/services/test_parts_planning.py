"""Parts in the planning service: the day's problem carries needs, van and depot stock and
transfers; stored plans hold their depot stops; publishing reserves where the plan loads.

The stored plan is re-read from the database and the van is followed along each route here,
independently of the solver and its checker.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from dispatch import models as m
from dispatch import van_stock
from dispatch.errors import ConflictError
from dispatch.planning import create_run, load_day, publish, run_plan, territory_by_code
from dispatch.users import Principal
from solver import Reason, SolveParams, StepType, check, solve

DAY = date(2026, 11, 24)
FAST = SolveParams(time_limit=3, stall_time=1.0)


def _planned(sessions: sessionmaker[Session], database_url: str) -> int:
    """A stored (draft) plan of Shenzhen's day, 4 s of search."""
    with sessions.begin() as s:
        run_id = create_run(s, territory_by_code(s, "SZ"), DAY).id
    assert run_plan(database_url, run_id, time_limit=4) == "succeeded"
    with sessions() as s:
        plan_id = s.get_one(m.PlanRun, run_id).plan_id
    assert plan_id is not None
    return plan_id


def _needs(s: Session) -> dict[int, dict[str, int]]:
    out: dict[int, dict[str, int]] = {}
    for job_id, sku, qty in s.execute(select(m.JobPart.job_id, m.Part.sku, m.JobPart.quantity).join(m.Part)):
        out.setdefault(job_id, {})[sku] = qty
    return out


def test_the_days_problem_carries_parts_vans_and_depots(demo: sessionmaker[Session]) -> None:
    with demo() as s:
        td = load_day(s, territory_by_code(s, "SZ"), DAY)
        needs = _needs(s)
        codes = {c: i for c, i in td.job_ids.items()}
        for job in td.problem.jobs:
            assert dict(job.parts) == needs.get(codes[job.id], {})
        assert sum(1 for j in td.problem.jobs if j.parts) >= 10
        own = {d.code for d in s.scalars(select(m.Depot).join(m.Territory).where(m.Territory.code == "SZ"))}
        assert {d.id for d in td.problem.depots if "<" not in d.id} == own
        assert any(sh.stock for sh in td.problem.shifts)


def test_a_stored_plan_has_its_parts_on_board_at_every_visit(
    demo: sessionmaker[Session], database_url: str
) -> None:
    plan_id = _planned(demo, database_url)
    with demo.begin() as s:
        plan = s.get_one(m.Plan, plan_id)
        needs = _needs(s)
        vans: dict[int, Counter[str]] = {}
        for stock, sku in s.execute(
            select(m.Stock, m.Part.sku).join(m.Part).where(m.Stock.engineer_id.is_not(None))
        ):
            assert stock.engineer_id is not None
            vans.setdefault(stock.engineer_id, Counter())[sku] += stock.quantity
        stops = 0
        for route in plan.routes:
            van = Counter(vans.get(route.engineer_id, Counter()))
            for v in route.visits:
                if v.kind == "depot":
                    stops += 1
                    assert v.depot_id is not None and v.loads and v.loads["parts"]
                    van.update(v.loads["parts"])
                elif v.job_id is not None:
                    for sku, qty in needs.get(v.job_id, {}).items():
                        assert van[sku] >= qty, f"job {v.job_id} has no {sku} on board"
                        van[sku] -= qty
        assert stops == plan.kpis["depot_stops"] and stops > 0
        # Publishing holds each job's parts where the plan loads them.
        publish(s, plan.id, actor="test")
        s.flush()
        depot_of: dict[int, int] = {}
        for route in plan.routes:
            last: int | None = None
            for v in route.visits:
                if v.kind == "depot":
                    last = v.depot_id
                elif v.job_id is not None and last is not None and v.job_id in needs:
                    loaded = {
                        sku for r in route.visits if r.kind == "depot" and r.loads for sku in r.loads["parts"]
                    }
                    if set(needs[v.job_id]) & loaded:
                        depot_of.setdefault(v.job_id, last)
        held = {
            r.job_id: stock.depot_id
            for r, stock in s.execute(
                select(m.PartReservation, m.Stock)
                .join(m.Stock, m.Stock.id == m.PartReservation.stock_id)
                .where(m.PartReservation.status == m.ReservationStatus.RESERVED)
            )
        }
        sourced = [j for j in depot_of if held.get(j) is not None]
        assert sourced and all(held[j] == depot_of[j] for j in sourced)
        assert all(st.reserved <= st.quantity for st in s.scalars(select(m.Stock)))


def test_a_part_held_nowhere_leaves_its_job_unassigned(demo: sessionmaker[Session]) -> None:
    with demo.begin() as s:
        job = s.scalars(select(m.Job).join(m.Site).join(m.Territory).where(m.Territory.code == "FD")).first()
        assert job is not None
        part = m.Part(sku="UNOBTAINIUM", name="none anywhere", category="test")
        s.add(part)
        s.flush()
        s.add(m.JobPart(job_id=job.id, part_id=part.id, quantity=1))
        code = job.code
    with demo() as s:
        td = load_day(s, territory_by_code(s, "FD"), DAY)
    sol = solve(td.problem, FAST)
    assert check(td.problem, sol).feasible
    reason = {u.job_id: u for u in sol.unassigned}[code]
    assert reason.reason is Reason.PART_UNAVAILABLE and "UNOBTAINIUM" in reason.detail


def test_stock_elsewhere_comes_by_transfer_and_is_collected_after_it_arrives(
    demo: sessionmaker[Session],
) -> None:
    with demo.begin() as s:
        fd = territory_by_code(s, "FD")
        job = s.scalars(
            select(m.Job)
            .join(m.Site)
            .where(m.Site.territory_id == fd.id, ~m.Job.windows.any(), ~m.Job.parts.any())
            .order_by(m.Job.code)
        ).first()
        assert job is not None
        part = m.Part(sku="FAR-AWAY", name="only in Shenzhen", category="test")
        s.add(part)
        s.flush()
        s.add(m.JobPart(job_id=job.id, part_id=part.id, quantity=1))
        far = s.scalars(select(m.Depot).where(m.Depot.code == "D-SZ-BA")).one()
        s.add(m.Stock(part_id=part.id, depot_id=far.id, quantity=3))
        # Pinned to an engineer who has the skills, so the over-subscribed day cannot drop it.
        needed = {(k.skill, k.min_level) for k in job.skills}
        for eng in s.scalars(
            select(m.Engineer).where(m.Engineer.territory_id == fd.id).order_by(m.Engineer.code)
        ):
            if all(any(h.skill == n and h.level >= lv for h in eng.skills) for n, lv in needed):
                job.engineer_id, job.pinned = eng.id, True
                break
        assert job.pinned
        code = job.code
        lead = s.scalars(
            select(m.DepotLane.lead_minutes)
            .join(m.Depot, m.Depot.id == m.DepotLane.to_depot_id)
            .where(m.DepotLane.from_depot_id == far.id, m.Depot.territory_id == fd.id)
        ).one()
    with demo() as s:
        fd = territory_by_code(s, "FD")
        origin = load_day(s, fd, DAY).origin
        ordered = origin - timedelta(hours=4)  # the day before, in the evening
        td = load_day(s, fd, DAY, ordered_at=ordered)
    transfer = next(d for d in td.problem.depots if d.id.endswith("<D-SZ-BA"))
    assert dict(transfer.stock)["FAR-AWAY"] == 3
    assert transfer.time_window is not None
    assert transfer.time_window.start == int((ordered - origin).total_seconds()) + lead * 60
    sol = solve(td.problem, SolveParams(time_limit=4, stall_time=1.0))
    assert check(td.problem, sol).feasible
    left = {u.job_id: f"{u.reason}: {u.detail}" for u in sol.unassigned}
    assert code not in left, left.get(code)
    route = next(r for r in sol.routes if code in r.job_ids())
    steps = [st for st in route.steps if st.type in (StepType.JOB, StepType.DEPOT)]
    k = next(i for i, st in enumerate(steps) if st.id == code)
    pickup = next(
        st for st in reversed(steps[:k]) if st.type is StepType.DEPOT and dict(st.parts).get("FAR-AWAY")
    )
    assert pickup.id == transfer.id
    assert pickup.arrival + pickup.waiting_time >= transfer.time_window.start


def test_units_held_for_other_work_are_not_offered(demo: sessionmaker[Session]) -> None:
    with demo.begin() as s:
        depot = s.scalars(select(m.Depot).where(m.Depot.code == "D-FD-NH")).one()
        s.execute(update(m.Stock).where(m.Stock.depot_id == depot.id).values(reserved=m.Stock.quantity))
    with demo() as s:
        td = load_day(s, territory_by_code(s, "FD"), DAY)
    assert "D-FD-NH" not in {d.id for d in td.problem.depots}


def test_a_depot_stop_moves_the_loads_to_the_van_and_refills_it(
    demo: sessionmaker[Session], database_url: str
) -> None:
    plan_id = _planned(demo, database_url)
    with demo.begin() as s:
        publish(s, plan_id, actor="test")
    with demo.begin() as s:
        plan = s.get_one(m.Plan, plan_id)
        route, stop = next((r, v) for r in plan.routes for v in r.visits if v.kind == "depot")
        later = [v.job_id for v in route.visits if v.job_id is not None and v.seq > stop.seq]
        held_here = {
            r.id: r.quantity
            for r, st in s.execute(
                select(m.PartReservation, m.Stock)
                .join(m.Stock, m.Stock.id == m.PartReservation.stock_id)
                .where(
                    m.PartReservation.job_id.in_(later),
                    m.PartReservation.status == m.ReservationStatus.RESERVED,
                    m.Stock.depot_id == stop.depot_id,
                )
            )
        }
        assert held_here, "publishing reserved the stop's parts at its depot"
        # The van has used one unit of some part with a standard level: the stop tops it up.
        van_row = s.scalars(
            select(m.Stock).where(m.Stock.engineer_id == route.engineer_id, m.Stock.par > 0)
        ).first()
        assert van_row is not None
        van_row.quantity = van_row.reserved + van_row.par - 1
        shelf = s.scalars(
            select(m.Stock).where(m.Stock.depot_id == stop.depot_id, m.Stock.part_id == van_row.part_id)
        ).one()
        shelf.quantity = shelf.reserved + 5
        s.flush()
        before = {st.id: (st.quantity, st.reserved) for st in s.scalars(select(m.Stock))}
        shelf_free = {
            st.part_id: st.quantity - st.reserved
            for st in s.scalars(select(m.Stock).where(m.Stock.depot_id == stop.depot_id))
        }
        expected_refill = sum(
            min(max(0, st.par - (st.quantity - st.reserved)), shelf_free.get(st.part_id, 0))
            for st in s.scalars(select(m.Stock).where(m.Stock.engineer_id == route.engineer_id))
        )
        assert expected_refill >= 1
        who = Principal(user_id=0, name="eng", role=m.Role.ENGINEER, engineer_id=route.engineer_id)
        stop_id, engineer_id, part_id = stop.id, route.engineer_id, van_row.part_id
    with demo.begin() as s:
        done = van_stock.collect(s, who, stop_id)
    with demo() as s:
        after = {st.id: (st.quantity, st.reserved) for st in s.scalars(select(m.Stock))}
        moved = sum(held_here.values())
        assert sum(done.for_jobs.values()) == moved and sum(done.refilled.values()) == expected_refill
        depot_rows = [st for st in s.scalars(select(m.Stock).where(m.Stock.depot_id == stop.depot_id))]
        van_rows = [st for st in s.scalars(select(m.Stock).where(m.Stock.engineer_id == engineer_id))]
        taken = moved + expected_refill
        assert sum(after[r.id][0] for r in depot_rows) == sum(before[r.id][0] for r in depot_rows) - taken
        assert (
            sum(after[r.id][0] for r in van_rows)
            == sum(before.get(r.id, (0, 0))[0] for r in van_rows) + taken
        )
        refilled = next(r for r in van_rows if r.part_id == part_id)
        assert refilled.quantity - refilled.reserved == refilled.par
        for r in s.scalars(select(m.PartReservation).where(m.PartReservation.id.in_(held_here))):
            assert s.get_one(m.Stock, r.stock_id).engineer_id == engineer_id  # now on the van
        assert all(0 <= st.reserved <= st.quantity for st in s.scalars(select(m.Stock)))
    with demo.begin() as s, pytest.raises(ConflictError):
        van_stock.collect(s, who, stop_id)  # once only

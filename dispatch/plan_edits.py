"""Manual plan edits: a dispatcher moves a job to another engineer (or another place in the
same route), and may pin it there so later re-plans keep it with that engineer.

A move is only stored if the independent checker (`solver.check`) accepts the two routes it
changes, rebuilt from the stored order with the move applied; the stored ETAs are then the
checker's recomputed schedule, so what the engineer's phone shows is what was validated.
Concurrent writers (another move, a booking) are caught by each route's version: the write
is ``UPDATE route ... WHERE version = <read>``, and a lost race is a 409 "reload".
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dispatch import models as m
from dispatch.day_plans import held_elsewhere
from dispatch.errors import ConflictError, InvalidInputError, NotFoundError
from dispatch.field_state import RouteSplit, StoredVisit, split_route
from dispatch.jobs import take_off_routes
from dispatch.lifecycle import transition
from dispatch.parts import reserve_for_job
from dispatch.plan_export import load_plan, plan_document
from dispatch.planning import PLANNABLE, TerritoryDay, load_day, local_midnight
from solver import Problem, Reason, Route, Solution, Status, Step, StepType, Summary, Unassigned, check
from solver.check import CheckReport, RouteSchedule

Item = tuple[StepType, str]  # a job (code) or a break (break id) in route order
REASONS = {r.value: r for r in Reason}  # the checker only counts unassigned jobs; any reason will do


@dataclass(frozen=True, slots=True)
class Move:
    job: str
    engineer: str
    position: int | None = None  # 1-based among the engineer's job visits; None: least added travel
    pin: bool = True
    day: date | None = None  # multi-day plans: the route's day (default: the job's, else the first)
    versions: dict[str, int] | None = None  # engineer code → route version the caller saw


@dataclass(frozen=True, slots=True)
class _Candidate:
    report: CheckReport
    hard: list[tuple[str, str]]  # (rule, message) on the affected routes
    items: dict[str, list[Item]]  # the routes as tried


def _plan_job_ids(plan: m.Plan) -> set[int]:
    return {v.job_id for r in plan.routes for v in r.visits if v.job_id is not None} | {
        u.job_id for u in plan.unassigned
    }


def plan_day(
    session: Session, plan: m.Plan, now: datetime | None = None, extra: Collection[int] = ()
) -> TerritoryDay:
    """The territory-day the plan was made for, from today's data, with every job the plan
    holds whatever its status now (so its routes can be checked as stored). Once the plan's
    days have begun (``now`` inside them), its routes resume from where each engineer's day
    stands at ``now``: what is done is history, nothing is placed before it."""
    territory = session.get_one(m.Territory, plan.territory_id)
    as_of = session.scalars(select(m.PlanRun.as_of).where(m.PlanRun.plan_id == plan.id)).first()
    origin = local_midnight(plan.day, territory.timezone)
    if now is not None and origin <= now < origin + timedelta(days=plan.days):
        as_of = now if as_of is None else max(as_of, now)
    include = _plan_job_ids(plan) | set(extra)
    return load_day(session, territory, plan.day, as_of, plan.days, include=include, plan=plan, present=now)


def _history(td: TerritoryDay, route: m.Route) -> RouteSplit | None:
    """The route cut at the moment the day was loaded for, if it was loaded for one."""
    if td.as_of is None:
        return None
    visits = [StoredVisit(v.id, v.kind, v.job_id, v.start, v.end, v.collected_at) for v in route.visits]
    return split_route(visits, td.states.get(route.engineer_id), td.as_of)


def stored_items(td: TerritoryDay, plan: m.Plan) -> dict[str, list[Item]]:
    """Each stored route whose shift is in the problem, as its order of jobs, breaks and
    planned depot stops (``solver depot id#visit id``, loads in `stored_loads`). The break step
    stays where it was stored; a break the shift no longer has is dropped. When the day was
    loaded at a moment (``td.as_of``), its history is left out and the visit under way leads."""
    codes = {i: c for c, i in td.job_ids.items()}
    sids = {i: s for s, i in td.shift_ids.items()}
    shifts = {s.id: s for s in td.problem.shifts}
    solver_depot = {place: d for d, place in td.depots.items()}
    out: dict[str, list[Item]] = {}
    for route in plan.routes:
        sid = sids.get(route.shift_id)
        if sid is None:
            continue
        breaks = iter(b.id for b in shifts[sid].breaks)
        items: list[Item] = []
        split = _history(td, route)
        past = set(split.history) if split is not None else set()
        visits = sorted(
            (v for v in route.visits if v.id not in past),
            key=lambda v: v.id != (split.in_hand if split is not None else None),
        )
        for v in visits:
            if v.kind == "depot":
                if v.loads is not None and v.depot_id is not None:
                    source = v.loads.get("transfer_from")
                    key = solver_depot.get((v.depot_id, source), f"?depot {v.depot_id}")
                    items.append((StepType.DEPOT, f"{key}#{v.id}"))
                continue  # a booked pick-up is not in the day's problem; moves refuse its route
            if v.job_id is None:
                bid = next(breaks, None)
                if bid is not None:
                    items.append((StepType.BREAK, bid))
            elif v.job_id in codes:
                items.append((StepType.JOB, codes[v.job_id]))
            else:
                items.append((StepType.JOB, f"?{v.job_id}"))  # not checkable: the checker says so
        out[sid] = items
    return out


def stored_loads(plan: m.Plan) -> dict[int, tuple[tuple[str, int], ...]]:
    """Visit id → what the planned depot stop loads."""
    return {
        v.id: tuple(sorted((v.loads or {}).get("parts", {}).items()))
        for r in plan.routes
        for v in r.visits
        if v.kind == "depot"
    }


def _step(
    t: StepType, i: str, locations: dict[str, int], loads: dict[int, tuple[tuple[str, int], ...]]
) -> Step:
    if t is StepType.DEPOT:
        depot, _, visit = i.rpartition("#")
        return Step(type=t, id=depot, parts=loads.get(int(visit), ()))
    return Step(type=t, id=i, location=locations.get(i) if t is StepType.JOB else None)


def solution_of(
    problem: Problem,
    routes: dict[str, list[Item]],
    unassigned: list[Unassigned],
    loads: dict[int, tuple[tuple[str, int], ...]] | None = None,
) -> Solution:
    """A `Solution` the checker reads: only the order of steps matters to it, not times."""
    shifts = {s.id: s for s in problem.shifts}
    locations = {j.id: j.location for j in problem.jobs}
    built: list[Route] = []
    for sid, items in routes.items():
        shift = shifts[sid]
        steps = [Step(type=StepType.START, location=shift.start)]
        steps += [_step(t, i, locations, loads or {}) for t, i in items]
        steps.append(Step(type=StepType.END, location=shift.end))
        built.append(
            Route(
                shift_id=sid,
                engineer_id=shift.engineer_id,
                steps=tuple(steps),
                travel_time=0,
                distance=0,
                service=0,
                waiting_time=0,
                lateness=0,
            )
        )
    zero = Summary(
        cost=0,
        routes=len(built),
        assigned=0,
        unassigned=len(unassigned),
        served_priority=0,
        travel_time=0,
        distance=0,
        service=0,
        waiting_time=0,
        lateness=0,
        late_jobs=0,
        wall_time=0.0,
    )
    return Solution(status=Status.SOLVED, routes=tuple(built), unassigned=tuple(unassigned), summary=zero)


def _insertions(items: list[Item], job: str, position: int | None) -> list[list[Item]]:
    """Every way to put ``job`` at ``position`` (all positions if None) without moving the
    break relative to the other jobs: before or after a break sitting in that gap."""
    jobs_at = [k for k, (t, _) in enumerate(items) if t is StepType.JOB]
    positions = [position] if position is not None else list(range(1, len(jobs_at) + 2))
    out: list[list[Item]] = []
    for p in positions:
        lo = jobs_at[p - 2] + 1 if p >= 2 else 0
        hi = jobs_at[p - 1] if p <= len(jobs_at) else len(items)
        out += [[*items[:k], (StepType.JOB, job), *items[k:]] for k in range(lo, hi + 1)]
    return out


Known = frozenset[tuple[str, str | None, str | None]]  # (rule, shift, job) a route broke before


def _hard(
    report: CheckReport, shifts: set[str], jobs: set[str], known: Known = frozenset(), moved: str = ""
) -> list[tuple[str, str]]:
    """The hard rules the affected routes break, but for those they broke before the move
    (``known``: a day under way may be behind its plan), never on the moved job itself."""
    return [
        (v.rule.value, v.message)
        for v in report.violations
        if v.hard
        and (v.shift_id in shifts or (v.shift_id is None and v.job_id in jobs))
        and (v.job_id == moved or (v.rule.value, v.shift_id, v.job_id) not in known)
    ]


def move_job(
    session: Session, plan_id: int, move: Move, *, actor: str, now: datetime | None = None
) -> dict[str, Any]:
    """Move a job of a draft or published plan to ``move.engineer`` if the checker accepts
    both changed routes; store the re-timed routes, bump their versions, and return the plan.
    On a day under way the routes resume at ``now`` from where each engineer is.

    A job of the territory that is not in the plan may be moved in too (one created since, or
    one on another day's published plan: moving it here on purpose takes it off that day, so
    it stays on one published route). On a published plan its parts follow it to the van or
    depot that now serves it."""
    now = now or m.utcnow()
    plan = load_plan(session, plan_id)
    if plan.status is m.PlanStatus.SUPERSEDED:
        raise ConflictError("plan", f"plan {plan_id} is superseded; edit the published plan")
    job = session.scalars(select(m.Job).where(m.Job.code == move.job)).one_or_none()
    source = next((r for r in plan.routes for v in r.visits if job and v.job_id == job.id), None)
    left_out = next((u for u in plan.unassigned if job and u.job_id == job.id), None)
    if job is None or (
        source is None
        and left_out is None
        and session.get_one(m.Site, job.site_id).territory_id != plan.territory_id
    ):
        raise NotFoundError("job", f"no job {move.job!r} in plan {plan_id}'s territory")
    territory = session.get_one(m.Territory, plan.territory_id)
    span = {plan.day + timedelta(days=k) for k in range(plan.days)}
    held = held_elsewhere(session, plan.territory_id, span, now, territory.timezone, job_ids=[job.id])
    taken_from = held.get(job.id) if source is None and left_out is None else None
    if job.status not in PLANNABLE:
        raise ConflictError("job", f"job {job.code} is {job.status}; only jobs not yet under way can move")
    engineer = session.scalars(
        select(m.Engineer).where(
            m.Engineer.code == move.engineer, m.Engineer.territory_id == plan.territory_id
        )
    ).one_or_none()
    if engineer is None:
        raise NotFoundError("engineer", f"no engineer {move.engineer!r} in the plan's territory")
    day = move.day or (session.get_one(m.Shift, source.shift_id).day if source else plan.day)
    if not plan.day <= day < plan.day + timedelta(days=plan.days):
        raise InvalidInputError("day", f"plan {plan_id} covers {plan.day} + {plan.days - 1} days, not {day}")
    shift_row = session.scalars(
        select(m.Shift).where(m.Shift.engineer_id == engineer.id, m.Shift.day == day)
    ).one_or_none()

    td = plan_day(session, plan, now, extra=[job.id])
    sids = {i: s for s, i in td.shift_ids.items()}
    target_sid = sids.get(shift_row.id) if shift_row else None
    if shift_row is None or target_sid is None:
        raise InvalidInputError("engineer", f"{engineer.code} has no shift left to plan on {day}")
    source_sid = sids.get(source.shift_id) if source else None
    if source is not None and source_sid is None:
        raise ConflictError("job", f"job {job.code}'s route is past its shift; it cannot be re-planned")
    if job.code not in td.job_ids:
        raise ConflictError("job", f"job {job.code} has no window in plan {plan_id}'s days")
    target = next((r for r in plan.routes if r.shift_id == shift_row.id), None)
    with_pickups = [
        r for r in (source, target) if r and any(v.kind == "depot" and v.loads is None for v in r.visits)
    ]
    if with_pickups:
        names = ", ".join(sorted(_code(td, r) for r in with_pickups))
        raise ConflictError(
            "move",
            f"{names}'s route has a booked depot pick-up, which a manual move cannot re-time yet; re-plan",
        )
    _seen(td, [r for r in (source, target) if r is not None], move.versions)

    # The move overrides any earlier pin of this job; everything else is checked as it stands.
    problem = td.problem
    jobs = tuple(
        replace(j, pinned_engineer=None, pinned_rank=None) if j.id == job.code else j for j in problem.jobs
    )
    problem = replace(problem, jobs=jobs)
    routes = stored_items(td, plan)
    loads = stored_loads(plan)
    as_stored = {sid: list(items) for sid, items in routes.items()}
    target_shift = problem.shifts[problem.shift_index()[target_sid]]
    routes.setdefault(target_sid, [(StepType.BREAK, b.id) for b in target_shift.breaks])
    if source_sid is not None:
        routes[source_sid] = [it for it in routes[source_sid] if it != (StepType.JOB, job.code)]
    n_jobs = sum(1 for t, _ in routes[target_sid] if t is StepType.JOB)
    if move.position is not None and not 1 <= move.position <= n_jobs + 1:
        raise InvalidInputError("position", f"{engineer.code}'s route has places 1 to {n_jobs + 1} on {day}")
    code_of = {i: c for c, i in td.job_ids.items()}
    unassigned = [
        Unassigned(job_id=code_of[u.job_id], reason=REASONS.get(u.reason, Reason.CAPACITY))
        for u in plan.unassigned
        if u is not left_out and u.job_id in code_of
    ]
    affected = {target_sid} | ({source_sid} if source_sid else set())
    before = check(problem, solution_of(problem, as_stored, [*unassigned, *_left(left_out, job.code)], loads))
    known = frozenset((v.rule.value, v.shift_id, v.job_id) for v in before.violations if v.hard)
    candidates: list[_Candidate] = []
    for items in _insertions(routes[target_sid], job.code, move.position):
        trial = {**routes, target_sid: items}
        report = check(problem, solution_of(problem, trial, unassigned, loads))
        on_routes = {i for sid in affected for t, i in trial[sid] if t is StepType.JOB}
        candidates.append(_Candidate(report, _hard(report, affected, on_routes, known, job.code), trial))
    feasible = [c for c in candidates if not c.hard]
    if not feasible:
        closest = min(candidates, key=lambda c: len(c.hard))
        where = f"place {move.position}" if move.position else "any place"
        raise ConflictError(
            "move",
            f"{job.code} on {engineer.code}'s route at {where} breaks: "
            + "; ".join(f"{rule}: {msg}" for rule, msg in closest.hard),
            extra={"violations": [{"rule": r, "message": msg} for r, msg in closest.hard]},
        )
    best = min(
        feasible,
        key=lambda c: (c.report.schedules[target_sid].travel_time, c.report.schedules[target_sid].end),
    )

    _claim(session, [r for r in (source, target) if r is not None])
    if target is None:
        target = m.Route(
            shift_id=shift_row.id,
            engineer_id=engineer.id,
            start=td.origin,
            end=td.origin,
            travel_seconds=0,
            distance_m=0,
            version=1,
        )
        plan.routes.append(target)
    pairs = [(target_sid, target)]
    if source is not None and source_sid is not None and source is not target:
        pairs.append((source_sid, source))
    kept: dict[int, int] = {}  # route id → visits kept as history, first on the route
    for _sid, route in pairs:
        split = _history(td, route) if route.id is not None else None
        past = set(split.history) if split is not None else set()
        keep = sorted((v for v in route.visits if v.id in past), key=lambda v: v.start)
        route.visits[:] = keep
        for n, v in enumerate(keep, start=1):
            v.seq = -n  # out of the way of the renumbered visits (unique route, seq)
        kept[id(route)] = len(keep)
    try:
        session.flush()  # old visits gone before the renumbered ones arrive (unique route, seq)
    except IntegrityError:  # another move created this engineer's route first
        raise ConflictError("plan", "plan changed, reload") from None
    for sid, route in pairs:
        shift = problem.shifts[problem.shift_index()[sid]]
        stops = [
            (i, loads.get(int(i.rpartition("#")[2]), ())) for t, i in best.items[sid] if t is StepType.DEPOT
        ]
        schedule = best.report.schedules[sid]
        _retime(td, best.report, schedule, shift.time_window.start, route, stops, kept[id(route)])

    if left_out is not None:
        plan.unassigned.remove(left_out)
    if taken_from is not None:
        take_off_routes(session, job, [taken_from.plan_id])
    if plan.status is m.PlanStatus.PUBLISHED and job.status is m.JobStatus.NEW:
        transition(session, job, m.JobStatus.SCHEDULED, actor=actor, note=f"moved in plan {plan_id}")
    job.engineer_id, job.pinned = engineer.id, move.pin
    if plan.status is m.PlanStatus.PUBLISHED:
        reserve_for_job(session, job, engineer.id)  # parts follow the job to whoever now has it
    _update_kpis(plan, left_out)
    session.flush()
    return plan_document(session, plan.id)


def _left(left_out: m.UnassignedJob | None, code: str) -> list[Unassigned]:
    return [Unassigned(job_id=code, reason=REASONS.get(left_out.reason, Reason.CAPACITY))] if left_out else []


def _code(td: TerritoryDay, route: m.Route) -> str:
    return next((c for c, i in td.engineer_ids.items() if i == route.engineer_id), str(route.engineer_id))


def _seen(td: TerritoryDay, routes: list[m.Route], seen: dict[str, int] | None) -> None:
    """The caller's view must be current for the routes the move rewrites."""
    for route in routes:
        code = _code(td, route)
        expected = (seen or {}).get(code)
        if expected is not None and expected != route.version:
            raise ConflictError(
                "plan", f"{code}'s route is at version {route.version}, you saw {expected}; reload"
            )


def _claim(session: Session, routes: list[m.Route]) -> None:
    """Optimistic lock on the routes a move rewrites: another writer that bumped a version
    since this transaction read it wins, and this move is refused."""
    for route in dict.fromkeys(routes):
        read = route.version
        result = session.execute(
            update(m.Route)
            .where(m.Route.id == route.id, m.Route.version == read)
            .values(version=read + 1)
            .execution_options(synchronize_session=False)
        )
        if cast(CursorResult[Any], result).rowcount != 1:
            raise ConflictError("plan", "plan changed, reload")
        route.version = read + 1


def _retime(
    td: TerritoryDay,
    report: CheckReport,
    schedule: RouteSchedule,
    shift_start: int,
    route: m.Route,
    stops: list[tuple[str, tuple[tuple[str, int], ...]]],
    kept: int = 0,
) -> None:
    """Store the checker's schedule: visits renumbered after the ``kept`` history (1..kept)
    with arrival, start, end, waiting, SLA lateness; the engineer leaves late rather than wait
    at the first door. ``stops``: the route's depot items in order with their loads."""
    steps = schedule.steps
    depot_stops = iter(stops)
    for n, v in enumerate(route.visits[:kept], start=1):
        v.seq = n
    delay = steps[0].start - steps[0].arrival if steps and steps[0].type is StepType.JOB and not kept else 0
    if not kept:
        route.start = td.at(shift_start + delay)
    route.end = td.at(schedule.end)
    history = td.kept.get(route.shift_id)
    route.travel_seconds = schedule.travel_time + (history.travel_seconds if history else 0)
    route.distance_m = schedule.distance + (history.distance_m if history else 0)
    for seq, st in enumerate(steps, kept + 1):
        is_job = st.type is StepType.JOB
        arrival = st.arrival + (delay if seq == 1 else 0)
        depot_id, source, parts = None, None, None
        if st.type is StepType.DEPOT:
            key, parts = next(depot_stops)
            depot_id, source = td.depots[key.rpartition("#")[0]]
        route.visits.append(
            m.Visit(
                seq=seq,
                kind=st.type.value,
                job_id=td.job_ids[st.id] if is_job else None,
                depot_id=depot_id,
                loads={"parts": dict(parts), "transfer_from": source} if parts is not None else None,
                arrival=td.at(arrival),
                start=td.at(st.start),
                end=td.at(st.end),
                waiting_seconds=st.waiting - (delay if seq == 1 else 0),
                late_seconds=report.lateness.get(st.id, 0) if is_job else 0,
            )
        )


def _update_kpis(plan: m.Plan, placed: m.UnassignedJob | None) -> None:
    kpis = dict(plan.kpis)
    if placed is not None:
        kpis["served"] = int(kpis.get("served", 0)) + 1
        kpis["unassigned"] = max(0, int(kpis.get("unassigned", 0)) - 1)
        reasons = {k: int(v) for k, v in dict(kpis.get("unassigned_by_reason", {})).items()}
        reasons[placed.reason] = reasons.get(placed.reason, 0) - 1
        kpis["unassigned_by_reason"] = {k: v for k, v in sorted(reasons.items()) if v > 0}
    kpis["routes"] = sum(1 for r in plan.routes if any(v.job_id is not None for v in r.visits))
    kpis["travel_km"] = round(sum(r.distance_m for r in plan.routes) / 1000, 1)
    kpis["travel_hours"] = round(sum(r.travel_seconds for r in plan.routes) / 3600, 2)
    plan.kpis = kpis  # a new dict: JSON columns do not track changes inside one


def unpin(session: Session, plan_id: int, code: str) -> dict[str, Any]:
    """Let re-plans move the job again (it stays where it is in this plan)."""
    plan = load_plan(session, plan_id)
    job = session.scalars(select(m.Job).where(m.Job.code == code)).one_or_none()
    if job is None or job.id not in _plan_job_ids(plan):
        raise NotFoundError("job", f"no job {code!r} in plan {plan_id}")
    job.pinned = False
    session.flush()
    return plan_document(session, plan.id)

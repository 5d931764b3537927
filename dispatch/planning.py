"""The planning service: a territory-day from the database → solver `Problem` → plan checked by
the independent checker → stored whole (routes, visits with ETAs, unassigned with reasons,
KPIs) in one transaction, or not at all.

`run_plan` is the unit of work: it takes only a database URL and a run id, so it runs the
same in a local process pool (the default) or in a distributed worker.
"""

from __future__ import annotations

import time
import uuid
from collections import Counter
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from dispatch import models as m
from dispatch.day_plans import MAX_HORIZON_DAYS, current_plan, held_elsewhere
from dispatch.db import hold_write_lock, make_engine, session_factory, transaction
from dispatch.errors import InvalidInputError, NotFoundError
from dispatch.field_state import (
    FieldState,
    Place,
    RouteSplit,
    StoredVisit,
    drive_seconds,
    field_states,
    lunch_window,
    path_length,
    split_route,
)
from dispatch.lifecycle import OPEN
from dispatch.settings import get_settings
from solver import Break, Job, Location, Problem, Shift, Solution, SolveParams, TimeWindow, check, solve
from solver.insertion import PICKUP_SERVICE
from solver.model import Depot, StepType
from solver.travel import GreatCircleProvider

PLANNABLE = frozenset({m.JobStatus.NEW, m.JobStatus.SCHEDULED, m.JobStatus.DISPATCHED})


@dataclass(frozen=True, slots=True)
class KeptVisit:
    """A visit of the day that is history when re-planning (finished, a collected depot stop,
    a break begun): stored as it happened, ahead of what the solver plans."""

    kind: str
    job_id: int | None
    depot_id: int | None
    loads: dict[str, Any] | None
    collected_at: datetime | None
    arrival: datetime
    start: datetime
    end: datetime
    under_way: bool = False  # the visit in hand: on site, or en route arriving at ``arrival``


@dataclass(frozen=True, slots=True)
class Kept:
    """One engineer-shift's history at the re-plan moment: its visits, the travel to make them,
    and the promises they kept."""

    engineer_id: int
    route_start: datetime
    visits: tuple[KeptVisit, ...]
    travel_seconds: int
    distance_m: int
    sla_due: int
    sla_met: int


@dataclass(frozen=True, slots=True)
class TerritoryDay:
    """A solver problem plus the keys to map its answer back to rows."""

    territory_id: int
    day: date
    days: int
    origin: datetime  # local midnight of ``day``, in UTC; solver second 0
    problem: Problem
    job_ids: dict[str, int]  # solver job id (code) → job.id
    shift_ids: dict[str, int]  # solver shift id → shift.id
    engineer_ids: dict[str, int]  # engineer code → engineer.id
    depots: dict[str, tuple[int, int | None]]  # solver depot id → (depot.id, transfer source depot.id)
    as_of: datetime | None = None
    states: dict[int, FieldState] = field(default_factory=dict)  # engineer id → state at ``as_of``
    kept: dict[int, Kept] = field(default_factory=dict)  # shift.id → its history at ``as_of``
    shift_seconds: int = 0  # every engineer on shift in the horizon, whole shifts
    notes: tuple[str, ...] = ()  # rules that gave way (a lunch moved after a visit under way)

    def at(self, seconds: int) -> datetime:
        return self.origin + timedelta(seconds=seconds)


def list_territories(session: Session) -> list[m.Territory]:
    return list(session.scalars(select(m.Territory).order_by(m.Territory.code)))


def territory_codes(session: Session) -> dict[int, str]:
    return {t.id: t.code for t in session.scalars(select(m.Territory))}


def territory_by_code(session: Session, code: str) -> m.Territory:
    territory = session.scalars(select(m.Territory).where(m.Territory.code == code)).one_or_none()
    if territory is None:
        known = ", ".join(session.scalars(select(m.Territory.code).order_by(m.Territory.code)))
        raise NotFoundError("territory", f"no territory {code!r} (known: {known or 'none'})")
    return territory


def load_day(
    session: Session,
    territory: m.Territory,
    day: date,
    as_of: datetime | None = None,
    days: int = 1,
    *,
    include: Collection[int] = (),
    ordered_at: datetime | None = None,
    plan: m.Plan | None = None,
    present: datetime | None = None,
) -> TerritoryDay:
    """The solver's view of a territory-day. With ``as_of`` (in-day re-planning) each route
    resumes from where the engineer's day stands (`dispatch.field_state`): a visit under way
    stays theirs and first (on site since its real start, or en route arriving at the ETA
    from when they left), the rest starts from there, else from the last visit finished, else
    home, never before ``as_of``. Finished visits, depot stops made and a break begun (read
    from ``plan``, default the plan of record) are history: kept in ``TerritoryDay.kept``, not
    planned again. A lunch whose window closed counts as taken; one the visit under way
    overruns moves to right after it (``notes`` says so). Jobs in ``include`` are loaded
    whatever their status (checking a stored plan whose jobs moved on since); jobs another
    published day not over at ``present`` (default ``as_of``, else now) holds are not
    (`day_plans.held_elsewhere`: a job is on at most one published, unfinished route).

    Parts: each job's needs, each van's and territory depot's free stock (units held for jobs
    of this problem count as free: a new plan re-decides them), and stock held outside the
    territory that a transfer ordered at ``ordered_at`` (default: ``as_of``, else the present) would bring
    to a territory depot: a second solver depot there whose window opens on arrival."""
    origin = local_midnight(day, territory.timezone)
    if not 1 <= days <= MAX_HORIZON_DAYS:
        raise InvalidInputError("days", f"a horizon is 1 to {MAX_HORIZON_DAYS} days (got {days})")
    horizon_end = origin + timedelta(days=days + 1)

    def sec(t: datetime) -> int:
        return int((t - origin).total_seconds())

    shifts_rows = session.scalars(
        select(m.Shift)
        .join(m.Engineer)
        .where(
            m.Engineer.territory_id == territory.id,
            m.Engineer.active,
            m.Shift.day >= day,
            m.Shift.day < day + timedelta(days=days),
        )
        .options(selectinload(m.Shift.engineer).selectinload(m.Engineer.skills))
        .order_by(m.Engineer.code, m.Shift.day)
    ).all()
    states: dict[int, FieldState] = {}
    splits: dict[int, RouteSplit] = {}  # shift.id → its stored route cut at ``as_of``
    stored: dict[int, m.Route] = {}
    if as_of is not None:
        states = field_states(session, {r.engineer_id for r in shifts_rows}, origin, as_of)
        record = plan or current_plan(session, territory.id, day)
        if record is not None:
            for route in record.routes:
                stored[route.shift_id] = route
                splits[route.shift_id] = split_route(
                    [_stored(v) for v in route.visits], states.get(route.engineer_id), as_of
                )
    history = {j for st in states.values() for j in st.job_ids}
    span = {day + timedelta(days=k) for k in range(days)}
    held_by = held_elsewhere(session, territory.id, span, present or as_of or m.utcnow(), territory.timezone)
    jobs_rows = [
        jr
        for jr in session.scalars(
            select(m.Job)
            .join(m.Site)
            .where(
                m.Site.territory_id == territory.id,
                or_(m.Job.status.in_(PLANNABLE), m.Job.id.in_(include))
                if include
                else m.Job.status.in_(PLANNABLE),
            )
            .options(selectinload(m.Job.skills), selectinload(m.Job.windows))
            .order_by(m.Job.code)
        ).all()
        if (jr.id not in history or jr.status in PLANNABLE)  # finished, then sent back for a return visit
        and (jr.id not in held_by or jr.id in include)
    ]
    now = sec(as_of) if as_of is not None else None
    sites = {s.id: s for s in session.scalars(select(m.Site).where(m.Site.territory_id == territory.id))}
    locations: list[Location] = []
    site_index: dict[int, int] = {}
    home_index: dict[int, int] = {}

    def site_location(site_id: int) -> int:
        if site_id not in site_index:
            site = sites[site_id]
            site_index[site_id] = len(locations)
            locations.append(Location(lat=site.lat, lon=site.lon, name=site.code))
        return site_index[site_id]

    shifts: list[Shift] = []
    shift_ids: dict[str, int] = {}
    kept: dict[int, Kept] = {}
    notes: list[str] = []
    engineer_codes = {
        e.id: e.code
        for e in session.scalars(select(m.Engineer).where(m.Engineer.territory_id == territory.id))
    }
    for row in shifts_rows:
        eng = row.engineer
        if eng.id not in home_index:
            home_index[eng.id] = len(locations)
            locations.append(Location(lat=eng.home_lat, lon=eng.home_lon, name=f"home {eng.code}"))
        start_loc, start_at, end_at = home_index[eng.id], sec(row.start), sec(row.end)
        # Where the engineer's day stands matters for the day of ``as_of`` only; later days
        # start from home.
        today = as_of is not None and row.day == day
        state = states.get(eng.id) if today else None
        split = splits.get(row.id) if today else None
        hand = state.in_hand if state is not None else None
        home_place = Place(None, eng.home_lat, eng.home_lon)
        if now is not None and today:
            start_at = max(start_at, now)
            if split is not None and split.break_end is not None:
                start_at = max(start_at, sec(split.break_end))  # on a break begun before as_of
            if state is not None:
                # The visit under way is history like the finished ones (it always stays): the
                # route resumes where and when it ends, and lasts until the engineer is home.
                start_at = max(start_at, sec(state.free_at))
                if state.free_from.site_id is not None:
                    start_loc = site_location(state.free_from.site_id)
                if hand is not None:
                    end_at = max(end_at, sec(hand.end) + drive_seconds(state.free_from, home_place))
            if state is not None or split is not None:
                kept[row.id] = _kept(session, row, state, split, stored.get(row.id), home_place)
        breaks: tuple[Break, ...] = ()
        if row.break_minutes and row.break_earliest and row.break_latest_end:
            taken = split is not None and split.break_taken
            free = row.start if now is None or not today else origin + timedelta(seconds=start_at)
            lunch = (
                None
                if taken
                else lunch_window(
                    row.break_earliest,
                    row.break_latest_end,
                    row.break_minutes,
                    free,
                    as_of=as_of if today else None,
                )
            )
            if lunch is not None:
                if lunch.moved:
                    code = session.get_one(m.Job, hand.job_id).code if hand is not None else "?"
                    moved_to = lunch.earliest.astimezone(ZoneInfo(territory.timezone))
                    notes.append(
                        f"{eng.code}'s lunch moves to {moved_to:%H:%M}, after the visit under way at {code}"
                    )
                    back = sec(lunch.earliest) + row.break_minutes * 60
                    where = state.free_from if state is not None else home_place
                    end_at = max(end_at, back + drive_seconds(where, home_place))
                if row.break_minutes * 60 <= end_at - start_at:
                    breaks = (
                        Break(
                            id=f"{eng.code}/lunch",
                            time_windows=(TimeWindow(start=sec(lunch.earliest), end=sec(lunch.latest)),),
                            duration=row.break_minutes * 60,
                        ),
                    )
        if start_at >= end_at:
            continue  # this engineer's day is over
        sid = f"{eng.code}/{row.day.isoformat()}"
        shift_ids[sid] = row.id
        shifts.append(
            Shift(
                id=sid,
                engineer_id=eng.code,
                start=start_loc,
                end=home_index[eng.id],
                time_window=TimeWindow(start=start_at, end=end_at),
                skills=tuple((s.skill, s.level) for s in eng.skills),
                breaks=breaks,
                max_jobs=row.max_jobs,
            )
        )
    tiers = {p.id: p.tier for p in session.scalars(select(m.SlaPolicy))}
    jobs: list[Job] = []
    job_ids: dict[str, int] = {}
    for jr in jobs_rows:
        windows = tuple(
            TimeWindow(start=max(0, sec(w.start)), end=sec(w.end))
            for w in jr.windows
            if w.end > origin and w.start < horizon_end
        )
        if jr.windows and not windows:
            continue  # booked for another day
        engineer = engineer_codes.get(jr.engineer_id) if jr.engineer_id else None
        pinned = engineer if jr.pinned else None
        job_ids[jr.code] = jr.id
        jobs.append(
            Job(
                id=jr.code,
                location=site_location(jr.site_id),
                service=jr.duration_minutes * 60,
                time_windows=windows,
                skills=tuple((s.skill, s.min_level) for s in jr.skills),
                deadline=max(0, sec(jr.response_deadline)) if jr.response_deadline else None,
                sla_tier=tiers.get(jr.sla_policy_id, 0) if jr.sla_policy_id else 0,
                priority=jr.priority,
                pinned_engineer=pinned,
                previous_engineer=engineer,
            )
        )
    if not locations:
        raise InvalidInputError("territory", f"{territory.code} has neither shifts nor jobs on {day}")
    ordered = sec(ordered_at or as_of or m.utcnow())
    last_shift_end = max((sh.time_window.end for sh in shifts), default=0)
    supply = _parts_supply(session, territory, job_ids, ordered, last_shift_end)
    jobs = [replace(j, parts=supply.needs.get(j.id, ())) for j in jobs]
    shifts = [replace(sh, stock=supply.vans.get(sh.engineer_id, ())) for sh in shifts]
    depots: list[Depot] = []
    for place, held, opens, source in supply.depots:
        depots.append(
            Depot(
                id=place.code if source is None else f"{place.code}<{source.code}",
                location=len(locations),
                service=PICKUP_SERVICE,
                stock=held,
                time_window=None
                if opens is None
                else TimeWindow(start=opens, end=max(opens, sec(horizon_end))),
            )
        )
        locations.append(Location(lat=place.lat, lon=place.lon, name=f"depot {place.code}"))
    matrix = GreatCircleProvider().matrix(locations)
    problem = Problem(
        locations=tuple(locations),
        matrix=matrix,
        jobs=tuple(jobs),
        shifts=tuple(shifts),
        depots=tuple(depots),
    )
    return TerritoryDay(
        territory.id,
        day,
        days,
        origin,
        problem,
        job_ids,
        shift_ids,
        {c: i for i, c in engineer_codes.items()},
        {
            d.id: (row.id, None if source is None else source.id)
            for d, (row, _, _, source) in zip(depots, supply.depots, strict=True)
        },
        as_of=as_of,
        states=states,
        kept=kept,
        shift_seconds=int(sum((r.end - r.start).total_seconds() for r in shifts_rows)),
        notes=tuple(notes),
    )


def local_midnight(day: date, tz: str) -> datetime:
    """Solver second 0 of a territory-day: the local midnight starting ``day``, in UTC."""
    return datetime.combine(day, datetime.min.time(), ZoneInfo(tz)).astimezone(UTC)


def _stored(v: m.Visit) -> StoredVisit:
    return StoredVisit(v.id, v.kind, v.job_id, v.start, v.end, v.collected_at)


def _kept(
    session: Session,
    shift: m.Shift,
    state: FieldState | None,
    split: RouteSplit | None,
    route: m.Route | None,
    home_place: Place,
) -> Kept:
    """An engineer-shift's history: finished visits as their events timed them, depot stops
    made and a break begun as the stored route had them; the travel from home through them."""
    visits: list[KeptVisit] = []
    by_id = {v.id: v for v in route.visits} if route is not None else {}
    for vid in split.history if split is not None else ():
        v = by_id[vid]
        if v.job_id is None:
            visits.append(
                KeptVisit(v.kind, None, v.depot_id, v.loads, v.collected_at, v.arrival, v.start, v.end)
            )
    for d in state.done if state is not None else ():
        visits.append(KeptVisit("job", d.job_id, None, None, None, d.arrival, d.arrival, d.end))
    hand = state.in_hand if state is not None else None
    if hand is not None:
        arrival = hand.since if hand.status is m.JobStatus.ON_SITE else hand.start
        visits.append(KeptVisit("job", hand.job_id, None, None, None, arrival, hand.start, hand.end, True))
    visits.sort(key=lambda k: (k.start, k.end))
    places = [home_place]
    depot_ids = {k.depot_id for k in visits if k.depot_id is not None}
    job_ids = {k.job_id for k in visits if k.job_id is not None}
    depots = {d.id: d for d in session.scalars(select(m.Depot).where(m.Depot.id.in_(depot_ids)))}
    jobs = {j.id: j for j in session.scalars(select(m.Job).where(m.Job.id.in_(job_ids)))}
    site_ids = {j.site_id for j in jobs.values()}
    sites = {s.id: s for s in session.scalars(select(m.Site).where(m.Site.id.in_(site_ids)))}
    due = met = 0
    for k in visits:
        if k.job_id is not None:
            job = jobs[k.job_id]
            site = sites[job.site_id]
            places.append(Place(site.id, site.lat, site.lon))
            if job.response_deadline is not None and job.response_deadline <= shift.end:
                due += 1
                met += k.start <= job.response_deadline
        elif k.depot_id is not None:
            depot = depots[k.depot_id]
            places.append(Place(None, depot.lat, depot.lon))
    travel, metres = path_length(places)
    start = route.start if route is not None else (visits[0].arrival if visits else shift.start)
    return Kept(shift.engineer_id, start, tuple(visits), travel, metres, due, met)


@dataclass(frozen=True, slots=True)
class _Supply:
    needs: dict[str, tuple[tuple[str, int], ...]]  # job code → (sku, quantity)
    vans: dict[str, tuple[tuple[str, int], ...]]  # engineer code → free (sku, quantity)
    # (territory depot, its free stock, opens at (transfers), transfer source depot)
    depots: list[tuple[m.Depot, tuple[tuple[str, int], ...], int | None, m.Depot | None]]


def _parts_supply(
    session: Session, territory: m.Territory, job_ids: dict[str, int], now: int, last_shift_end: int
) -> _Supply:
    """What the problem's jobs need and where it is free: vans of the territory's engineers,
    its depots, and depots elsewhere with a lane to one of them (the fastest lane only, so no
    unit is offered twice)."""
    codes = {i: c for c, i in job_ids.items()}
    needs: dict[str, list[tuple[str, int]]] = {}
    for job_id, sku, qty in session.execute(
        select(m.JobPart.job_id, m.Part.sku, m.JobPart.quantity)
        .join(m.Part, m.Part.id == m.JobPart.part_id)
        .where(m.JobPart.job_id.in_(list(codes)))
    ):
        needs.setdefault(codes[job_id], []).append((sku, qty))
    if not needs:
        return _Supply({}, {}, [])
    wanted = {sku for parts in needs.values() for sku, _ in parts}
    held_here: dict[int, int] = {}  # stock id → units reserved for this problem's jobs
    for stock_id, qty in session.execute(
        select(m.PartReservation.stock_id, m.PartReservation.quantity).where(
            m.PartReservation.job_id.in_(list(codes)),
            m.PartReservation.status == m.ReservationStatus.RESERVED,
        )
    ):
        held_here[stock_id] = held_here.get(stock_id, 0) + qty
    own = session.scalars(
        select(m.Depot).where(m.Depot.territory_id == territory.id).order_by(m.Depot.code)
    ).all()
    lanes = session.execute(
        select(m.DepotLane, m.Depot)
        .join(m.Depot, m.Depot.id == m.DepotLane.from_depot_id)
        .where(m.DepotLane.to_depot_id.in_([d.id for d in own]), m.Depot.territory_id != territory.id)
        .order_by(m.DepotLane.lead_minutes, m.DepotLane.to_depot_id)
    ).all()
    fastest: dict[int, tuple[m.DepotLane, m.Depot]] = {}
    for lane, source in lanes:
        fastest.setdefault(source.id, (lane, source))
    engineer_codes = {
        i: c
        for i, c in session.execute(
            select(m.Engineer.id, m.Engineer.code).where(m.Engineer.territory_id == territory.id)
        )
    }
    # ("van", engineer id) or ("depot", depot id) → sku → free units
    free: dict[tuple[str, int], dict[str, int]] = {}
    for stock, sku in session.execute(
        select(m.Stock, m.Part.sku)
        .join(m.Part, m.Part.id == m.Stock.part_id)
        .where(
            m.Part.sku.in_(wanted),
            m.Stock.engineer_id.in_(list(engineer_codes))
            | m.Stock.depot_id.in_([d.id for d in own] + list(fastest)),
        )
    ):
        units = stock.quantity - stock.reserved + held_here.get(stock.id, 0)
        if units > 0:
            key = (
                ("van", stock.engineer_id)
                if stock.engineer_id is not None
                else ("depot", stock.depot_id or 0)
            )
            free.setdefault(key, {})[sku] = units
    vans = {
        engineer_codes[i]: tuple(sorted(units.items())) for (kind, i), units in free.items() if kind == "van"
    }
    depots: list[tuple[m.Depot, tuple[tuple[str, int], ...], int | None, m.Depot | None]] = [
        (d, tuple(sorted(free[("depot", d.id)].items())), None, None) for d in own if ("depot", d.id) in free
    ]
    by_id = {d.id: d for d in own}
    for lane, source in fastest.values():
        if ("depot", source.id) in free and now + lane.lead_minutes * 60 < last_shift_end:
            offered = tuple(sorted(free[("depot", source.id)].items()))
            depots.append((by_id[lane.to_depot_id], offered, max(0, now + lane.lead_minutes * 60), source))
    return _Supply({c: tuple(p) for c, p in needs.items()}, vans, depots)


def kpis(td: TerritoryDay, solution: Solution) -> dict[str, Any]:
    """What a dispatcher reads first: served, why the rest is not, promises kept, km, utilisation.

    A re-plan's figures cover the whole day: visits finished before it count as served (and
    ``done``), with the travel that made them. Utilisation is time on site over the whole
    shifts of every engineer on shift in the horizon, used by the plan or not."""
    p, s = td.problem, solution.summary
    kept = list(td.kept.values())
    made = [v for k in kept for v in k.visits if v.job_id is not None]  # finished or under way
    day_end = max((sh.time_window.end for sh in p.shifts), default=0)
    due = [
        j for j in p.jobs if j.deadline is not None and j.deadline <= day_end
    ]  # promises falling due today
    served = {j for r in solution.routes for j in r.job_ids()}
    late = {st.id for r in solution.routes for st in r.steps if st.type is StepType.JOB and st.lateness > 0}
    met = sum(1 for j in due if j.id in served and j.id not in late) + sum(k.sla_met for k in kept)
    shift_seconds = td.shift_seconds or sum(sh.time_window.end - sh.time_window.start for sh in p.shifts)
    on_site = s.service + sum(int((v.end - v.start).total_seconds()) for v in made)
    distance = s.distance + sum(k.distance_m for k in kept)
    travel = s.travel_time + sum(k.travel_seconds for k in kept)
    routed = {r.shift_id for r in solution.routes}
    only_kept = sum(1 for sid, k in td.kept.items() if k.visits and not _has_route(td, sid, routed))
    out: dict[str, Any] = {
        "jobs": len(p.jobs) + len(made),
        "served": s.assigned + len(made),
        "done": sum(1 for v in made if not v.under_way),
        "unassigned": s.unassigned,
        "unassigned_by_reason": dict(sorted(Counter(u.reason.value for u in solution.unassigned).items())),
        "sla_due": len(due) + sum(k.sla_due for k in kept),
        "sla_met": met,
        "sla_late": len(late),
        "travel_km": round(distance / 1000, 1),
        "travel_hours": round(travel / 3600, 2),
        "utilisation": round(on_site / shift_seconds, 3) if shift_seconds else 0.0,
        "engineers": len({sh.engineer_id for sh in p.shifts} | {k.engineer_id for k in kept}),
        "depot_stops": sum(1 for r in solution.routes for st in r.steps if st.type is StepType.DEPOT),
        "routes": s.routes + only_kept,
    }
    if td.notes:
        out["notes"] = list(td.notes)
    return out


def _has_route(td: TerritoryDay, shift_row: int, routed: set[str]) -> bool:
    return any(td.shift_ids.get(sid) == shift_row for sid in routed)


def store_plan(session: Session, td: TerritoryDay, solution: Solution, solve_seconds: float) -> m.Plan:
    """The plan as the solver made it, behind each route's history when re-planning (visits
    finished, stops made: `TerritoryDay.kept`), so the plan of record keeps the whole day."""
    plan = m.Plan(
        territory_id=td.territory_id,
        day=td.day,
        days=td.days,
        objective=solution.summary.cost,
        kpis=kpis(td, solution),
        solve_seconds=round(solve_seconds, 2),
    )
    routed: set[int] = set()
    for r in solution.routes:
        shift_row = td.shift_ids[r.shift_id]
        routed.add(shift_row)
        kept = td.kept.get(shift_row)
        route = m.Route(
            shift_id=shift_row,
            engineer_id=td.engineer_ids[r.engineer_id],
            start=td.at(r.steps[0].arrival) if kept is None else kept.route_start,
            end=td.at(r.steps[-1].arrival),
            travel_seconds=r.travel_time + (kept.travel_seconds if kept else 0),
            distance_m=r.distance + (kept.distance_m if kept else 0),
        )
        seq = _keep(route, kept)
        for st, begin in zip(r.steps, r.service_starts(), strict=True):
            if st.type not in (StepType.JOB, StepType.BREAK, StepType.DEPOT):
                continue
            seq += 1
            depot_id, source_id = td.depots[st.id or ""] if st.type is StepType.DEPOT else (None, None)
            route.visits.append(
                m.Visit(
                    seq=seq,
                    kind=st.type.value,
                    job_id=td.job_ids[st.id] if st.type is StepType.JOB and st.id else None,
                    depot_id=depot_id,
                    loads={"parts": dict(st.parts), "transfer_from": source_id}
                    if st.type is StepType.DEPOT
                    else None,
                    arrival=td.at(st.arrival),
                    start=td.at(begin),
                    end=td.at(begin + st.service),
                    waiting_seconds=st.waiting_time,
                    late_seconds=st.lateness,
                )
            )
        plan.routes.append(route)
    for shift_row, kept in td.kept.items():
        if shift_row in routed or not kept.visits:
            continue
        route = m.Route(
            shift_id=shift_row,
            engineer_id=kept.engineer_id,
            start=kept.route_start,
            end=kept.visits[-1].end,
            travel_seconds=kept.travel_seconds,
            distance_m=kept.distance_m,
        )
        _keep(route, kept)
        plan.routes.append(route)
    for u in solution.unassigned:
        plan.unassigned.append(
            m.UnassignedJob(job_id=td.job_ids[u.job_id], reason=u.reason.value, detail=u.detail)
        )
    session.add(plan)
    session.flush()
    return plan


def _keep(route: m.Route, kept: Kept | None) -> int:
    """Put the history first on ``route``; returns the last sequence number used."""
    for seq, v in enumerate(kept.visits if kept is not None else (), start=1):
        route.visits.append(
            m.Visit(
                seq=seq,
                kind=v.kind,
                job_id=v.job_id,
                depot_id=v.depot_id,
                loads=v.loads,
                collected_at=v.collected_at,
                arrival=v.arrival,
                start=v.start,
                end=v.end,
            )
        )
    return len(kept.visits) if kept is not None else 0


def create_run(
    session: Session,
    territory: m.Territory,
    day: date,
    requested_by: str = "",
    as_of: datetime | None = None,
    days: int = 1,
) -> m.PlanRun:
    """Queue a plan of ``days`` days from ``day``; with ``as_of`` it re-plans from that moment.

    One active run per territory-day: while one is queued or running another is refused (409
    naming it), here and, against a race past this check, by the index ``uq_plan_run_active``.
    The run is held by this process (``worker``) until a worker claims it (`dispatch.run_watch`)."""
    from sqlalchemy.exc import IntegrityError

    from dispatch.run_watch import worker_id

    if not 1 <= days <= 14:
        raise InvalidInputError("days", f"a horizon is 1 to 14 days (got {days})")
    hold_write_lock(session)  # SQLite: a concurrent create waits here, then sees this one
    _refuse_second_run(session, territory, day)
    run = m.PlanRun(
        id=str(uuid.uuid4()),
        territory_id=territory.id,
        day=day,
        requested_by=requested_by,
        as_of=as_of,
        days=days,
        worker=worker_id(),
        heartbeat_at=m.utcnow(),
    )
    try:
        with session.begin_nested():
            session.add(run)
            session.flush()
    except IntegrityError:  # a concurrent create committed first: name its run
        _refuse_second_run(session, territory, day)
        raise
    return run


def _refuse_second_run(session: Session, territory: m.Territory, day: date) -> None:
    """A 409 naming the territory-day's queued or running run, if it has one."""
    from dispatch.errors import ConflictError

    active = session.scalars(
        select(m.PlanRun).where(
            m.PlanRun.territory_id == territory.id,
            m.PlanRun.day == day,
            m.PlanRun.status.in_((m.RunStatus.QUEUED, m.RunStatus.RUNNING)),
        )
    ).first()
    if active is not None:
        raise ConflictError(
            "day",
            f"{territory.code} on {day} already has plan run {active.id} ({active.status.value}); "
            "one run per territory-day at a time: wait for it to end",
            extra={"active_run": {"id": active.id, "status": active.status.value}},
        )


def run_plan(
    database_url: str,
    run_id: str,
    time_limit: float,
    *,
    on_stored: Callable[[Session, m.Plan], None] | None = None,
    heartbeat_seconds: float | None = None,
    workers: int | None = None,
) -> str:
    """Execute one queued run to the end; returns its final status. Never raises for a
    failed plan: whatever goes wrong once the run is claimed (loading the day included) ends
    it ``failed`` with the reason, and nothing else is written. A run that is not queued (the
    sweep ended it, or another worker claimed it) is left as it is.

    While it executes, the run names this process and beats every ``heartbeat_seconds``
    (default `run_watch.HEARTBEAT_SECONDS`), so the sweep can tell if this process dies.
    ``workers``: search chains (default `Settings.chains`: the cores left per plan run at once)."""
    from dispatch.run_watch import HEARTBEAT_SECONDS

    engine = make_engine(database_url)
    factory = session_factory(engine)
    try:
        chains = workers or get_settings().chains()
        return _run(factory, run_id, time_limit, on_stored, heartbeat_seconds or HEARTBEAT_SECONDS, chains)
    finally:
        engine.dispose()


def _run(
    factory: sessionmaker[Session],
    run_id: str,
    time_limit: float,
    on_stored: Callable[[Session, m.Plan], None] | None,
    heartbeat_seconds: float,
    workers: int = 1,
) -> str:
    from dispatch import run_watch

    me = run_watch.worker_id()
    with transaction(factory) as s:
        claimed = run_watch.claim(s, run_id, me)
        run = s.get(m.PlanRun, run_id)
        if run is None:
            raise NotFoundError("run", f"no plan run {run_id!r}")
    if not claimed:
        return run.status.value
    last_write = [0.0]

    def progress(elapsed: float, objective: int) -> None:
        now = time.monotonic()
        if now - last_write[0] < 1.0:
            return
        last_write[0] = now
        with transaction(factory) as s:
            run_watch.report(s, run_id, me, min(0.99, elapsed / time_limit), objective)

    try:
        with run_watch.Heartbeat(factory, run_id, me, heartbeat_seconds):
            with transaction(factory) as s:
                territory = s.get_one(m.Territory, run.territory_id)
                td = load_day(s, territory, run.day, run.as_of, run.days, present=run.created_at)
            started = time.monotonic()
            params = SolveParams(time_limit=time_limit, workers=workers)
            solution = solve(td.problem, params, progress=progress)
            report = check(td.problem, solution)
            if not report.feasible:
                rules = Counter(v.rule.value for v in report.violations if v.hard)
                raise RuntimeError(f"the checker rejected the plan ({dict(rules)}); nothing stored")
            with transaction(factory) as s:
                plan = store_plan(s, td, solution, time.monotonic() - started)
                if on_stored is not None:
                    on_stored(s, plan)
                if not run_watch.succeed(s, run_id, me, plan.id, solution.summary.cost):
                    raise RuntimeError("the run was ended while it searched; nothing stored")
        return m.RunStatus.SUCCEEDED.value
    except BaseException as exc:  # recorded on the run; the plan transaction has rolled back
        with transaction(factory) as s:
            run_watch.end_run(s, run_id, f"{type(exc).__name__}: {exc}", worker=me)
            status = s.get_one(m.PlanRun, run_id).status.value
        if not isinstance(exc, Exception):  # interrupted (Ctrl-C, exit): recorded, and on it goes
            raise
        return status


def open_jobs(session: Session, territory: m.Territory) -> int:
    return len(
        session.scalars(
            select(m.Job.id).join(m.Site).where(m.Site.territory_id == territory.id, m.Job.status.in_(OPEN))
        ).all()
    )


def publish(
    session: Session, plan_id: int, *, actor: str, dispatch_now: bool = False, now: datetime | None = None
) -> m.Plan:
    """Make a draft the plan of record: the previous published plan of that territory-day is
    superseded, planned jobs become ``scheduled`` (or ``dispatched``) with their engineer, and
    jobs the new plan no longer visits go back to ``new``. One transaction (the caller's).

    A job is on at most one published, unfinished route: a plan holding a job that a published
    plan of another day not over at ``now`` still holds is refused (409 naming them), under the
    locks on the jobs' rows, so two publishes of adjacent days cannot both take one job. Visits
    a re-plan kept as history (finished before the plan was made, or under way) are published
    as they are."""
    from dispatch.errors import ConflictError
    from dispatch.lifecycle import FIXED, transition
    from dispatch.parts import release_for_job, reserve_for_job

    moment = now or m.utcnow()
    hold_write_lock(session)
    plan = session.scalars(
        select(m.Plan).where(m.Plan.id == plan_id).options(selectinload(m.Plan.routes)).with_for_update()
    ).one_or_none()
    if plan is None:
        raise NotFoundError("plan", f"no plan {plan_id}")
    if plan.status is not m.PlanStatus.DRAFT:
        raise ConflictError("status", f"plan {plan_id} is {plan.status}; only a draft can be published")
    previous = session.scalars(
        select(m.Plan)
        .where(
            m.Plan.territory_id == plan.territory_id,
            m.Plan.day == plan.day,
            m.Plan.status == m.PlanStatus.PUBLISHED,
        )
        .with_for_update()
    ).all()
    target = m.JobStatus.DISPATCHED if dispatch_now else m.JobStatus.SCHEDULED
    visits = {v.job_id: (r, v) for r in plan.routes for v in r.visits if v.job_id is not None}
    jobs = {
        j.id: j
        for j in session.scalars(
            select(m.Job).where(m.Job.id.in_(visits)).order_by(m.Job.id).with_for_update()
        )
    }
    finished = (m.JobStatus.COMPLETED, m.JobStatus.INCOMPLETE)
    history = {
        j
        for j, (_, v) in visits.items()
        if jobs[j].status in FIXED or (jobs[j].status in finished and v.end <= plan.created_at)
    }
    planned: dict[int, int] = {j: r.engineer_id for j, (r, _) in visits.items() if j not in history}
    territory = session.get_one(m.Territory, plan.territory_id)
    span = {plan.day + timedelta(days=k) for k in range(plan.days)}
    taken = held_elsewhere(session, plan.territory_id, span, moment, territory.timezone, job_ids=planned)
    if taken:
        listed = "; ".join(
            f"{jobs[j].code} is on published plan {h.plan_id} for {h.day}" for j, h in sorted(taken.items())
        )
        raise ConflictError(
            "plan",
            f"{len(taken)} job(s) of plan {plan_id} are on another day's published plan: {listed}; "
            "plan this day again, or move a job here on purpose (which takes it off the other day)",
        )
    for job_id, engineer_id in planned.items():
        job = jobs[job_id]
        if job.status in (*finished, m.JobStatus.CANCELLED):
            raise ConflictError(
                "plan", f"job {job.code} is {job.status} since plan {plan_id} was made; plan again"
            )
        if job.status is m.JobStatus.NEW:
            transition(session, job, m.JobStatus.SCHEDULED, actor=actor, note=f"plan {plan_id}")
        if target is m.JobStatus.DISPATCHED and job.status is m.JobStatus.SCHEDULED:
            transition(session, job, target, actor=actor, note=f"plan {plan_id}")
        if job.engineer_id is not None and job.engineer_id != engineer_id:
            release_for_job(session, job)  # held on another engineer's van: hold it afresh
        job.engineer_id = engineer_id
    sources = _depot_sources(session, plan)
    for job_id, engineer_id in planned.items():  # the plan of record holds the parts it needs
        reserve_for_job(session, jobs[job_id], engineer_id, sources.get(job_id))
    _announce_etas(session, plan, previous, moment, set(planned))
    for old in previous:
        old.status = m.PlanStatus.SUPERSEDED
        dropped = {v.job_id for r in old.routes for v in r.visits if v.job_id is not None} - set(visits)
        for job in session.scalars(select(m.Job).where(m.Job.id.in_(dropped))):
            if job.status in (m.JobStatus.SCHEDULED, m.JobStatus.DISPATCHED):
                transition(session, job, m.JobStatus.NEW, actor=actor, note=f"not in plan {plan_id}")
                release_for_job(session, job)
    plan.status, plan.published_at = m.PlanStatus.PUBLISHED, moment
    from dispatch.escalation import escalate  # a new plan of record may put promises at risk

    session.flush()
    escalate(session, plan.published_at, territory=territory.code)
    return plan


def _depot_sources(session: Session, plan: m.Plan) -> dict[int, int]:
    """Job id → the depot its parts come from in the plan: the last depot stop before the
    visit that loads one of its parts (for a transfer, the depot the stock leaves)."""
    needs: dict[int, set[str]] = {}
    job_ids = [v.job_id for r in plan.routes for v in r.visits if v.job_id is not None]
    for job_id, sku in session.execute(
        select(m.JobPart.job_id, m.Part.sku).join(m.Part).where(m.JobPart.job_id.in_(job_ids))
    ):
        needs.setdefault(job_id, set()).add(sku)
    out: dict[int, int] = {}
    for route in plan.routes:
        stops: list[tuple[int, set[str]]] = []  # (source depot, parts loaded) so far
        for v in route.visits:
            if v.kind == "depot" and v.depot_id is not None and v.loads:
                source = v.loads.get("transfer_from") or v.depot_id
                stops.append((int(source), set(v.loads.get("parts", {}))))
            elif v.job_id is not None and v.job_id in needs:
                found = next((d for d, parts in reversed(stops) if parts & needs[v.job_id]), None)
                if found is not None:
                    out[v.job_id] = found
    return out


def _announce_etas(
    session: Session, plan: m.Plan, previous: Sequence[m.Plan], now: datetime, planned: set[int]
) -> None:
    """Outbox a new ETA window for every ``planned`` job (not those the plan keeps as history)
    whose start differs from the plan it replaces (or that had none): what a customer would
    want a message about."""
    from dispatch import notify

    before = {
        v.job_id: v.start for old in previous for r in old.routes for v in r.visits if v.job_id is not None
    }
    visits = {v.job_id: v for r in plan.routes for v in r.visits if v.job_id in planned}
    if not visits:
        return
    jobs = session.scalars(
        select(m.Job).where(m.Job.id.in_(visits)).options(selectinload(m.Job.windows))
    ).all()
    for job in jobs:
        start = visits[job.id].start
        if before.get(job.id) == start:
            continue
        booked = next(((w.start, w.end) for w in job.windows if w.start <= start <= w.end), None)
        notify.eta_changed(session, job, notify.eta_window(start, booked), now)


def list_plans(
    session: Session,
    territory: str | None = None,
    day: date | None = None,
    status: m.PlanStatus | None = None,
) -> list[m.Plan]:
    q = select(m.Plan).order_by(m.Plan.id.desc())
    if territory is not None:
        q = q.where(m.Plan.territory_id == territory_by_code(session, territory).id)
    if day is not None:
        q = q.where(m.Plan.day <= day, m.Plan.day > day - timedelta(days=14))
    if status is not None:
        q = q.where(m.Plan.status == status)
    plans = list(session.scalars(q.limit(200)))
    if day is not None:
        plans = [p for p in plans if p.day <= day < p.day + timedelta(days=p.days)]
    return plans


def get_run(session: Session, run_id: str) -> m.PlanRun:
    run = session.get(m.PlanRun, run_id)
    if run is None:
        raise NotFoundError("run", f"no plan run {run_id!r}")
    return run

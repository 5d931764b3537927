"""Call-centre booking: quote real slots while the customer is on the line, then confirm one.

**Quote.** Entitlement and credit hold (`dispatch.entitlement`), the SLA response deadline
from the moment of the call (`dispatch.sla`), where the parts come from, then every 2-hour
customer window of `SLOT_HOURS` on the preferred days is tried by feasibility-checked
insertion (`solver.insertion`) into each engineer's *current route* for that day: the route
of that shift in the territory's published plan covering the day, else in its newest draft,
else the shift's empty day. Each window offers its best engineer (least added travel).

Parts: an engineer whose van holds the free quantity (quantity − reserved) of every needed
part takes the job straight from the van; otherwise one depot of the territory holding all
of them is visited right before the job (a 10-minute pick-up stop, its detour counted in the
added travel); an engineer with neither gets no slot. A depot of the territory can also
receive the parts by *transfer*: a depot of another territory holding all of them free, with a
`DepotLane` to it (the fastest per pick-up depot, ties by the source's code), sends them,
ready at ``now`` + the lane's lead time; the pick-up stop then starts no earlier (offers say
``parts_source`` "transfer", ``transfer_from`` and ``parts_ready_at``), and a confirmation
reserves the units at the source, where they are until they travel. If no van, no depot of
the territory and no transfer can supply the parts, the quote is refused with 409 ``parts``
(``part_unavailable``): offering slots that can never be confirmed would only waste the call.

Ranking: slots that keep the SLA promise (service start ≤ response deadline; a job without
a deadline keeps it trivially) come first, then the lowest score =
``minutes from now to the ETA + TRAVEL_WEIGHT × added travel minutes`` (a minute of extra
driving counts as three minutes of waiting for the customer).

**Confirm.** One transaction: lock the quote row (a quote books once), then the shift row
(bookings for one engineer-day queue up whatever the plan), re-run the insertion against the
route as it is now, guard the route with ``SELECT … FOR UPDATE`` and its optimistic
``version`` (``UPDATE … WHERE version = read``), create the job, rewrite the route's visits
with the new schedule (a booked pick-up: ``kind`` "depot", ``depot_id`` the pick-up depot, no
``loads``), reserve the parts (``reserved + q <= quantity`` in the UPDATE itself)
and write the `Booking` keyed by the caller and their idempotency key (a key is the caller's
own: another caller's same key books afresh). A slot that is no longer feasible, an
expired quote or parts gone → 409 with fresh alternatives (a new quote). If no plan covers
the day, a draft `Plan` for the territory-day is created holding just that route (the next
planning run for the day takes it from there).

Time is injectable: every entry point takes ``now`` (aware), so tests and the API (see
``api.routers.bookings``) can run on a fixed clock.
"""

from __future__ import annotations

import hashlib
import threading
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from dispatch import models as m
from dispatch import notify, parts, sla
from dispatch.day_plans import current_plan
from dispatch.db import transaction
from dispatch.entitlement import asset_by_serial, check_entitlement, site_by_code
from dispatch.errors import ConflictError, InvalidInputError, NotFoundError
from dispatch.field_state import (
    FieldState,
    Place,
    StoredVisit,
    field_states,
    lunch_window,
    path_length,
    split_route,
)
from dispatch.jobs import NewJob, check_skills, create_job, get_job, parts_by_sku
from dispatch.lifecycle import transition
from dispatch.notify import CUSTOMER_WORDING
from dispatch.settings import get_settings
from solver import Break, Job, Location, Problem, Route, Shift, Step, StepType, TimeWindow, TravelMatrix
from solver.check import CheckReport, check
from solver.insertion import (
    PICKUP_PREFIX,
    PICKUP_SERVICE,
    Option,
    apply,
    checkable,
    insert,
    is_pickup,
    least_added_travel,
    pickup_id,
)
from solver.model import IntArray
from solver.travel import GreatCircleProvider, grow_matrix, travel_rows

SLOT_HOURS: tuple[tuple[int, int], ...] = ((8, 10), (10, 12), (12, 14), (14, 16), (16, 18))
"""Customer windows offered each day, local time of the territory."""
DEFAULT_DAYS = 3  # no preferred days: today and the two following days
MAX_DAYS_AHEAD = 14
TRAVEL_WEIGHT = 3  # score: one minute of extra driving weighs like three minutes later
NEW = "new"  # solver id of the job being booked
_PROVIDER = GreatCircleProvider()


@dataclass(frozen=True, slots=True)
class QuoteRequest:
    site: str
    skills: dict[str, int]
    duration_minutes: int
    description: str = ""
    asset: str | None = None
    parts: dict[str, int] = field(default_factory=dict)
    preferred_days: list[date] | None = None


# ---------------------------------------------------------------------------------------------
# The current route of an engineer-shift, as a small solver problem
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Engineer:
    """The engineer columns a quote needs (plain rows: ORM objects cost too much per quote)."""

    id: int
    code: str
    name: str
    home_lat: float
    home_lon: float
    skills: dict[str, int]


@dataclass(frozen=True, slots=True)
class _ShiftRow:
    id: int
    engineer_id: int
    day: date
    start: datetime
    end: datetime
    break_earliest: datetime | None
    break_latest_end: datetime | None
    break_minutes: int
    max_jobs: int | None
    engineer: _Engineer


@dataclass(frozen=True, slots=True)
class _RouteRow:
    id: int
    version: int


@dataclass(slots=True)
class _ShiftDay:
    """One engineer-shift on one day: its current route as a solver problem, and the rows."""

    shift: _ShiftRow
    engineer: _Engineer
    plan: m.Plan | None
    route_row: _RouteRow | None
    origin: datetime  # local midnight of the day, UTC: solver second 0
    problem: Problem
    route: Route | None
    rows: dict[str, int]  # solver step id (job code, pickup id, break id) → visit id
    depot_at: dict[int, m.Depot]  # location index → depot
    history: tuple[int, ...] = ()  # visit ids made or under way, kept first as they are

    def at(self, seconds: int) -> datetime:
        return self.origin + timedelta(seconds=seconds)


def _origin(day: date, tz: str) -> datetime:
    return datetime.combine(day, datetime.min.time(), ZoneInfo(tz)).astimezone(UTC)


def _territory_shifts(
    session: Session, territory_id: int, day: date, only: int | None = None
) -> list[_ShiftRow]:
    """Active engineers' shifts of a territory-day, with their skills."""
    sh, en = m.Shift, m.Engineer
    q = (
        select(
            sh.id,
            sh.engineer_id,
            sh.day,
            sh.start,
            sh.end,
            sh.break_earliest,
            sh.break_latest_end,
            sh.break_minutes,
            sh.max_jobs,
            en.code,
            en.name,
            en.home_lat,
            en.home_lon,
        )
        .join(en, en.id == sh.engineer_id)
        .where(en.territory_id == territory_id, en.active, sh.day == day)
        .order_by(en.code)
    )
    if only is not None:
        q = q.where(sh.id == only)
    rows = session.execute(q).all()
    skills: dict[int, dict[str, int]] = {}
    for eid, skill, level in session.execute(
        select(m.EngineerSkill.engineer_id, m.EngineerSkill.skill, m.EngineerSkill.level).where(
            m.EngineerSkill.engineer_id.in_([r[1] for r in rows])
        )
    ):
        skills.setdefault(eid, {})[skill] = level
    out = []
    for r in rows:
        eng = _Engineer(r[1], r[9], r[10], r[11], r[12], skills.get(r[1], {}))
        out.append(_ShiftRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], eng))
    return out


@dataclass(frozen=True, slots=True)
class _Base:
    """A shift's current route without the job being quoted: what many quotes share."""

    shift: _ShiftRow
    plan: m.Plan | None
    route_row: _RouteRow | None
    origin: datetime
    locations: tuple[Location, ...]  # home, then the route's stops
    jobs: tuple[Job, ...]
    steps: tuple[Step, ...]
    solver_shift: Shift
    rows: dict[str, int]
    matrix: TravelMatrix  # over ``locations``
    stored: tuple[StoredVisit, ...] = ()  # the route's visits as stored, in order
    history: tuple[int, ...] = ()  # visits made or under way (`_resume`): kept first, as they are


def _bases(
    session: Session,
    territory: m.Territory,
    day: date,
    shifts: Sequence[_ShiftRow],
    *,
    lock_route: bool = False,
    plan: m.Plan | None = None,
) -> list[_Base]:
    """Each shift's current route for ``day`` (or its route in ``plan``). Visits stay as stored,
    whatever their job's status since (a cancelled visit keeps its place until the next plan).
    Plain rows, not ORM objects: a quote reads thousands of visits."""
    origin = _origin(day, territory.timezone)

    def sec(t: datetime) -> int:
        return int((t - origin).total_seconds())

    plan = plan or current_plan(session, territory.id, day)
    routes: dict[int, _RouteRow] = {}
    visits: dict[int, list[tuple[int, str, int | None]]] = {}  # route id → (visit id, kind, job id)
    stored: dict[int, list[StoredVisit]] = {}  # route id → its visits
    stop_depot: dict[int, int] = {}  # visit id → depot id, for depot stops that name theirs
    if plan is not None and shifts:
        q = select(m.Route.id, m.Route.shift_id, m.Route.version).where(
            m.Route.plan_id == plan.id, m.Route.shift_id.in_([s.id for s in shifts])
        )
        if lock_route:
            q = q.with_for_update()
        by_id = {rid: (sid, version) for rid, sid, version in session.execute(q)}
        routes = {sid: _RouteRow(rid, version) for rid, (sid, version) in by_id.items()}
        for vid, rid, kind, job_id, depot_id, start, end, collected in session.execute(
            select(
                m.Visit.id,
                m.Visit.route_id,
                m.Visit.kind,
                m.Visit.job_id,
                m.Visit.depot_id,
                m.Visit.start,
                m.Visit.end,
                m.Visit.collected_at,
            )
            .where(m.Visit.route_id.in_(list(by_id)))
            .order_by(m.Visit.route_id, m.Visit.seq)
        ):
            visits.setdefault(rid, []).append((vid, kind, job_id))
            stored.setdefault(rid, []).append(StoredVisit(vid, kind, job_id, start, end, collected))
            if depot_id is not None:
                stop_depot[vid] = depot_id
    job_ids = [j for vs in visits.values() for _, _, j in vs if j is not None]
    jobs: dict[int, tuple[str, int, datetime | None, float, float]] = {}
    for jid, code, minutes, deadline, lat, lon in session.execute(
        select(m.Job.id, m.Job.code, m.Job.duration_minutes, m.Job.response_deadline, m.Site.lat, m.Site.lon)
        .join(m.Site, m.Site.id == m.Job.site_id)
        .where(m.Job.id.in_(job_ids))
    ):
        jobs[jid] = (code, minutes, deadline, lat, lon)
    windows: dict[int, list[TimeWindow]] = {}
    for jid, a, b in session.execute(
        select(m.JobWindow.job_id, m.JobWindow.start, m.JobWindow.end)
        .where(m.JobWindow.job_id.in_(job_ids))
        .order_by(m.JobWindow.start)
    ):
        windows.setdefault(jid, []).append(TimeWindow(start=sec(a), end=sec(b)))
    # Depot pick-ups on stored routes: the depot is where the next job's parts are reserved.
    pickup_depot: dict[int, int] = {}  # job id → depot id
    reserved_at: dict[int, datetime] = {}  # job id → when its depot reservation was made
    all_depots: dict[int, m.Depot] = {}
    lanes: dict[tuple[int, int], int] = {}  # (from depot, to depot) → lead minutes
    booked: set[int] = set()  # booked pick-ups (no loads) that name their depot
    if any(kind == "depot" for vs in visits.values() for _, kind, _ in vs):
        for jid, depot_id, made in session.execute(
            select(m.PartReservation.job_id, m.Stock.depot_id, m.PartReservation.created_at)
            .join(m.Stock, m.Stock.id == m.PartReservation.stock_id)
            .where(
                m.PartReservation.job_id.in_(job_ids),
                m.PartReservation.status == m.ReservationStatus.RESERVED,
                m.Stock.depot_id.is_not(None),
            )
        ):
            assert depot_id is not None
            pickup_depot[jid] = depot_id
            reserved_at[jid] = made
        all_depots = {
            d.id: d for d in session.scalars(select(m.Depot).where(m.Depot.territory_id == territory.id))
        }
        sources = set(pickup_depot.values()) - set(all_depots)
        if sources:  # parts held elsewhere travel to a booked pick-up's depot by a transfer lane
            booked = {
                vid
                for vid, loads in session.execute(
                    select(m.Visit.id, m.Visit.loads).where(
                        m.Visit.id.in_(list(stop_depot)), m.Visit.kind == "depot"
                    )
                )
                if loads is None  # planned stops carry their loads and were timed by the plan
            }
            lanes = {
                (a, b): lead
                for a, b, lead in session.execute(
                    select(
                        m.DepotLane.from_depot_id, m.DepotLane.to_depot_id, m.DepotLane.lead_minutes
                    ).where(
                        m.DepotLane.from_depot_id.in_(sources), m.DepotLane.to_depot_id.in_(list(all_depots))
                    )
                )
            }
    out: list[_Base] = []
    for row in shifts:
        eng = row.engineer
        route_row = routes.get(row.id)
        locations = [Location(lat=eng.home_lat, lon=eng.home_lon)]
        problem_jobs: list[Job] = []
        steps: list[Step] = [Step(type=StepType.START)]
        rows: dict[str, int] = {}
        has_break = route_row is None
        stops = visits.get(route_row.id, []) if route_row is not None else []
        for k, (vid, kind, job_id) in enumerate(stops):
            if kind == "break":
                has_break = True
                rows[f"{eng.code}/lunch"] = vid
                steps.append(Step(type=StepType.BREAK, id=f"{eng.code}/lunch"))
            elif kind == "depot":
                served = next((j for _, _, j in stops[k + 1 :] if j is not None), None)
                # Planned and booked stops name their depot; older pick-ups go by the reservation.
                depot_id = stop_depot.get(vid) or (pickup_depot.get(served, -1) if served is not None else -1)
                depot = all_depots.get(depot_id)
                if depot is None or served is None:
                    continue  # a pick-up we cannot place any more: leave it out of the timing
                pid = pickup_id(jobs[served][0])
                if pid in rows:  # two stops (two depots) before one visit
                    pid = f"{pid}@{vid}"
                rows[pid] = vid
                # A booked transfer into this depot: the pick-up waits for it (ordered when the
                # parts were reserved at the source, there after the lane's lead time).
                lead = lanes.get((pickup_depot.get(served, -1), depot.id)) if vid in booked else None
                ordered = reserved_at.get(served)
                ready = (
                    sec(ordered + timedelta(minutes=lead))
                    if lead is not None and ordered is not None
                    else None
                )
                problem_jobs.append(
                    Job(
                        id=pid,
                        location=len(locations),
                        service=PICKUP_SERVICE,
                        time_windows=()
                        if ready is None
                        else (TimeWindow(start=ready, end=max(ready, sec(row.end))),),
                    )
                )
                locations.append(Location(lat=depot.lat, lon=depot.lon))
                steps.append(Step(type=StepType.JOB, id=pid))
            elif job_id is not None:
                code, minutes, deadline, lat, lon = jobs[job_id]
                rows[code] = vid
                problem_jobs.append(
                    Job(
                        id=code,
                        location=len(locations),
                        service=minutes * 60,
                        time_windows=tuple(windows.get(job_id, ())),
                        deadline=sec(deadline) if deadline else None,
                    )
                )
                locations.append(Location(lat=lat, lon=lon))
                steps.append(Step(type=StepType.JOB, id=code))
        steps.append(Step(type=StepType.END))
        breaks: tuple[Break, ...] = ()
        if has_break and row.break_minutes and row.break_earliest and row.break_latest_end:
            latest = sec(row.break_latest_end) - row.break_minutes * 60
            if sec(row.break_earliest) <= latest:
                breaks = (
                    Break(
                        id=f"{eng.code}/lunch",
                        time_windows=(TimeWindow(start=sec(row.break_earliest), end=latest),),
                        duration=row.break_minutes * 60,
                    ),
                )
        if not breaks:
            steps = [s for s in steps if s.type is not StepType.BREAK]
        shift = Shift(
            id=str(row.id),
            engineer_id=eng.code,
            start=0,
            end=0,
            time_window=TimeWindow(start=sec(row.start), end=sec(row.end)),
            skills=tuple(eng.skills.items()),
            breaks=breaks,
            max_jobs=row.max_jobs,
        )
        out.append(
            _Base(
                row,
                plan,
                route_row,
                origin,
                tuple(locations),
                tuple(problem_jobs),
                tuple(steps),
                shift,
                rows,
                _PROVIDER.matrix(locations),
                tuple(stored.get(route_row.id, ())) if route_row is not None else (),
            )
        )
    return out


def _resumed(
    session: Session, territory: m.Territory, day: date, bases: Sequence[_Base], now: datetime
) -> list[_Base]:
    """The bases as they stand at ``now`` (`_resume`); shifts with no time left are dropped."""
    engineers = {b.shift.engineer_id for b in bases}
    started = field_states(session, engineers, _origin(day, territory.timezone), now)
    out = []
    for b in bases:
        resumed = _resume(b, started.get(b.shift.engineer_id), now)
        if resumed is not None:
            out.append(resumed)
    return out


def _resume(base: _Base, state: FieldState | None, now: datetime) -> _Base | None:
    """``base`` resumed from where the engineer's day stands at ``now``: visits made or under
    way become history (kept first, never re-timed), and the rest of the route starts when
    and where the engineer is next free (the visit under way, else the last one finished,
    else home), never before ``now``. A lunch window that closed counts as taken; one the work
    under way overruns moves to right after it. None: no time left on the shift."""
    shift = base.shift
    if shift.end <= now:
        return None
    if shift.start >= now and state is None:
        return base  # the day has not begun: nothing to resume from
    origin = base.origin

    def sec(t: datetime) -> int:
        return int((t - origin).total_seconds())

    split = split_route(base.stored, state, now)
    gone = set(split.history) | ({split.in_hand} if split.in_hand is not None else set())
    free_at = max(now, shift.start, state.free_at if state is not None else now)
    if split.break_end is not None:
        free_at = max(free_at, split.break_end)
    if free_at >= shift.end:
        return None
    gone_steps = {sid for sid, vid in base.rows.items() if vid in gone}
    # A booked pick-up goes with the visit it was for.
    gone_steps |= {
        sid for sid in base.rows if is_pickup(sid) and sid[len(PICKUP_PREFIX) :].split("@")[0] in gone_steps
    }
    steps = tuple(st for st in base.steps if st.type is not StepType.JOB or st.id not in gone_steps)
    rows = {sid: vid for sid, vid in base.rows.items() if sid not in gone_steps}
    locations, matrix, start = base.locations, base.matrix, 0
    if state is not None and state.free_from.site_id is not None:
        here = Location(lat=state.free_from.lat, lon=state.free_from.lon)
        d, dist = travel_rows([here], [here, *locations], _PROVIDER)
        matrix = grow_matrix(matrix, (d[:, 1:], dist[:, 1:]), (d[:, :1], dist[:, :1]))
        start, locations = len(locations), (*locations, here)
    breaks: tuple[Break, ...] = ()
    planned = base.solver_shift.breaks[0] if base.solver_shift.breaks else None
    if planned is not None and not split.break_taken and shift.break_earliest and shift.break_latest_end:
        lunch = lunch_window(
            shift.break_earliest, shift.break_latest_end, shift.break_minutes, free_at, as_of=now
        )
        if lunch is not None and planned.duration <= sec(shift.end) - sec(free_at):
            window = TimeWindow(start=sec(lunch.earliest), end=sec(lunch.latest))
            breaks = (replace(planned, time_windows=(window,)),)
    if not breaks:
        steps = tuple(st for st in steps if st.type is not StepType.BREAK)
    solver_shift = replace(
        base.solver_shift,
        start=start,
        time_window=TimeWindow(start=sec(free_at), end=sec(shift.end)),
        breaks=breaks,
    )
    history = tuple(split.history) + ((split.in_hand,) if split.in_hand is not None else ())
    return replace(
        base,
        locations=tuple(locations),
        steps=steps,
        solver_shift=solver_shift,
        rows=rows,
        matrix=matrix,
        history=history,
    )


def _complete(
    base: _Base,
    site: tuple[float, float],
    new_job: Job,
    depots: Sequence[m.Depot],
    rows: tuple[IntArray, IntArray] | None = None,
) -> _ShiftDay:
    """The base route as a solver problem with the quoted job (at ``site``) and ``depots``
    appended after the route's own locations, so the base's indices stay valid. ``rows``:
    travel from [site, *depots] to [site, *depots, *base.locations] if already computed."""
    extra = [Location(lat=site[0], lon=site[1]), *(Location(lat=d.lat, lon=d.lon) for d in depots)]
    n, k = len(base.locations), len(extra)
    job = replace(new_job, location=n)
    depot_at = {n + 1 + i: d for i, d in enumerate(depots)}
    if rows is None:
        rows = travel_rows(extra, [*extra, *base.locations], _PROVIDER)
    matrix = grow_matrix(base.matrix, (rows[0][:, k:], rows[1][:, k:]), (rows[0][:, :k], rows[1][:, :k]))
    problem = Problem(
        locations=(*base.locations, *extra),
        matrix=matrix,
        jobs=(job, *base.jobs),
        shifts=(base.solver_shift,),
    )
    route = None
    if base.route_row is not None:
        route = Route(
            shift_id=base.solver_shift.id,
            engineer_id=base.shift.engineer.code,
            steps=base.steps,
            travel_time=0,
            distance=0,
            service=0,
            waiting_time=0,
            lateness=0,
        )
    return _ShiftDay(
        base.shift,
        base.shift.engineer,
        base.plan,
        base.route_row,
        base.origin,
        problem,
        route,
        base.rows,
        depot_at,
        base.history,
    )


def _shift_days(
    session: Session,
    territory: m.Territory,
    day: date,
    site: tuple[float, float],
    new_job: Job,
    depots: Sequence[m.Depot],
    shifts: Sequence[_ShiftRow],
    *,
    lock_route: bool = False,
    plan: m.Plan | None = None,
    now: datetime | None = None,
) -> list[_ShiftDay]:
    """Each shift's current route for ``day`` with the new job at ``site`` and the depots,
    resumed at ``now`` (`_resume`) when given."""
    bases = _bases(session, territory, day, shifts, lock_route=lock_route, plan=plan)
    if now is not None:
        bases = _resumed(session, territory, day, bases, now)
    return [_complete(b, site, new_job, depots) for b in bases]


# ---------------------------------------------------------------------------------------------
# What quotes share: each territory-day's routes, read once and kept while they stay current
# ---------------------------------------------------------------------------------------------

CACHE_SECONDS = 20.0
"""A cached territory-day is re-read after this long even if nothing it stamps changed (shift
or job edits do not bump route versions). A quote from a stale view can only offer a slot
that the confirmation, which always reads fresh under locks, then refuses with alternatives."""


@dataclass(frozen=True, slots=True)
class _DayView:
    stamp: tuple[Any, ...]
    read_at: float
    shifts: tuple[_ShiftRow, ...]
    bases: dict[int, _Base]  # shift id → base


_VIEWS: dict[tuple[str, int, date], _DayView] = {}
_VIEWS_LOCK = threading.Lock()


def _stamp(session: Session, territory_id: int, day: date) -> tuple[m.Plan | None, tuple[Any, ...]]:
    """The plan of record, and what changes whenever the territory-day's routes change: that
    plan, its status, and its routes' versions (bookings and manual moves bump them)."""
    plan = current_plan(session, territory_id, day)
    if plan is None:
        return None, (None,)
    total, count = session.execute(
        select(func.coalesce(func.sum(m.Route.version), 0), func.count(m.Route.id)).where(
            m.Route.plan_id == plan.id
        )
    ).one()
    return plan, (plan.id, plan.status.value, int(total), int(count))


def _day_view(session: Session, territory: m.Territory, day: date) -> _DayView:
    key = (str(session.get_bind().engine.url), territory.id, day)
    plan, stamp = _stamp(session, territory.id, day)
    with _VIEWS_LOCK:
        view = _VIEWS.get(key)
    if view is not None and view.stamp == stamp and time.monotonic() - view.read_at < CACHE_SECONDS:
        return view
    shifts = _territory_shifts(session, territory.id, day)
    bases = _bases(session, territory, day, shifts, plan=plan)  # the plan just read, not re-read
    view = _DayView(stamp, time.monotonic(), tuple(shifts), {b.shift.id: b for b in bases})
    with _VIEWS_LOCK:
        if len(_VIEWS) > 256:
            _VIEWS.clear()
        _VIEWS[key] = view
    return view


# ---------------------------------------------------------------------------------------------
# Parts
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Transfer:
    """Parts sent to a pick-up depot of the territory from a depot elsewhere."""

    source: m.Depot
    ready: datetime  # when they are there: ordered now, plus the lane's lead time


@dataclass(frozen=True, slots=True)
class _Supply:
    van: frozenset[int]  # engineer ids whose van holds every needed part
    # depots of the territory where the parts can be picked up: holding every needed part, or
    # reached by a transfer from a depot that holds them (those are in ``transfers``)
    depots: tuple[m.Depot, ...]
    transfers: dict[int, _Transfer] = field(default_factory=dict)  # pick-up depot id → transfer


def _supply(
    session: Session,
    territory_id: int,
    needed: dict[int, int],
    engineer_ids: Iterable[int],
    now: datetime,
    *,
    source_only: int | None = None,
) -> _Supply:
    """Where the parts are free: vans, depots of the territory, and transfers. A depot of another
    territory holding every needed part free, with a `DepotLane` to a depot of this one, can
    send them there, ready at ``now`` + the lane's lead time; each territory depot keeps its
    fastest such lane (ties: the source's code). A depot holding the parts itself needs no
    transfer. ``source_only``: consider transfers from that depot only (a confirmation)."""
    if not needed:
        return _Supply(frozenset(), ())
    own = select(m.Depot.id).where(m.Depot.territory_id == territory_id)
    lane_q = (
        select(m.DepotLane.to_depot_id, m.DepotLane.lead_minutes, m.Depot)
        .join(m.Depot, m.Depot.id == m.DepotLane.from_depot_id)
        .where(m.DepotLane.to_depot_id.in_(own), m.Depot.territory_id != territory_id)
    )
    if source_only is not None:
        lane_q = lane_q.where(m.Depot.id == source_only)
    lanes = session.execute(lane_q).all()
    sources = {d.id for _, _, d in lanes}
    rows = session.scalars(
        select(m.Stock).where(
            m.Stock.part_id.in_(needed),
            (m.Stock.engineer_id.in_(list(engineer_ids)))
            | m.Stock.depot_id.in_(own)
            | m.Stock.depot_id.in_(sources),
        )
    ).all()
    held: dict[tuple[str, int], set[int]] = {}
    for st in rows:
        if st.quantity - st.reserved >= needed[st.part_id]:
            place = ("van", st.engineer_id) if st.engineer_id is not None else ("depot", st.depot_id or 0)
            held.setdefault(place, set()).add(st.part_id)
    full = {place for place, parts in held.items() if parts >= set(needed)}
    holding = {i for kind, i in full if kind == "depot"}
    fastest: dict[int, tuple[int, str, m.Depot]] = {}  # pick-up depot id → (lead, source code, source)
    for to_id, lead, source in lanes:
        if source.id in holding and to_id not in holding:
            best = fastest.get(to_id)
            if best is None or (lead, source.code) < best[:2]:
                fastest[to_id] = (lead, source.code, source)
    transfers = {
        to_id: _Transfer(source, now + timedelta(minutes=lead))
        for to_id, (lead, _, source) in fastest.items()
    }
    depot_ids = sorted((holding - sources) | set(transfers))
    depots = tuple(session.scalars(select(m.Depot).where(m.Depot.id.in_(depot_ids)).order_by(m.Depot.code)))
    return _Supply(frozenset(i for kind, i in full if kind == "van"), depots, transfers)


# ---------------------------------------------------------------------------------------------
# Quote
# ---------------------------------------------------------------------------------------------


def _local_today(now: datetime, tz: str) -> date:
    return now.astimezone(ZoneInfo(tz)).date()


def _days(requested: Sequence[date] | None, today: date) -> list[date]:
    if not requested:
        return [today + timedelta(days=k) for k in range(DEFAULT_DAYS)]
    for k, d in enumerate(requested):
        if d < today:
            raise InvalidInputError(f"preferred_days.{k}", f"{d} is in the past (today is {today})")
        if d > today + timedelta(days=MAX_DAYS_AHEAD):
            raise InvalidInputError(f"preferred_days.{k}", f"book at most {MAX_DAYS_AHEAD} days ahead")
    return sorted(set(requested))


def _windows(day: date, tz: str) -> list[tuple[datetime, datetime]]:
    zone = ZoneInfo(tz)
    return [
        (
            datetime.combine(day, datetime.min.time(), zone).replace(hour=a).astimezone(UTC),
            datetime.combine(day, datetime.min.time(), zone).replace(hour=b).astimezone(UTC),
        )
        for a, b in SLOT_HOURS
    ]


def slot_id(start: datetime, tz: str) -> str:
    local = start.astimezone(ZoneInfo(tz))
    return local.strftime("%Y-%m-%dT%H:%M")


@dataclass(slots=True)
class _Context:
    site: m.Site
    asset: m.Asset | None
    territory: m.Territory
    request: QuoteRequest
    needed: dict[int, int]  # part id → quantity
    deadline: datetime | None


def _context(session: Session, req: QuoteRequest, now: datetime) -> tuple[_Context, dict[str, Any]]:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    site = site_by_code(session, req.site)
    asset = asset_by_serial(session, req.asset) if req.asset else None
    if req.duration_minutes <= 0:
        raise InvalidInputError("duration_minutes", "must be positive")
    check_skills(session, req.skills)
    for sku, qty in req.parts.items():
        if qty <= 0:
            raise InvalidInputError(f"parts.{sku}", "quantity must be positive")
    catalogue = parts_by_sku(session, req.parts)
    territory = session.get_one(m.Territory, site.territory_id)
    entitlement = check_entitlement(session, site, asset, _local_today(now, territory.timezone))
    deadline = (
        sla.response_deadline(entitlement.policy, now, territory.timezone) if entitlement.policy else None
    )
    needed = {catalogue[sku].id: qty for sku, qty in req.parts.items()}
    return _Context(site, asset, territory, req, needed, deadline), entitlement.as_dict()


def _new_job(ctx: _Context, origin: datetime) -> Job:
    return Job(
        id=NEW,
        location=0,  # placed by _complete
        service=ctx.request.duration_minutes * 60,
        skills=tuple(ctx.request.skills.items()),
        deadline=int((ctx.deadline - origin).total_seconds()) if ctx.deadline else None,
    )


@dataclass(frozen=True, slots=True)
class _Offer:
    option: Option
    day: _ShiftDay
    depot: m.Depot | None  # the pick-up depot, if any
    transfer: _Transfer | None = None  # how the parts get to it, if they are not there


def _offers(
    session: Session,
    ctx: _Context,
    day: date,
    windows: Sequence[tuple[datetime, datetime]],
    now: datetime,
    *,
    only_shift: int | None = None,
    depot_only: m.Depot | None = None,
    transfer_from: int | None = None,
    van_only: bool = False,
    lock_route: bool = False,
    supply: _Supply | None = None,
) -> list[_Offer]:
    """Every feasible (window, shift) insertion for ``day``: best gap per shift and window.
    ``supply``: where the parts are, if the caller already read it (a quote, for all its days).
    ``depot_only`` (a confirmation): pick up there only, from its own stock, or, with
    ``transfer_from``, by a transfer from that depot only."""
    tz = ctx.territory.timezone
    cached = only_shift is None and not lock_route  # a quote; a confirmation always reads fresh
    view = _day_view(session, ctx.territory, day) if cached else None
    shifts = (
        list(view.shifts)
        if view is not None
        else _territory_shifts(session, ctx.territory.id, day, only_shift)
    )
    required = ctx.request.skills
    shifts = [s for s in shifts if all(s.engineer.skills.get(k, 0) >= lv for k, lv in required.items())]
    if not shifts:
        return []
    if supply is None:
        engineers = [s.engineer_id for s in shifts]
        supply = _supply(session, ctx.territory.id, ctx.needed, engineers, now, source_only=transfer_from)
    if ctx.needed:
        depots: tuple[m.Depot, ...] = supply.depots
        if depot_only is not None:
            depots = tuple(
                d
                for d in depots
                if d.id == depot_only.id and (d.id in supply.transfers) == (transfer_from is not None)
            )
        if van_only:
            depots = ()
        shifts = [s for s in shifts if (s.engineer_id in supply.van and depot_only is None) or bool(depots)]
    else:
        depots = ()
    origin = _origin(day, tz)
    here = (ctx.site.lat, ctx.site.lon)
    new_job = _new_job(ctx, origin)
    if view is not None:
        chosen = _resumed(session, ctx.territory, day, [view.bases[sh.id] for sh in shifts], now)
        extra = [Location(lat=here[0], lon=here[1]), *(Location(lat=d.lat, lon=d.lon) for d in depots)]
        everything = [loc for b in chosen for loc in b.locations]
        rows_d, rows_m = travel_rows(extra, [*extra, *everything], _PROVIDER)
        k, offset, days = len(extra), len(extra), []
        for b in chosen:
            n = len(b.locations)
            own = (
                np.concatenate([rows_d[:, :k], rows_d[:, offset : offset + n]], axis=1),
                np.concatenate([rows_m[:, :k], rows_m[:, offset : offset + n]], axis=1),
            )
            days.append(_complete(b, here, new_job, depots, own))
            offset += n
    else:
        days = _shift_days(
            session, ctx.territory, day, here, new_job, depots, shifts, lock_route=lock_route, now=now
        )
    tws = [
        TimeWindow(start=int((a - origin).total_seconds()), end=int((b - origin).total_seconds()))
        for a, b in windows
    ]
    not_before = int((now - origin).total_seconds())

    def pickups_of(sd: _ShiftDay) -> dict[str, tuple[int, ...]]:
        from_van = not ctx.needed or (sd.engineer.id in supply.van and depot_only is None)
        return {} if from_van else {sd.problem.shifts[0].id: tuple(sd.depot_at)}

    def ready_of(sd: _ShiftDay) -> dict[int, int]:
        """Depot location → solver second its transfer arrives (depots holding the parts: none)."""
        return {
            loc: int((supply.transfers[d.id].ready - sd.origin).total_seconds())
            for loc, d in sd.depot_at.items()
            if d.id in supply.transfers
        }

    # Cheapest possible detour first; once every window's best offer is cheaper than the next
    # shift's least possible detour, no later shift can win a window (the quote keeps the least
    # added travel per window), so the rest are skipped. A confirmation (one shift) tries all.
    # The bound ignores time (a transfer's wait adds no travel), so it stays a lower bound.
    bound = {
        id(sd): least_added_travel(sd.problem, sd.route, NEW, pickups_of(sd).get(sd.problem.shifts[0].id))
        for sd in days
    }
    days.sort(key=lambda sd: bound[id(sd)])
    offers: list[_Offer] = []
    best: dict[int, int] = {}  # window start → least added travel offered so far
    for sd in days:
        if len(best) == len(tws) and all(travel < bound[id(sd)] for travel in best.values()):
            break
        routes = [sd.route] if sd.route is not None else []
        for o in insert(
            sd.problem,
            routes,
            NEW,
            tws,
            pickups=pickups_of(sd),
            not_before=not_before,
            depot_ready=ready_of(sd),
        ):
            depot = sd.depot_at[o.depot] if o.depot is not None else None
            offers.append(_Offer(o, sd, depot, supply.transfers.get(depot.id) if depot is not None else None))
            best[o.window.start] = min(best.get(o.window.start, o.added_travel), o.added_travel)
    return offers


def _slot(ctx: _Context, offer: _Offer, now: datetime) -> dict[str, Any]:
    o, sd = offer.option, offer.day
    tz = ctx.territory.timezone
    start, end, eta = sd.at(o.window.start), sd.at(o.window.end), sd.at(o.start)
    kept = ctx.deadline is None or eta <= ctx.deadline
    travel_min = round(o.added_travel / 60)
    score = round((eta - now).total_seconds() / 60 + TRAVEL_WEIGHT * o.added_travel / 60)
    return {
        "slot_id": slot_id(start, tz),
        "day": sd.shift.day.isoformat(),
        "start": start.isoformat(),
        "end": end.isoformat(),
        "engineer": sd.engineer.code,
        "engineer_name": sd.engineer.name,
        "eta": eta.isoformat(),
        "added_travel_minutes": travel_min,
        "sla_kept": kept,
        "parts_source": (
            None
            if not ctx.needed
            else "transfer"
            if offer.transfer is not None
            else "depot"
            if offer.depot is not None
            else "van"
        ),
        "depot": offer.depot.code if offer.depot is not None else None,
        "transfer_from": offer.transfer.source.code if offer.transfer is not None else None,
        "parts_ready_at": offer.transfer.ready.astimezone(UTC).isoformat()
        if offer.transfer is not None
        else None,
        "score": score,
        # what the confirmation needs to find the same place again
        "shift_id": sd.shift.id,
        "route_id": sd.route_row.id if sd.route_row is not None else None,
        "route_version": sd.route_row.version if sd.route_row is not None else None,
        "depot_id": offer.depot.id if offer.depot is not None else None,
        "transfer_from_id": offer.transfer.source.id if offer.transfer is not None else None,
    }


def _rank(slots: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(slots, key=lambda s: (not s["sla_kept"], s["score"], s["start"]))


def _slots(
    session: Session, ctx: _Context, days: Sequence[date], now: datetime, supply: _Supply
) -> list[dict[str, Any]]:
    tz = ctx.territory.timezone
    slots: list[dict[str, Any]] = []
    for day in days:
        windows = [(a, b) for a, b in _windows(day, tz) if a >= now]
        if not windows:
            continue
        best: dict[int, _Offer] = {}
        for offer in _offers(session, ctx, day, windows, now, supply=supply):
            key = offer.option.window.start
            cur = best.get(key)
            if cur is None or (offer.option.added_travel, offer.option.start, offer.day.engineer.code) < (
                cur.option.added_travel,
                cur.option.start,
                cur.day.engineer.code,
            ):
                best[key] = offer
        slots.extend(_slot(ctx, o, now) for o in best.values())
    return _rank(slots)


def quote(session: Session, req: QuoteRequest, *, actor: str, now: datetime) -> m.Quote:
    """Offer slots and store them as a quote valid for ``quote_ttl_seconds``.

    Raises 409 ``customer`` on credit hold, 409 ``parts`` when nothing in the territory can
    supply the parts, 422 naming the field for bad input. No feasible slot is not an error:
    the quote's slot list is empty.
    """
    ctx, entitlement = _context(session, req, now)
    today = _local_today(now, ctx.territory.timezone)
    days = _days(req.preferred_days, today)
    supply = _Supply(frozenset(), ())
    if ctx.needed:  # read once for every day of the quote: which vans and depots hold the parts
        engineer_ids = session.scalars(
            select(m.Engineer.id).where(m.Engineer.territory_id == ctx.territory.id, m.Engineer.active)
        ).all()
        supply = _supply(session, ctx.territory.id, ctx.needed, engineer_ids, now)
        if not supply.van and not supply.depots:
            raise ConflictError(
                "parts",
                f"part_unavailable: no van or depot in {ctx.territory.code} holds "
                + ", ".join(f"{q} × {s}" for s, q in sorted(req.parts.items()))
                + ", and no depot elsewhere that does has a transfer lane to one of its depots",
            )
    slots = _slots(session, ctx, days, now, supply)
    q = m.Quote(
        id=str(uuid.uuid4()),
        site_id=ctx.site.id,
        created_by=actor,
        created_at=now,
        expires_at=now + timedelta(seconds=get_settings().quote_ttl_seconds),
        request={
            "site": req.site,
            "asset": req.asset,
            "description": req.description,
            "skills": dict(req.skills),
            "duration_minutes": req.duration_minutes,
            "parts": dict(req.parts),
            "preferred_days": [d.isoformat() for d in days],
            "territory": ctx.territory.code,
            "response_deadline": ctx.deadline.isoformat() if ctx.deadline else None,
        },
        entitlement=entitlement,
        slots=slots,
    )
    session.add(q)
    session.flush()
    return q


def _request_of(q: m.Quote) -> QuoteRequest:
    r = q.request
    return QuoteRequest(
        site=r["site"],
        skills=dict(r["skills"]),
        duration_minutes=int(r["duration_minutes"]),
        description=r.get("description", ""),
        asset=r.get("asset"),
        parts=dict(r.get("parts", {})),
        preferred_days=[date.fromisoformat(d) for d in r.get("preferred_days", [])],
    )


def requote(session: Session, q: m.Quote, *, actor: str, now: datetime) -> m.Quote:
    """A fresh quote for the same call (the alternatives a refused confirmation offers)."""
    req = _request_of(q)
    tz = session.get_one(m.Territory, session.get_one(m.Site, q.site_id).territory_id).timezone
    today = _local_today(now, tz)
    days = [d for d in req.preferred_days or [] if d >= today]
    return quote(
        session,
        QuoteRequest(req.site, req.skills, req.duration_minutes, req.description, req.asset, req.parts, days),
        actor=actor,
        now=now,
    )


# ---------------------------------------------------------------------------------------------
# Confirm
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReservedPart:
    sku: str
    quantity: int
    source: str  # "van" | "depot" | "transfer"
    depot: str | None  # where the units are held (a transfer: the depot they are sent from)


@dataclass(frozen=True, slots=True)
class BookingResult:
    booking_id: int
    quote_id: str
    slot_id: str
    job: str
    engineer: str
    engineer_name: str
    window_start: datetime
    window_end: datetime
    eta: datetime
    response_deadline: datetime | None
    sla_kept: bool
    parts: list[ReservedPart]
    created: bool  # False: a retry answered with the booking made the first time


class _SlotGoneError(ConflictError):
    """The slot cannot be had any more; the caller gets fresh alternatives."""


def request_hash(quote_id: str, slot_id: str) -> str:
    return hashlib.sha256(f"{quote_id}\n{slot_id}".encode()).hexdigest()


def _result(s: Session, booking: m.Booking, created: bool) -> BookingResult:
    job = s.get_one(m.Job, booking.job_id)
    q = s.get_one(m.Quote, booking.quote_id)
    slot = next(x for x in q.slots if x["slot_id"] == booking.slot_id)
    engineer = s.get_one(m.Engineer, job.engineer_id) if job.engineer_id else None
    visit = s.scalars(
        select(m.Visit).where(m.Visit.job_id == job.id).order_by(m.Visit.id.desc()).limit(1)
    ).first()
    sent = slot.get("parts_source") == "transfer"
    held = sorted(
        (
            ReservedPart(
                part.sku,
                r.quantity,
                "transfer" if sent and kind == "depot" else kind,
                place if kind == "depot" else None,
            )
            for r, part, kind, place in parts.reservations(s, job)
        ),
        key=lambda p: p.sku,
    )
    window = job.windows[0]
    eta = visit.start if visit is not None else datetime.fromisoformat(slot["eta"])
    return BookingResult(
        booking_id=booking.id,
        quote_id=booking.quote_id,
        slot_id=booking.slot_id,
        job=job.code,
        engineer=engineer.code if engineer else slot["engineer"],
        engineer_name=engineer.name if engineer else slot["engineer_name"],
        window_start=window.start,
        window_end=window.end,
        eta=eta,
        response_deadline=job.response_deadline,
        sla_kept=job.response_deadline is None or eta <= job.response_deadline,
        parts=held,
        created=created,
    )


def _existing(s: Session, actor: str, key: str, digest: str) -> m.Booking | None:
    """The caller's own booking under ``key``: keys are scoped to the caller (the
    ``one_key_per_caller`` constraint), so replaying another caller's key finds nothing and
    books afresh instead of handing over their booking."""
    booking = s.scalars(
        select(m.Booking).where(m.Booking.created_by == actor, m.Booking.idempotency_key == key)
    ).one_or_none()
    if booking is not None and booking.request_hash != digest:
        raise InvalidInputError(
            "Idempotency-Key", "this key was used for another booking request; use a new key"
        )
    return booking


def confirm(
    sessions: sessionmaker[Session],
    quote_id: str,
    slot: str,
    key: str,
    *,
    actor: str,
    now: datetime,
) -> BookingResult:
    """Book slot ``slot`` of quote ``quote_id`` once per idempotency ``key`` of caller ``actor``
    (see module doc)."""
    key = key.strip()
    if not key or len(key) > 80:
        raise InvalidInputError("Idempotency-Key", "give a key of 1 to 80 characters")
    digest = request_hash(quote_id, slot)
    with sessions() as s:
        found = _existing(s, actor, key, digest)
        if found is not None:
            return _result(s, found, False)
    try:
        with transaction(sessions) as s:
            booking, created = _book(s, quote_id, slot, key, digest, actor=actor, now=now)
            return _result(s, booking, created)
    except IntegrityError:
        # A concurrent request of this caller with the same key won the race (the per-caller
        # unique constraint): answer with its booking. Anything else is not ours to answer.
        with sessions() as s:
            found = _existing(s, actor, key, digest)
            if found is None:
                raise
            return _result(s, found, False)
    except _SlotGoneError as gone:
        with transaction(sessions) as s:
            old = s.get_one(m.Quote, quote_id)
            fresh = requote(s, old, actor=actor, now=now)
            alternatives = [public_slot(x) for x in fresh.slots]
        raise ConflictError(
            gone.field,
            gone.reason,
            extra={
                "alternatives": alternatives,
                "quote_id": fresh.id,
                "expires_at": fresh.expires_at.isoformat(),
            },
        ) from None


def quote_document(q: m.Quote) -> dict[str, Any]:
    """A stored quote as the caller sees it (plain data: it may cross a process boundary).
    ``promise_kept_by_any_slot`` tells the agent up front whether the SLA promise can be kept at
    all (false also when no slot is offered), rather than leaving it to each slot's flag."""
    deadline = q.request["response_deadline"]
    return {
        "quote_id": q.id,
        "expires_at": q.expires_at,
        "site": q.request["site"],
        "territory": q.request["territory"],
        "entitlement": q.entitlement,
        "response_deadline": datetime.fromisoformat(deadline) if deadline else None,
        "promise_kept_by_any_slot": any(bool(x.get("sla_kept")) for x in q.slots),
        "slots": [public_slot(x) for x in q.slots],
    }


_WORKER_SESSIONS: dict[str, sessionmaker[Session]] = {}


def quote_in_worker(database_url: str, req: QuoteRequest, actor: str, now: datetime) -> dict[str, Any]:
    """`quote` in a worker process of the API's quote pool, in its own transaction. Quoting is
    CPU-bound Python; a pool of processes fed from one queue uses every core and serves
    callers first come, first served, where threads would share one core under the GIL."""
    factory = _WORKER_SESSIONS.get(database_url)
    if factory is None:
        from dispatch.db import make_engine, session_factory

        factory = _WORKER_SESSIONS[database_url] = session_factory(make_engine(database_url))
    with transaction(factory) as s:
        return quote_document(quote(s, req, actor=actor, now=now))


def public_slot(slot: dict[str, Any]) -> dict[str, Any]:
    """A stored slot without the internal keys the confirmation uses."""
    hidden = {"shift_id", "route_id", "route_version", "depot_id", "transfer_from_id"}
    return {k: v for k, v in slot.items() if k not in hidden}


def _book(
    s: Session, quote_id: str, slot_key: str, key: str, digest: str, *, actor: str, now: datetime
) -> tuple[m.Booking, bool]:
    q = s.get(m.Quote, quote_id, with_for_update=True)
    if q is None:
        raise NotFoundError("quote_id", f"no quote {quote_id!r}")
    found = _existing(s, actor, key, digest)  # a same-key retry may have committed while we waited
    if found is not None:
        return found, False
    taken = s.scalars(select(m.Booking).where(m.Booking.quote_id == q.id)).first()
    if taken is not None:
        code = s.get_one(m.Job, taken.job_id).code
        raise ConflictError("quote_id", f"this quote was already booked as job {code}; quote again")
    slot = next((x for x in q.slots if x["slot_id"] == slot_key), None)
    if slot is None:
        raise InvalidInputError("slot_id", f"quote {quote_id} has no slot {slot_key!r}")
    if now > q.expires_at:
        raise _SlotGoneError("quote_id", f"the quote expired at {q.expires_at.isoformat()}; quote again")
    shift_row = s.get(m.Shift, slot["shift_id"], with_for_update=True)
    if shift_row is None:
        raise _SlotGoneError("slot_id", "the engineer's shift is gone")
    req = _request_of(q)
    ctx, _ = _context(s, req, now)
    start, end = datetime.fromisoformat(slot["start"]), datetime.fromisoformat(slot["end"])
    depot = s.get(m.Depot, slot["depot_id"]) if slot.get("depot_id") else None
    offers = _offers(
        s,
        ctx,
        shift_row.day,
        [(start, end)],
        now,
        only_shift=shift_row.id,
        depot_only=depot,
        transfer_from=slot.get("transfer_from_id"),
        van_only=slot.get("parts_source") == "van",
        lock_route=True,
    )
    if not offers:
        raise _SlotGoneError("slot_id", f"slot {slot_key} is no longer available with {slot['engineer']}")
    offer = min(offers, key=lambda o: (o.option.added_travel, o.option.start))
    sd = offer.day
    eta = sd.at(offer.option.start)
    if slot["sla_kept"] and ctx.deadline is not None and eta > ctx.deadline:
        raise _SlotGoneError("slot_id", f"slot {slot_key} can no longer keep the SLA promise")
    job = create_job(
        s,
        NewJob(
            site=req.site,
            duration_minutes=req.duration_minutes,
            skills=req.skills,
            description=req.description,
            asset=req.asset,
            reported_at=q.created_at,
            windows=[(start, end)],
            parts=req.parts,
        ),
        actor=actor,
        now=now,
    )
    plan, route_row = _route_for(s, sd, ctx.territory)
    new_route = apply(sd.problem, sd.route, offer.option, NEW)
    _write_visits(s, sd, route_row, new_route, job, offer.option)
    job.engineer_id = sd.engineer.id
    if plan.status is m.PlanStatus.PUBLISHED:
        transition(s, job, m.JobStatus.SCHEDULED, actor=actor, note=f"booked into plan {plan.id}", at=now)
    # A transfer's units stay at its source until they travel: that stock holds them.
    _reserve(s, job, ctx.needed, sd.engineer.id, offer.transfer.source if offer.transfer else offer.depot)
    booking = m.Booking(
        idempotency_key=key,
        request_hash=digest,
        quote_id=q.id,
        slot_id=slot_key,
        job_id=job.id,
        created_by=actor,
        created_at=now,
    )
    s.add(booking)
    s.flush()
    return booking, True


def _route_for(s: Session, sd: _ShiftDay, territory: m.Territory) -> tuple[m.Plan, m.Route]:
    """The route row to write, bumping its version only if nobody changed it since we read it."""
    if sd.route_row is not None:
        assert sd.plan is not None
        bumped = s.execute(
            update(m.Route)
            .where(m.Route.id == sd.route_row.id, m.Route.version == sd.route_row.version)
            .values(version=m.Route.version + 1)
            .execution_options(synchronize_session=False)
        )
        if bumped.rowcount != 1:  # type: ignore[attr-defined]
            raise _SlotGoneError("slot_id", "the engineer's route changed meanwhile; here are fresh slots")
        route_row = s.get_one(m.Route, sd.route_row.id)
        s.refresh(route_row)  # the version we just bumped
        return sd.plan, route_row
    plan = sd.plan
    if plan is None:
        s.get(m.Territory, territory.id, with_for_update=True)  # one new plan per territory-day
        plan = current_plan(s, territory.id, sd.shift.day)
        if plan is None:
            plan = m.Plan(
                territory_id=territory.id,
                day=sd.shift.day,
                days=1,
                status=m.PlanStatus.DRAFT,
                kpis={"source": "booking"},
            )
            s.add(plan)
            s.flush()
    route = m.Route(
        plan_id=plan.id,
        shift_id=sd.shift.id,
        engineer_id=sd.engineer.id,
        start=sd.origin,
        end=sd.origin,
        travel_seconds=0,
        distance_m=0,
        version=1,
    )
    s.add(route)
    s.flush()
    return plan, route


def _write_visits(
    s: Session, sd: _ShiftDay, route_row: m.Route, new_route: Route, job: m.Job, option: Option
) -> None:
    """Renumber the route's visits in the new order and give the new times to all of them but
    its history (visits made or under way), which stays first and as it happened."""
    existing = list(s.scalars(select(m.Visit).where(m.Visit.route_id == route_row.id)))
    by_id = {v.id: v for v in existing}
    for k, v in enumerate(existing):
        v.seq = -(k + 1)  # out of the way of the unique (route, seq) while renumbering
    s.flush()
    kept: set[int] = set()
    for seq, vid in enumerate(sd.history, start=1):
        by_id[vid].seq = seq
        kept.add(id(by_id[vid]))
    seq = len(sd.history)
    for st, begin in zip(new_route.steps, new_route.service_starts(), strict=True):
        if st.type not in (StepType.JOB, StepType.BREAK):
            continue
        seq += 1
        known = sd.rows.get(st.id or "")
        row = by_id[known] if known is not None else None
        if row is None:
            kind = "break" if st.type is StepType.BREAK else "depot" if is_pickup(st.id) else "job"
            row = m.Visit(route_id=route_row.id, kind=kind, job_id=job.id if st.id == NEW else None, seq=seq)
            if kind == "depot" and option.depot is not None:  # a booked pick-up (loads None): where
                row.depot_id = sd.depot_at[option.depot].id
            s.add(row)
        kept.add(id(row))
        row.seq = seq
        row.arrival, row.start, row.end = sd.at(st.arrival), sd.at(begin), sd.at(begin + st.service)
        row.waiting_seconds, row.late_seconds = st.waiting_time, st.lateness
    for v in existing:
        if id(v) not in kept:  # a stop we could not time (e.g. an orphaned pick-up) goes last
            seq += 1
            v.seq = seq
    travel, metres = _history_travel(s, sd, [by_id[v] for v in sd.history])
    if not sd.history:
        route_row.start = sd.at(new_route.steps[0].arrival)
    route_row.end = sd.at(new_route.steps[-1].arrival)
    route_row.travel_seconds = new_route.travel_time + travel
    route_row.distance_m = new_route.distance + metres
    s.flush()


def _history_travel(s: Session, sd: _ShiftDay, history: Sequence[m.Visit]) -> tuple[int, int]:
    """Seconds and metres from home through the visits already made to where the engineer is."""
    places = [Place(None, sd.engineer.home_lat, sd.engineer.home_lon)]
    for v in history:
        if v.job_id is not None:
            site = s.get_one(m.Site, s.get_one(m.Job, v.job_id).site_id)
            places.append(Place(site.id, site.lat, site.lon))
        elif v.depot_id is not None:
            depot = s.get_one(m.Depot, v.depot_id)
            places.append(Place(None, depot.lat, depot.lon))
    return path_length(places)


def _reserve(s: Session, job: m.Job, needed: dict[int, int], engineer_id: int, depot: m.Depot | None) -> None:
    for part_id, qty in sorted(needed.items()):
        place = m.Stock.depot_id == depot.id if depot is not None else m.Stock.engineer_id == engineer_id
        stock_id = s.scalars(select(m.Stock.id).where(m.Stock.part_id == part_id, place)).first()
        if stock_id is None or not parts.take(s, stock_id, qty):
            raise _SlotGoneError("parts", "the parts were taken meanwhile; here are fresh slots")
        s.add(m.PartReservation(job_id=job.id, stock_id=stock_id, quantity=qty, created_at=job.created_at))
    s.flush()


def check_stored_route(
    session: Session, route_id: int, now: datetime | None = None
) -> tuple[CheckReport, dict[str, m.Visit]]:
    """Run the independent checker on a stored route (its visits in order, timed afresh, from
    where the engineer's day stood at ``now`` if given, as a booking at ``now`` timed them).

    Returns the report and the visit rows by solver step id (job code, pick-up id, break id),
    so a caller can compare the stored ETAs with the checker's schedule.
    """
    row = session.get_one(m.Route, route_id)
    plan = session.get_one(m.Plan, row.plan_id)
    day = session.get_one(m.Shift, row.shift_id).day
    territory = session.get_one(m.Territory, plan.territory_id)
    [shift] = _territory_shifts(session, territory.id, day, row.shift_id)
    here = (shift.engineer.home_lat, shift.engineer.home_lon)  # no new job: a placeholder
    placeholder = Job(id=NEW, location=0)
    [sd] = _shift_days(session, territory, day, here, placeholder, (), [shift], plan=plan, now=now)
    assert sd.route is not None
    checked, solution = checkable(sd.problem, [sd.route], sd.route, NEW, TimeWindow(start=0, end=0))
    visits = {v.id: v for v in session.scalars(select(m.Visit).where(m.Visit.route_id == route_id))}
    return check(checked, solution), {k: visits[v] for k, v in sd.rows.items()}


# ---------------------------------------------------------------------------------------------
# What the customer is told
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CustomerStatus:
    job: str
    status: m.JobStatus
    message: str
    booked_window: tuple[datetime, datetime] | None
    eta_window: tuple[datetime, datetime] | None
    engineer_first_name: str | None


def customer_status(session: Session, code: str, *, now: datetime) -> CustomerStatus:
    """What a caller asking "when will they come?" is told: no surnames, no exact route.

    The ETA window is the planned start ± `notify.ETA_MARGIN`, clipped to the booked window, from
    the job's visit in the current plan (published before draft); none once the visit is
    under way or over.
    """
    job = get_job(session, code)
    windows = [(w.start, w.end) for w in job.windows]
    booked = next((w for w in windows if w[1] >= now), windows[-1] if windows else None)
    eta_window = None
    if job.status in (m.JobStatus.NEW, m.JobStatus.SCHEDULED, m.JobStatus.DISPATCHED):
        visit = session.execute(
            select(m.Visit)
            .join(m.Route, m.Route.id == m.Visit.route_id)
            .join(m.Plan, m.Plan.id == m.Route.plan_id)
            .where(
                m.Visit.job_id == job.id,
                m.Plan.status.in_([m.PlanStatus.PUBLISHED, m.PlanStatus.DRAFT]),
            )
            .order_by((m.Plan.status == m.PlanStatus.PUBLISHED).desc(), m.Plan.id.desc())
            .limit(1)
        ).scalar_one_or_none()
        if visit is not None:
            eta_window = notify.eta_window(visit.start, booked)
    engineer = session.get(m.Engineer, job.engineer_id) if job.engineer_id else None
    first = engineer.name.split()[0] if engineer is not None and engineer.name.split() else None
    return CustomerStatus(job.code, job.status, CUSTOMER_WORDING[job.status], booked, eta_window, first)

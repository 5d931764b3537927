"""The engineer's day on a phone: the visits of the published plan in order, with everything
needed at the door (address, contact, problem, parts and where to collect them), and the
status steps an engineer may take on their own jobs.

The route is read in a fixed handful of queries whatever the number of visits: a phone on a
poor connection waits for one answer, and the server must not pay one query per visit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from math import cos, radians
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from dispatch import models as m
from dispatch.errors import ConflictError, InvalidInputError, NotFoundError
from dispatch.lifecycle import FIXED, transition
from dispatch.models import utcnow
from dispatch.users import Principal

MAX_HORIZON = 14  # days a plan may cover (planning.load_day)

STEPS = frozenset({m.JobStatus.EN_ROUTE, m.JobStatus.ON_SITE})
"""What an engineer reports from the road; the end of a visit comes with its service report."""


@dataclass(frozen=True, slots=True)
class DepotStop:
    code: str
    name: str
    address: str
    lat: float
    lon: float
    available: int


@dataclass(frozen=True, slots=True)
class PartNeed:
    """One part a visit needs and where it comes from: the van, else a depot of the territory
    that holds enough (nearest to the site first). ``reserved``: stock is held for this job."""

    sku: str
    name: str
    quantity: int
    on_van: bool
    reserved: bool
    depots: tuple[DepotStop, ...]


@dataclass(frozen=True, slots=True)
class Window:
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class DayVisit:
    seq: int
    job: str
    status: m.JobStatus
    eta: datetime
    start: datetime
    end: datetime
    late_minutes: int
    duration_minutes: int
    windows: tuple[Window, ...]
    site: str
    address: str
    lat: float
    lon: float
    customer_name: str
    customer_phone: str
    description: str
    skills: dict[str, int]
    parts: tuple[PartNeed, ...]


@dataclass(frozen=True, slots=True)
class Lunch:
    seq: int
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class Pickup:
    """A depot stop on the route: planned (what to load, and whether it was collected) or
    booked with a job whose parts wait there."""

    visit: int
    collected_at: datetime | None
    loads: dict[str, int]
    seq: int
    eta: datetime
    start: datetime
    end: datetime
    for_job: str | None
    depot: DepotStop | None


@dataclass(frozen=True, slots=True)
class DaySummary:
    visits: int
    travel_minutes: int
    distance_km: float


@dataclass(frozen=True, slots=True)
class EngineerDay:
    engineer: str
    date: date
    timezone: str
    plan_id: int
    shift_start: datetime | None
    shift_end: datetime | None
    route_start: datetime | None
    route_end: datetime | None
    visits: tuple[DayVisit, ...]
    lunch: Lunch | None
    pickups: tuple[Pickup, ...]
    summary: DaySummary


def _engineer(session: Session, who: Principal) -> m.Engineer:
    if who.engineer_id is None:
        raise NotFoundError("engineer", f"user {who.name} is not linked to an engineer")
    engineer = session.scalars(
        select(m.Engineer).where(m.Engineer.id == who.engineer_id).options(joinedload(m.Engineer.territory))
    ).one_or_none()
    if engineer is None:
        raise NotFoundError("engineer", f"user {who.name}'s engineer no longer exists")
    return engineer


def _distance2(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Squared equirectangular distance: enough to order depots by nearness within a territory."""
    dx = (lon2 - lon1) * cos(radians((lat1 + lat2) / 2))
    return dx * dx + (lat2 - lat1) ** 2


def engineer_day(session: Session, who: Principal, day: date | None = None) -> EngineerDay:
    """The engineer's visits on ``day`` (default: today where they work) from the newest
    published plan covering it; 404 naming ``date`` when no plan for that day is published."""
    engineer = _engineer(session, who)
    zone = ZoneInfo(engineer.territory.timezone)
    day = day or utcnow().astimezone(zone).date()
    plans = session.scalars(
        select(m.Plan)
        .where(
            m.Plan.territory_id == engineer.territory_id,
            m.Plan.status == m.PlanStatus.PUBLISHED,
            m.Plan.day <= day,
            m.Plan.day > day - timedelta(days=MAX_HORIZON),
        )
        .order_by(m.Plan.published_at.desc(), m.Plan.id.desc())
    ).all()
    plan = next((p for p in plans if day.toordinal() < p.day.toordinal() + p.days), None)
    if plan is None:
        raise NotFoundError("date", f"no published plan for {engineer.territory.code} on {day.isoformat()}")
    shift = session.scalars(
        select(m.Shift).where(m.Shift.engineer_id == engineer.id, m.Shift.day == day)
    ).one_or_none()
    route = (
        session.scalars(
            select(m.Route)
            .where(m.Route.plan_id == plan.id, m.Route.shift_id == shift.id)
            .options(selectinload(m.Route.visits))
        ).one_or_none()
        if shift is not None
        else None
    )
    visits = route.visits if route is not None else []
    job_ids = [v.job_id for v in visits if v.job_id is not None]
    jobs = {
        j.id: j
        for j in session.scalars(
            select(m.Job)
            .where(m.Job.id.in_(job_ids))
            .options(
                selectinload(m.Job.skills),
                selectinload(m.Job.windows),
                selectinload(m.Job.parts),
            )
        )
    }
    sites = {
        s.id: s
        for s in session.scalars(
            select(m.Site)
            .where(m.Site.id.in_({j.site_id for j in jobs.values()}))
            .options(joinedload(m.Site.customer))
        )
    }
    needs = _parts(session, engineer, list(jobs.values()), sites)
    out: list[DayVisit] = []
    lunch: Lunch | None = None
    pickups: list[Pickup] = []
    stop_ids = {v.depot_id for v in visits if v.depot_id is not None}
    stop_depots = (
        {d.id: d for d in session.scalars(select(m.Depot).where(m.Depot.id.in_(stop_ids)))}
        if stop_ids
        else {}
    )
    for k, v in enumerate(visits):
        if v.kind == "break":
            lunch = Lunch(seq=v.seq, start=v.start, end=v.end)
            continue
        if v.job_id is None and v.depot_id is not None and v.loads is not None:  # a planned stop and its load
            place = stop_depots[v.depot_id]
            loaded = (v.loads or {}).get("parts", {})
            served = next(
                (
                    jobs[w.job_id]
                    for w in visits[k + 1 :]
                    if w.job_id is not None and any(p.sku in loaded for p in needs.get(w.job_id, ()))
                ),
                None,
            )
            stop = DepotStop(
                place.code, place.name, place.address, place.lat, place.lon, sum(loaded.values())
            )
            pickups.append(
                Pickup(
                    v.id,
                    v.collected_at,
                    dict(loaded),
                    v.seq,
                    v.arrival,
                    v.start,
                    v.end,
                    served.code if served else None,
                    stop,
                )
            )
            continue
        if v.job_id is None:  # a booked pick-up: for the next job, where its parts are held
            served = next((jobs[w.job_id] for w in visits[k + 1 :] if w.job_id is not None), None)
            held = [p for p in needs.get(served.id, ()) if p.reserved and p.depots] if served else []
            depot = held[0].depots[0] if held else None
            if v.depot_id is not None and (depot is None or depot.code != stop_depots[v.depot_id].code):
                # the visit names its depot: the parts were sent there (a transfer) for the job
                place = stop_depots[v.depot_id]
                units = sum(p.quantity for p in needs.get(served.id, ())) if served else 0
                depot = DepotStop(place.code, place.name, place.address, place.lat, place.lon, units)
            pickups.append(
                Pickup(
                    v.id,
                    v.collected_at,
                    {},
                    v.seq,
                    v.arrival,
                    v.start,
                    v.end,
                    served.code if served else None,
                    depot,
                )
            )
            continue
        job = jobs[v.job_id]
        site = sites[job.site_id]
        out.append(
            DayVisit(
                seq=v.seq,
                job=job.code,
                status=job.status,
                eta=v.arrival,
                start=v.start,
                end=v.end,
                late_minutes=round(v.late_seconds / 60),
                duration_minutes=job.duration_minutes,
                windows=tuple(Window(w.start, w.end) for w in job.windows),
                site=site.code,
                address=site.address,
                lat=site.lat,
                lon=site.lon,
                customer_name=site.customer.name,
                customer_phone=site.customer.phone,
                description=job.description,
                skills={s.skill: s.min_level for s in job.skills},
                parts=needs.get(job.id, ()),
            )
        )
    return EngineerDay(
        engineer=engineer.code,
        date=day,
        timezone=engineer.territory.timezone,
        plan_id=plan.id,
        shift_start=shift.start if shift else None,
        shift_end=shift.end if shift else None,
        route_start=route.start if route else None,
        route_end=route.end if route else None,
        visits=tuple(out),
        lunch=lunch,
        pickups=tuple(pickups),
        summary=DaySummary(
            visits=len(out),
            travel_minutes=round(route.travel_seconds / 60) if route else 0,
            distance_km=round(route.distance_m / 1000, 1) if route else 0.0,
        ),
    )


def _parts(
    session: Session, engineer: m.Engineer, jobs: list[m.Job], sites: dict[int, m.Site]
) -> dict[int, tuple[PartNeed, ...]]:
    """Per job, its parts and where to collect them, in four queries for the whole day."""
    part_ids = {p.part_id for j in jobs for p in j.parts}
    if not part_ids:
        return {}
    parts = {p.id: p for p in session.scalars(select(m.Part).where(m.Part.id.in_(part_ids)))}
    held = session.execute(
        select(m.PartReservation.job_id, m.PartReservation.stock_id).where(
            m.PartReservation.job_id.in_([j.id for j in jobs]),
            m.PartReservation.status == m.ReservationStatus.RESERVED,
        )
    ).all()
    # The van, the territory's depots, and wherever this day's parts are held (a transfer's
    # source may be another territory's depot).
    territory_depots = select(m.Depot.id).where(m.Depot.territory_id == engineer.territory_id)
    stock = session.scalars(
        select(m.Stock).where(
            m.Stock.part_id.in_(part_ids),
            or_(
                m.Stock.engineer_id == engineer.id,
                m.Stock.depot_id.in_(territory_depots),
                m.Stock.id.in_([sid for _, sid in held]),
            ),
        )
    ).all()
    depots = {
        d.id: d
        for d in session.scalars(
            select(m.Depot).where(m.Depot.id.in_({s.depot_id for s in stock if s.depot_id is not None}))
        )
    }
    by_id = {s.id: s for s in stock}
    reserved_at = {(job_id, by_id[sid].part_id): by_id[sid] for job_id, sid in held if sid in by_id}
    van = {s.part_id: s for s in stock if s.engineer_id == engineer.id}
    own = {d.id for d in depots.values() if d.territory_id == engineer.territory_id}
    in_depots = [s for s in stock if s.depot_id in own]
    out: dict[int, tuple[PartNeed, ...]] = {}
    for job in jobs:
        site = sites[job.site_id]
        needs: list[PartNeed] = []
        for jp in sorted(job.parts, key=lambda p: parts[p.part_id].sku):
            part = parts[jp.part_id]
            held_at = reserved_at.get((job.id, jp.part_id))
            if held_at is not None:
                on_van = held_at.engineer_id == engineer.id
                sources = [] if on_van else [held_at]
            else:
                v = van.get(jp.part_id)
                on_van = v is not None and v.quantity - v.reserved >= jp.quantity
                sources = (
                    []
                    if on_van
                    else [
                        s
                        for s in in_depots
                        if s.part_id == jp.part_id and s.quantity - s.reserved >= jp.quantity
                    ]
                )
            stops = sorted(
                (
                    DepotStop(d.code, d.name, d.address, d.lat, d.lon, s.quantity - s.reserved)
                    for s in sources
                    if s.depot_id is not None
                    for d in (depots[s.depot_id],)
                ),
                key=lambda d: _distance2(site.lat, site.lon, d.lat, d.lon),
            )
            needs.append(
                PartNeed(part.sku, part.name, jp.quantity, on_van, held_at is not None, tuple(stops))
            )
        out[job.id] = tuple(needs)
    return out


def own_job(session: Session, who: Principal, code: str, *, lock: bool = False) -> m.Job:
    """A job assigned to the calling engineer; any other code is 404 (never 403), so an
    engineer cannot learn which codes exist on other engineers' routes."""
    q = select(m.Job).where(m.Job.code == code)
    if lock:
        q = q.with_for_update()  # two steps on one job never interleave
    job = session.scalars(q).one_or_none()
    if job is None or who.engineer_id is None or job.engineer_id != who.engineer_id:
        raise NotFoundError("job", f"no job {code!r} on your route")
    return job


def _published_plan(session: Session, territory_id: int, day: date) -> m.Plan | None:
    """The newest published plan covering ``day``: the one whose route the phone shows."""
    plans = session.scalars(
        select(m.Plan)
        .where(
            m.Plan.territory_id == territory_id,
            m.Plan.status == m.PlanStatus.PUBLISHED,
            m.Plan.day <= day,
            m.Plan.day > day - timedelta(days=MAX_HORIZON),
        )
        .order_by(m.Plan.published_at.desc(), m.Plan.id.desc())
    ).all()
    return next((p for p in plans if day.toordinal() < p.day.toordinal() + p.days), None)


def check_today(session: Session, who: Principal, job: m.Job, now: datetime, field: str) -> None:
    """An engineer steps and reports only what they work today: a job whose visit is on their
    published route for today (the territory's local date of ``now``), or one already under
    way (en route or on site: a visit may run past midnight). Anything else is 409 naming
    ``field``, so a tap on tomorrow's job cannot mark it en route, on site or done today."""
    if job.status in FIXED:
        return
    engineer = _engineer(session, who)
    today = now.astimezone(ZoneInfo(engineer.territory.timezone)).date()
    plan = _published_plan(session, engineer.territory_id, today)
    visits = session.execute(  # the job's visits on this engineer's published routes, newest first
        select(m.Route.plan_id, m.Shift.day)
        .join(m.Visit, m.Visit.route_id == m.Route.id)
        .join(m.Shift, m.Shift.id == m.Route.shift_id)
        .join(m.Plan, m.Plan.id == m.Route.plan_id)
        .where(
            m.Visit.job_id == job.id,
            m.Route.engineer_id == engineer.id,
            m.Plan.status == m.PlanStatus.PUBLISHED,
        )
        .order_by(m.Plan.published_at.desc(), m.Plan.id.desc())
    ).all()
    if plan is not None and (plan.id, today) in {(p, d) for p, d in visits}:
        return
    planned = next((d for _, d in visits if d != today), None)
    where = f"is planned for {planned.isoformat()}" if planned else "is not on your published route for today"
    raise ConflictError(
        field,
        f"job {job.code} {where}; today ({today.isoformat()}) only the jobs on today's route, "
        "or a visit already under way, can be stepped or reported",
    )


def step(
    session: Session,
    who: Principal,
    code: str,
    target: m.JobStatus,
    note: str = "",
    *,
    now: datetime | None = None,
) -> m.JobEvent:
    """En route or on site: one lifecycle step on the engineer's own job on today's route (see
    `check_today`; 409 if illegal now). ``now``: the clock (the API's, which tests pin)."""
    if target not in STEPS:
        raise InvalidInputError(
            "status", f"an engineer reports en_route or on_site here (got {target}); finish with a report"
        )
    now = now or utcnow()
    job = own_job(session, who, code, lock=True)
    check_today(session, who, job, now, "status")
    if target is m.JobStatus.EN_ROUTE and job.status is m.JobStatus.SCHEDULED:
        # Setting off to a job on the published plan is accepting it: record the dispatch
        # step too, so the history stays on the lifecycle's path.
        transition(
            session, job, m.JobStatus.DISPATCHED, actor=who.actor, note="accepted on the phone", at=now
        )
    event = transition(session, job, target, actor=who.actor, note=note, at=now)
    session.flush()
    return event

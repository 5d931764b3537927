"""Where each engineer's day stands at a moment: the visits finished, the visit in hand, and
where and when the engineer is next free.

Every path that puts work on today's routes (booking quotes and confirmations, manual moves,
in-day re-plans) starts from this state, so none offers a visit before the call, plans a
departure the engineer never made, or drops the visit an engineer is standing at. It is
read from the job events the engineers report, not from the plan: the plan says what was
meant to happen, the events what did.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dispatch import models as m
from solver import Location
from solver.travel import GreatCircleProvider

S = m.JobStatus
FINISHED = (S.COMPLETED, S.INCOMPLETE)
IN_HAND = (S.EN_ROUTE, S.ON_SITE)


@dataclass(frozen=True, slots=True)
class Place:
    site_id: int | None  # None: the engineer's home
    lat: float
    lon: float


@dataclass(frozen=True, slots=True)
class DoneVisit:
    """A visit finished today, timed by its events: arrived (on site), left (report)."""

    job_id: int
    site_id: int
    arrival: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class InHand:
    """The visit under way: on site since ``since``, or en route and arriving at ``start``.
    ``end`` is when the engineer will be free again (never before the moment asked about: an
    overrunning visit is still going on)."""

    job_id: int
    site_id: int
    status: m.JobStatus
    since: datetime  # the on-site or en-route event
    start: datetime  # service start: on site since, or the ETA from when they left
    end: datetime

    @property
    def service_seconds(self) -> int:
        return int((self.end - self.start).total_seconds())


@dataclass(frozen=True, slots=True)
class FieldState:
    engineer_id: int
    done: tuple[DoneVisit, ...]  # in the order they were made
    in_hand: InHand | None
    free_at: datetime  # the later of the moment asked about and the end of the work in hand
    free_from: Place  # where: the visit in hand, else the last visit finished, else home

    @property
    def job_ids(self) -> set[int]:
        """Jobs whose visit is history or under way: no writer may re-plan them."""
        ids = {d.job_id for d in self.done}
        if self.in_hand is not None:
            ids.add(self.in_hand.job_id)
        return ids


def drive_seconds(a: Place, b: Place) -> int:
    matrix = GreatCircleProvider().matrix([Location(lat=a.lat, lon=a.lon), Location(lat=b.lat, lon=b.lon)])
    return int(matrix.durations[0, 1])


def path_length(places: Sequence[Place]) -> tuple[int, int]:
    """Seconds and metres driven along ``places`` in order."""
    if len(places) < 2:
        return 0, 0
    matrix = GreatCircleProvider().matrix([Location(lat=p.lat, lon=p.lon) for p in places])
    legs = range(len(places) - 1)
    return (
        int(sum(matrix.durations[k, k + 1] for k in legs)),
        int(sum(matrix.distances[k, k + 1] for k in legs)),
    )


def field_states(
    session: Session, engineer_ids: Collection[int], day_start: datetime, as_of: datetime
) -> dict[int, FieldState]:
    """The state at ``as_of`` of each engineer in ``engineer_ids`` whose day (from
    ``day_start``, the local midnight in UTC) has begun: finished visits since ``day_start``
    and the visit in hand. Engineers with neither are absent: they are at home, free at
    ``as_of`` (or their shift start)."""
    if not engineer_ids or as_of <= day_start:
        return {}
    engineers = {
        e.id: e for e in session.scalars(select(m.Engineer).where(m.Engineer.id.in_(list(engineer_ids))))
    }
    # Who did a finished visit: the job's engineer, else (sent back to ``new`` since) the engineer
    # who wrote its report.
    who = func.coalesce(m.Job.engineer_id, m.ServiceReport.engineer_id)
    events = session.execute(
        select(m.JobEvent.job_id, m.JobEvent.to_status, m.JobEvent.at, who, m.Job.site_id, m.Job.status)
        .join(m.Job, m.Job.id == m.JobEvent.job_id)
        .outerjoin(m.ServiceReport, m.ServiceReport.job_id == m.Job.id)
        .where(
            who.in_(list(engineers)),
            m.JobEvent.at >= day_start,
            m.JobEvent.at <= as_of,
            m.JobEvent.to_status.in_([*FINISHED, *IN_HAND]),
        )
        .order_by(m.JobEvent.at, m.JobEvent.id)
    ).all()
    in_hand_rows = session.execute(
        select(m.Job.id, m.Job.engineer_id, m.Job.site_id, m.Job.status, m.Job.duration_minutes).where(
            m.Job.engineer_id.in_(list(engineers)), m.Job.status.in_(IN_HAND)
        )
    ).all()
    sites = {
        s.id: s
        for s in session.scalars(
            select(m.Site).where(m.Site.id.in_({r[4] for r in events} | {r[2] for r in in_hand_rows}))
        )
    }
    done: dict[int, list[DoneVisit]] = {}
    arrived: dict[int, datetime] = {}  # job id → last on-site event
    left: dict[int, datetime] = {}  # job id → last en-route event
    for job_id, status, at, who_id, site_id, _ in events:
        if status is S.ON_SITE:
            arrived[job_id] = at
        elif status is S.EN_ROUTE:
            left[job_id] = at
        elif who_id is not None:
            done.setdefault(who_id, []).append(DoneVisit(job_id, site_id, arrived.get(job_id, at), at))
    hand: dict[int, InHand] = {}
    for job_id, hand_engineer, site_id, status, minutes in in_hand_rows:
        assert hand_engineer is not None  # selected by engineer
        engineer_id = hand_engineer
        site = sites[site_id]
        here = Place(site_id, site.lat, site.lon)
        service = timedelta(minutes=minutes)
        if status is S.ON_SITE:
            since = arrived.get(job_id, as_of)
            start = since
        else:
            since = left.get(job_id, as_of)
            before = [d for d in done.get(engineer_id, []) if d.end <= since]
            eng = engineers[engineer_id]
            origin = (
                Place(before[-1].site_id, sites[before[-1].site_id].lat, sites[before[-1].site_id].lon)
                if before
                else Place(None, eng.home_lat, eng.home_lon)
            )
            # Not there yet: the ETA from when they left, and not before now.
            start = max(as_of, since + timedelta(seconds=drive_seconds(origin, here)))
        hand[engineer_id] = InHand(job_id, site_id, status, since, start, max(as_of, start + service))
    out: dict[int, FieldState] = {}
    for engineer_id in set(done) | set(hand):
        eng = engineers[engineer_id]
        finished = tuple(done.get(engineer_id, ()))
        current = hand.get(engineer_id)
        if current is not None:
            site = sites[current.site_id]
            place, free = Place(current.site_id, site.lat, site.lon), current.end
        else:
            last = sites[finished[-1].site_id]
            place, free = Place(last.id, last.lat, last.lon), max(as_of, finished[-1].end)
        out[engineer_id] = FieldState(engineer_id, finished, current, free, place)
    return out


def home(engineer: m.Engineer) -> Place:
    return Place(None, engineer.home_lat, engineer.home_lon)


@dataclass(frozen=True, slots=True)
class RouteSplit:
    """A stored route cut at a moment: ``history`` (visits made: finished jobs, collected depot
    stops, a break begun), the visit ``in_hand`` if it is on the route, and the ``rest``."""

    history: tuple[int, ...]  # visit ids in the order they happened
    in_hand: int | None
    rest: tuple[int, ...]  # visit ids in stored order
    break_taken: bool
    break_end: datetime | None  # when a break begun before the moment ends


@dataclass(frozen=True, slots=True)
class StoredVisit:
    """The columns of a stored visit a split needs (plain values: quotes read thousands)."""

    id: int
    kind: str
    job_id: int | None
    start: datetime
    end: datetime
    collected_at: datetime | None


def split_route(visits: Sequence[StoredVisit], state: FieldState | None, as_of: datetime) -> RouteSplit:
    """Which stored visits are history at ``as_of`` for the engineer in ``state``. Engineers
    report visits, not breaks: a planned break begun by ``as_of`` counts as taken unless the
    events put the engineer on site during it."""
    done = {d.job_id: d.end for d in state.done} if state is not None else {}
    hand = state.in_hand.job_id if state is not None and state.in_hand is not None else None
    # Time on site by the events: a planned break that falls in it was not taken then.
    busy = [(d.arrival, d.end) for d in state.done] if state is not None else []
    if state is not None and state.in_hand is not None and state.in_hand.status is S.ON_SITE:
        busy.append((state.in_hand.since, state.in_hand.end))
    history: list[tuple[datetime, int]] = []
    rest: list[int] = []
    in_hand = None
    break_taken, break_end = False, None
    for v in visits:
        if v.job_id is not None and v.job_id in done:
            history.append((done[v.job_id], v.id))
        elif v.job_id is not None and v.job_id == hand:
            in_hand = v.id
        elif v.kind == "depot" and v.collected_at is not None:
            history.append((v.collected_at, v.id))
        elif v.kind == "break" and v.start <= as_of and not any(a < v.end and v.start < b for a, b in busy):
            history.append((v.end, v.id))
            break_taken, break_end = True, v.end
        else:
            rest.append(v.id)
    # A depot stop planned before a visit that is made or under way is behind the engineer
    # too (collected, or passed by without a tap): it is no stop still to make.
    made = {i for _, i in history} | ({in_hand} if in_hand is not None else set())
    order = [v.id for v in visits]
    last_made = max((order.index(i) for i in made if i in order), default=-1)
    by_id = {v.id: v for v in visits}
    passed = [i for i in rest if by_id[i].kind == "depot" and order.index(i) < last_made]
    history += [(by_id[i].end, i) for i in passed]
    rest = [i for i in rest if i not in passed]
    history.sort()
    return RouteSplit(tuple(i for _, i in history), in_hand, tuple(rest), break_taken, break_end)


@dataclass(frozen=True, slots=True)
class LunchWindow:
    """A lunch break's start window after clamping to the moment, or why it has none."""

    earliest: datetime
    latest: datetime  # latest start
    moved: bool  # pushed past its window by the work in hand


def lunch_window(
    earliest: datetime, latest_end: datetime, minutes: int, free_at: datetime, *, as_of: datetime | None
) -> LunchWindow | None:
    """The break's start window for a route resumed at ``free_at``. A window that closed
    before ``as_of`` counts as taken; one the visit in hand overruns moves to right after it
    (a visit under way always stays; the break gives)."""
    latest = latest_end - timedelta(minutes=minutes)
    if as_of is not None and latest < as_of:
        return None
    start = max(earliest, free_at)
    if start <= latest:
        return LunchWindow(start, latest, False)
    return LunchWindow(start, start, True)

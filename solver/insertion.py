"""Fast, feasibility-checked insertion of one new job into existing routes.

Used for booking quotes and urgent in-day jobs: the routes stay as they are, and the new job
(optionally preceded by a depot pick-up of its parts) is tried in every gap of every
candidate route, for each customer window asked about. An insertion is accepted only if the
schedule rebuilt with `solver.check`'s semantics keeps every rule: customer windows, fixed
starts, breaks inside their windows (a break listed between two steps is taken on that leg),
the shift end, ``max_jobs``, skills, and no visit that was on time for its SLA deadline
becomes late.

Speed comes from three things: each route's original schedule is computed once (the state
before every gap); the arrival at the new job depends only on the gap, not on the window;
and after the new job the delay is propagated only until a visit finishes no later than it
did before (the schedule is monotone in time, so the rest of the route is unchanged or
earlier, hence still feasible). Gaps are tried cheapest-detour first and the first feasible
one per (window, shift) is the answer, so most candidates cost a few steps.

Depot pick-ups are jobs of the problem whose id starts with `PICKUP_PREFIX`: a stop of
`PICKUP_SERVICE` seconds at the depot, placed right before the job it serves. They do not
count against ``max_jobs`` (which caps customer visits); `checkable` raises ``max_jobs``
by the route's pick-ups so that the independent checker agrees. A pick-up may have to wait for
its parts (a transfer from another depot arriving at ``ready``): `pickup_job` gives it the
window ``[ready, …]``, so it starts at ``max(arrival, ready)`` here, in `timed_route` and in
the checker alike.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from solver.model import (
    Break,
    Job,
    Problem,
    Reason,
    Route,
    Shift,
    Solution,
    Status,
    Step,
    StepType,
    Summary,
    TimeWindow,
    Unassigned,
)
from solver.timing import begin_at, earliest_route, ready_after

PICKUP_PREFIX = "pickup:"
PICKUP_SERVICE = 600  # ten minutes at the depot counter


def pickup_id(job_id: str) -> str:
    """The id of the depot pick-up stop serving ``job_id``."""
    return f"{PICKUP_PREFIX}{job_id}"


def is_pickup(job_id: str | None) -> bool:
    return job_id is not None and job_id.startswith(PICKUP_PREFIX)


def pickup_job(
    pid: str, location: int, shift: Shift, ready: int | None = None, service: int = PICKUP_SERVICE
) -> Job:
    """A pick-up stop as a job; ``ready``: it cannot start earlier (the parts are not there yet),
    a window that stays open to the end of ``shift``."""
    windows = () if ready is None else (TimeWindow(start=ready, end=max(ready, shift.time_window.end)),)
    return Job(id=pid, location=location, service=service, time_windows=windows)


@dataclass(frozen=True, slots=True, kw_only=True)
class Option:
    """One feasible way to put the new job on a shift's route for one customer window."""

    shift_id: str
    engineer_id: str
    window: TimeWindow
    position: int  # the new stop(s) go right before ``route.steps[position]``
    depot: int | None  # location of the pick-up stop placed right before the job, if any
    arrival: int  # when the engineer reaches the site (before a break taken there)
    start: int  # service start (the time a customer is promised)
    added_travel: int
    added_distance: int
    depot_ready: int | None = None  # the pick-up starts no earlier (its parts arrive then)


def empty_route(shift: Shift) -> Route:
    """A shift's day with no visits: start, its breaks, end."""
    steps = (
        Step(type=StepType.START, location=shift.start, arrival=shift.time_window.start),
        *(Step(type=StepType.BREAK, id=b.id, service=b.duration) for b in shift.breaks),
        Step(type=StepType.END, location=shift.end, arrival=shift.time_window.start),
    )
    return Route(
        shift_id=shift.id,
        engineer_id=shift.engineer_id,
        steps=steps,
        travel_time=0,
        distance=0,
        service=0,
        waiting_time=0,
        lateness=0,
    )


Item = Job | Break


class _Leg:
    """Travel with pending breaks, exactly as `solver.check` rebuilds it."""

    __slots__ = ("dur",)

    def __init__(self, problem: Problem) -> None:
        self.dur = problem.matrix.durations.item

    def __call__(self, t: int, loc: int, to: int | None, pending: Sequence[Break]) -> int | None:
        """Time on arrival at ``to`` (None: open end), or None if a break window is missed."""
        return ready_after(t, 0 if to is None else int(self.dur(loc, to)), pending)

    def arrived(self, t: int, loc: int, to: int, pending: Sequence[Break]) -> int:
        """When the engineer reaches ``to``: before any break taken there, after the rest."""
        remaining = int(self.dur(loc, to))
        for b in pending:
            window = next((w for w in b.time_windows if w.end >= t), None)
            if window is None:
                return t + remaining  # a broken route: `__call__` refuses it
            driven = min(remaining, max(0, window.start - t))
            remaining -= driven
            if remaining == 0:
                return t + driven
            t = max(t + driven, window.start) + b.duration
        return t + remaining


@dataclass(slots=True)
class _Prepared:
    """A route's original schedule, as the state before each gap.

    A route may already break a rule before anything is inserted (a day resumed from where
    the engineer is, behind its plan: a window that can no longer be met, a shift that will
    overrun). Such a rule does not block an insertion; an insertion may only not break a rule
    the route keeps, nor make an overrun longer (``ok``, ``end_ok``, ``last``)."""

    shift: Shift
    items: list[Item]  # steps[1:-1] resolved to jobs and breaks
    t: list[int]  # time before item k (k = len(items): before the end leg)
    loc: list[int]
    pending: list[tuple[Break, ...]]
    end: list[int]  # original end of service of job item k (-1 for breaks)
    on_time: list[bool]  # job item k met its SLA deadline (or has none)
    next_loc: list[int | None]  # location of the next job at or after gap k (or the shift end)
    customers: int  # customer jobs (pick-ups excluded), for max_jobs
    ok: list[bool]  # job item k was reached in time (its breaks taken in their windows too)
    end_ok: bool  # the route was home by the shift end
    last: int  # when the route originally ended


def _prepare(problem: Problem, route: Route, shift: Shift, jobs: Mapping[str, Job], leg: _Leg) -> _Prepared:
    breaks = {b.id: b for b in shift.breaks}
    items: list[Item] = []
    for step in route.steps[1:-1]:
        if step.type is StepType.BREAK:
            items.append(breaks[step.id or ""])
        else:
            items.append(jobs[step.id or ""])
    n = len(items)
    empty: tuple[Break, ...] = ()
    ts, locs, pend = [0] * (n + 1), [0] * (n + 1), [empty] * (n + 1)
    ends, on_time, ok = [-1] * n, [True] * n, [True] * n
    t, loc, pending = shift.time_window.start, shift.start, empty
    for k, item in enumerate(items):
        ts[k], locs[k], pend[k] = t, loc, pending
        if isinstance(item, Break):
            pending = (*pending, item)
            continue
        arrival = leg(t, loc, item.location, pending)
        ok[k] = arrival is not None
        arrival = t if arrival is None else arrival  # an already broken route: keep going
        begin = begin_at(item, arrival)
        ok[k] = ok[k] and begin is not None
        begin = arrival if begin is None else begin
        on_time[k] = item.deadline is None or begin <= item.deadline
        t, loc, pending = begin + item.service, item.location, ()
        ends[k] = t
    ts[n], locs[n], pend[n] = t, loc, pending
    home = leg(t, loc, shift.end, pending)
    last = t if home is None else home
    end_ok = home is not None and home <= shift.time_window.end
    next_loc: list[int | None] = [shift.end] * (n + 1)
    upcoming: int | None = shift.end
    for k in range(n - 1, -1, -1):
        item = items[k]
        if isinstance(item, Job):
            upcoming = item.location
        next_loc[k] = upcoming
    customers = sum(1 for it in items if isinstance(it, Job) and not is_pickup(it.id))
    return _Prepared(shift, items, ts, locs, pend, ends, on_time, next_loc, customers, ok, end_ok, last)


def _suffix_ok(p: _Prepared, k: int, t: int, loc: int, leg: _Leg, protect_deadlines: bool) -> bool:
    """Does the route from item ``k`` on still keep its rules when resumed at ``t`` from ``loc``
    (those it kept before: see `_Prepared`)?"""
    pending: tuple[Break, ...] = ()
    for i in range(k, len(p.items)):
        item = p.items[i]
        if isinstance(item, Break):
            pending = (*pending, item)
            continue
        arrival = leg(t, loc, item.location, pending)
        if arrival is None:
            if p.ok[i]:
                return False
            arrival = t
        begin = begin_at(item, arrival)
        if begin is None:
            if p.ok[i]:
                return False
            begin = arrival
        if protect_deadlines and p.on_time[i] and item.deadline is not None and begin > item.deadline:
            return False
        t, loc, pending = begin + item.service, item.location, ()
        if t <= p.end[i]:
            return True  # delay absorbed: the rest runs as before or earlier
    end = leg(t, loc, p.shift.end, pending)
    if end is None:
        return not p.end_ok and t <= p.last
    return end <= p.shift.time_window.end or (not p.end_ok and end <= p.last)


def insert(
    problem: Problem,
    routes: Iterable[Route],
    job_id: str,
    windows: Sequence[TimeWindow],
    *,
    shifts: Iterable[str] | None = None,
    pickups: Mapping[str, Sequence[int]] | None = None,
    not_before: int | None = None,
    pickup_service: int = PICKUP_SERVICE,
    protect_deadlines: bool = True,
    depot_ready: Mapping[int, int] | None = None,
) -> list[Option]:
    """The cheapest feasible insertion of job ``job_id`` per (window, shift).

    ``windows``: the customer windows to try, each used as the job's only window (its own
    windows in ``problem`` are ignored). ``routes``: the current routes; a candidate shift
    without one starts from `empty_route`. ``shifts``: the candidate shift ids (default all).
    ``pickups``: shift id → depot locations one of which that shift must visit right before
    the job (shifts not named need no pick-up; an empty tuple excludes the shift).
    ``not_before``: nothing is inserted before a visit that starts earlier (it is done or in
    progress). ``depot_ready``: depot location → earliest start of a pick-up there (e.g. when
    a transfer of the parts arrives); the stop waits until then. Options come sorted by
    window, then added travel.
    """
    jobs = {j.id: j for j in problem.jobs}
    job = jobs[job_id]
    by_shift = {r.shift_id: r for r in routes}
    wanted = set(shifts) if shifts is not None else None
    pickups = pickups or {}
    ready_at = depot_ready or {}
    leg = _Leg(problem)
    dur = leg.dur
    dist = problem.matrix.distances.item
    new = job.location
    options: list[Option] = []
    for shift in problem.shifts:
        if wanted is not None and shift.id not in wanted:
            continue
        if not shift.has_skills(job.skills):
            continue
        depots: Sequence[int | None] = tuple(pickups[shift.id]) if shift.id in pickups else (None,)
        if not depots:
            continue
        live = [
            w
            for w in windows
            if shift.time_window.start <= w.end and w.start + job.service <= shift.time_window.end
        ]
        if not live:
            continue
        route = by_shift.get(shift.id) or empty_route(shift)
        p = _prepare(problem, route, shift, jobs, leg)
        if shift.max_jobs is not None and p.customers + 1 > shift.max_jobs:
            continue
        first = 0
        if not_before is not None:
            for k, item in enumerate(p.items):
                if isinstance(item, Job) and p.end[k] - item.service < not_before:
                    first = k + 1
        variants: list[tuple[int, int, int, int | None]] = []  # (added travel, distance, gap, depot)
        for k in range(first, len(p.items) + 1):
            prev, nxt = p.loc[k], p.next_loc[k]
            for depot in depots:
                if depot is None:
                    travel, metres = dur(prev, new), dist(prev, new)
                else:
                    travel = dur(prev, depot) + dur(depot, new)
                    metres = dist(prev, depot) + dist(depot, new)
                if nxt is not None:
                    travel += dur(new, nxt) - dur(prev, nxt)
                    metres += dist(new, nxt) - dist(prev, nxt)
                variants.append((int(travel), int(metres), k, depot))
        variants.sort(key=lambda v: (v[0], v[2]))
        arrivals: dict[tuple[int, int | None], int | None] = {}
        for w in live:
            for travel, metres, k, depot in variants:
                key = (k, depot)
                if key not in arrivals:
                    ready = ready_at.get(depot) if depot is not None else None
                    arrivals[key] = _arrival(p, k, depot, new, leg, pickup_service, ready)
                arrival = arrivals[key]
                if arrival is None or arrival > w.end:
                    continue
                start = max(arrival, w.start)
                if not _suffix_ok(p, k, start + job.service, new, leg, protect_deadlines):
                    continue
                if depot is None and k == 0:
                    arrival = start  # the first stop: the engineer leaves late instead of waiting
                elif depot is None and p.pending[k]:
                    arrival = leg.arrived(p.t[k], p.loc[k], new, p.pending[k])
                options.append(
                    Option(
                        shift_id=shift.id,
                        engineer_id=shift.engineer_id,
                        window=w,
                        position=k + 1,
                        depot=depot,
                        arrival=arrival,
                        start=start,
                        added_travel=travel,
                        added_distance=metres,
                        depot_ready=ready_at.get(depot) if depot is not None else None,
                    )
                )
                break
    options.sort(key=lambda o: (o.window.start, o.window.end, o.added_travel, o.start, o.shift_id))
    return options


def least_added_travel(
    problem: Problem, route: Route | None, job_id: str, depots: Sequence[int] | None = None
) -> int:
    """A lower bound on the added travel of any insertion of ``job_id`` into ``route`` (the
    problem's only shift when ``route`` is None), via one of ``depots`` if given: the cheapest
    detour over all gaps, feasible or not. Callers after the best shift per window can skip
    every shift whose bound exceeds the best found so far."""
    shift = problem.shifts[0] if route is None else next(s for s in problem.shifts if s.id == route.shift_id)
    jobs = {j.id: j for j in problem.jobs}
    new = jobs[job_id].location
    stops: list[int | None] = [shift.start]
    if route is not None:
        stops += [jobs[st.id or ""].location for st in route.steps if st.type is StepType.JOB]
    stops.append(shift.end)  # None: an open end, where leaving costs nothing
    dur = problem.matrix.durations
    vias: Sequence[int | None] = tuple(depots) if depots else (None,)
    best: int | None = None
    for a, b in itertools.pairwise(stops):
        assert a is not None
        for via in vias:
            reach = int(dur[a, new]) if via is None else int(dur[a, via] + dur[via, new])
            detour = reach if b is None else reach + int(dur[new, b]) - int(dur[a, b])
            best = detour if best is None else min(best, detour)
    return best if best is not None else 0


def _arrival(
    p: _Prepared,
    k: int,
    depot: int | None,
    new: int,
    leg: _Leg,
    pickup_service: int,
    ready: int | None = None,
) -> int | None:
    """Arrival at the new job inserted in gap ``k`` (via ``depot`` if given, whose pick-up
    starts at ``max(arrival there, ready)``)."""
    if depot is None:
        return leg(p.t[k], p.loc[k], new, p.pending[k])
    at_depot = leg(p.t[k], p.loc[k], depot, p.pending[k])
    if at_depot is None:
        return None
    if ready is not None:
        at_depot = max(at_depot, ready)
    return leg(at_depot + pickup_service, depot, new, ())


def best_per_window(options: Iterable[Option]) -> dict[TimeWindow, Option]:
    """The least added travel per window (ties: earlier start, then shift id)."""
    best: dict[TimeWindow, Option] = {}
    for o in options:
        cur = best.get(o.window)
        if cur is None or (o.added_travel, o.start, o.shift_id) < (cur.added_travel, cur.start, cur.shift_id):
            best[o.window] = o
    return best


def with_window(problem: Problem, job_id: str, window: TimeWindow) -> Job:
    job = next(j for j in problem.jobs if j.id == job_id)
    return replace(job, time_windows=(window,))


def apply(
    problem: Problem,
    route: Route | None,
    option: Option,
    job_id: str,
    *,
    pickup_service: int = PICKUP_SERVICE,
) -> Route:
    """The route with the option's stops in place, timed as `solver.check` times it.

    The pick-up stop, if any, has id ``pickup_id(job_id)`` and waits for ``option.depot_ready``.
    ``route`` None: the shift's empty day.
    """
    shift = next(s for s in problem.shifts if s.id == option.shift_id)
    base = route or empty_route(shift)
    jobs = {j.id: j for j in problem.jobs}
    jobs[job_id] = with_window(problem, job_id, option.window)
    added: list[Step] = []
    if option.depot is not None:
        pid = pickup_id(job_id)
        jobs[pid] = pickup_job(pid, option.depot, shift, option.depot_ready, pickup_service)
        added.append(Step(type=StepType.JOB, id=pid, location=option.depot))
    added.append(Step(type=StepType.JOB, id=job_id, location=jobs[job_id].location))
    steps = [*base.steps[: option.position], *added, *base.steps[option.position :]]
    return timed_route(problem, shift, steps, jobs)


def timed_route(problem: Problem, shift: Shift, steps: Sequence[Step], jobs: Mapping[str, Job]) -> Route:
    """The earliest schedule of ``steps`` (their order only; checker semantics) as a `Route`,
    timed by `solver.timing.earliest_route`: a job's arrival is when the engineer gets there,
    before a break taken on arrival; its waiting time is idle time, never that break; the
    engineer leaves late rather than wait at the first door."""
    breaks = {b.id: b for b in shift.breaks}
    items = [breaks[st.id or ""] if st.type is StepType.BREAK else jobs[st.id or ""] for st in steps[1:-1]]
    return earliest_route(problem, shift, items)


def checkable(
    problem: Problem,
    routes: Sequence[Route],
    new_route: Route,
    job_id: str,
    window: TimeWindow,
    *,
    pickup_ready: int | None = None,
) -> tuple[Problem, Solution]:
    """A problem and solution `solver.check` can judge after an insertion.

    The new job gets ``window`` as its only window, pick-up stops become jobs at their depots
    (the new job's own pick-up starting no earlier than ``pickup_ready``, `Option.depot_ready`),
    ``max_jobs`` of each route's shift is raised by its pick-ups, and every job on no route is
    listed as unassigned.
    """
    chosen = [r for r in routes if r.shift_id != new_route.shift_id] + [new_route]
    jobs = {j.id: j for j in problem.jobs}
    jobs[job_id] = with_window(problem, job_id, window)
    pickups_on: dict[str, int] = {}
    for r in chosen:
        for st in r.steps:
            if st.type is StepType.JOB and is_pickup(st.id):
                assert st.id is not None
                if st.id not in jobs:
                    assert st.location is not None, f"pick-up {st.id} needs its depot location"
                    shift = next(s for s in problem.shifts if s.id == r.shift_id)
                    ready = pickup_ready if st.id == pickup_id(job_id) else None
                    jobs[st.id] = pickup_job(st.id, st.location, shift, ready)
                pickups_on[r.shift_id] = pickups_on.get(r.shift_id, 0) + 1
    shifts = tuple(
        replace(s, max_jobs=s.max_jobs + pickups_on.get(s.id, 0)) if s.max_jobs is not None else s
        for s in problem.shifts
    )
    routed = {jid for r in chosen for jid in r.job_ids()}
    checked = Problem(
        locations=problem.locations, matrix=problem.matrix, jobs=tuple(jobs.values()), shifts=shifts
    )
    solution = Solution(
        status=Status.SOLVED,
        routes=tuple(chosen),
        unassigned=tuple(Unassigned(job_id=j, reason=Reason.CAPACITY) for j in jobs if j not in routed),
        summary=Summary(
            cost=0,
            routes=len(chosen),
            assigned=len(routed),
            unassigned=len(jobs) - len(routed),
            served_priority=0,
            travel_time=sum(r.travel_time for r in chosen),
            distance=sum(r.distance for r in chosen),
            service=sum(r.service for r in chosen),
            waiting_time=sum(r.waiting_time for r in chosen),
            lateness=sum(r.lateness for r in chosen),
            late_jobs=0,
            wall_time=0.0,
        ),
    )
    return checked, solution

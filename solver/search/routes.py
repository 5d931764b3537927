"""One route of the search: its order, its earliest schedule, its cost, and the cheapest
feasible place for a job in it.

A route is a list of items: a job's position in the problem (``>= 0``) or a break of the
shift (``-1 - b`` for ``shift.breaks[b]``), in the order driven. Its schedule follows
`solver.timing` (and so `solver.check`): leave at shift start, each job at the later of its
arrival and its window's start (never before a fixed start), each break on the leg it is
listed on, home by the shift end. The schedule before each gap is kept, so trying a job in
a gap costs the drive there plus the rest of the route only until a visit finishes no later
than it did (earlier arrivals never break a window, break window or shift end).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from solver.search.day import Day
from solver.timing import ready_after

Pending = tuple[int, ...]  # break indices waiting for the next leg
BLINK = 0.01  # SISR: an insertion place is skipped with this probability
NO_BREAKS: Pending = ()


@dataclass(slots=True)
class Schedule:
    """A route's earliest schedule; ``feasible`` False if it breaks a rule."""

    feasible: bool
    t: list[int]  # time before item k (k == len(items): before the leg home)
    loc: list[int]  # location before item k
    pending: list[Pending]  # breaks to take on the leg to item k
    end: list[int]  # service end of job item k (-1 for a break)
    on_time: list[bool]  # job item k keeps its deadline
    next_loc: list[int | None]  # location of the first job at or after k (else the shift end)
    load_before: list[tuple[int, ...]]  # per dimension, the peak load up to gap k
    load_after: list[tuple[int, ...]]  # per dimension, the peak load from gap k on
    jobs: int
    arc: int  # sum of arc costs
    late: int  # SLA lateness cost
    moved: int  # stability cost
    span: int  # departure (after the first wait) to the end
    cost: int


def _leg(day: Day, sh: int, t: int, loc: int, to: int | None, pending: Pending) -> int | None:
    """Time service can begin at ``to`` (None: the open end), taking ``pending`` breaks on
    the way (`solver.timing.ready_after`); None if a break window has closed."""
    drive = 0 if to is None else day.dur(loc, to)
    if not pending:
        return t + drive
    breaks = day.shifts[sh].breaks
    return ready_after(t, drive, [breaks[b] for b in pending])


def _begin(day: Day, j: int, ready: int) -> int | None:
    begin = ready
    windows = day.windows[j]
    if windows:
        for a, b in windows:
            if ready <= b:
                begin = max(ready, a)
                break
        else:
            return None
    fixed = day.fixed[j]
    if fixed is not None:
        if ready > fixed:
            return None
        begin = max(begin, fixed)
    return begin


def schedule(day: Day, sh: int, items: list[int]) -> Schedule:
    """The earliest schedule and cost of ``items`` on shift ``sh``."""
    shift = day.shifts[sh]
    n = len(items)
    ts, locs = [0] * (n + 1), [0] * (n + 1)
    pend: list[Pending] = [NO_BREAKS] * (n + 1)
    ends, on_time = [-1] * n, [True] * n
    t, loc, pending = shift.open_at, shift.start, NO_BREAKS
    feasible = True
    arc = late = moved = jobs = 0
    first_wait: int | None = None
    cost = day.cost
    dims = day.dims
    start_load = [0] * dims
    for it in items:
        if it >= 0:
            jobs += 1
            for k in range(dims):
                start_load[k] += day.delivery[it][k]
    loads: list[tuple[int, ...]] = [tuple(start_load)]
    current = start_load
    for k, it in enumerate(items):
        ts[k], locs[k], pend[k] = t, loc, pending
        if it < 0:
            pending = (*pending, -1 - it)
            loads.append(tuple(current))
            continue
        to = day.loc[it]
        ready = _leg(day, sh, t, loc, to, pending)
        if ready is None:
            feasible, ready = False, t
        begin = _begin(day, it, ready)
        if begin is None:
            feasible, begin = False, ready
        if day.too_late(it, begin):
            feasible = False
        if first_wait is None:
            first_wait = begin - ready if not pending else 0
        arc += cost(loc, to)
        lc = day.late_cost(it, begin)
        on_time[k] = lc == 0
        late += lc
        moved += day.moved_cost(it, sh)
        t, loc, pending = begin + day.service[it], to, NO_BREAKS
        ends[k] = t
        if dims:
            current = [current[d] + day.pickup[it][d] - day.delivery[it][d] for d in range(dims)]
        loads.append(tuple(current))
    ts[n], locs[n], pend[n] = t, loc, pending
    home = _leg(day, sh, t, loc, shift.end, pending)
    if home is None:
        feasible, home = False, t
    if shift.end is not None:
        arc += cost(loc, shift.end)
    if home > shift.close_at:
        feasible = False
    before: list[tuple[int, ...]] = []
    after: list[tuple[int, ...]] = []
    if dims:
        if any(max(x[d] for x in loads) > shift.capacity[d] for d in range(dims)):
            feasible = False
        peak = loads[0]
        for x in loads:
            peak = tuple(max(a, b) for a, b in zip(peak, x, strict=True))
            before.append(peak)
        peak = loads[-1]
        for x in reversed(loads):
            peak = tuple(max(a, b) for a, b in zip(peak, x, strict=True))
            after.append(peak)
        after.reverse()
    if shift.max_jobs is not None and jobs > shift.max_jobs:
        feasible = False
    next_loc: list[int | None] = [shift.end] * (n + 1)
    upcoming: int | None = shift.end
    for k in range(n - 1, -1, -1):
        if items[k] >= 0:
            upcoming = day.loc[items[k]]
        next_loc[k] = upcoming
    span = 0
    if jobs:
        span = home - (shift.open_at + (first_wait or 0))
    total = arc + late + moved + day.span_cost * span if jobs else 0
    return Schedule(
        feasible, ts, locs, pend, ends, on_time, next_loc, before, after, jobs, arc, late, moved, span, total
    )


@dataclass(frozen=True, slots=True)
class Insertion:
    score: int  # added arc cost + the job's own lateness and stability cost
    shift: int
    position: int  # the job goes right before ``items[position]``


def _suffix_ok(day: Day, sh: int, items: list[int], s: Schedule, k: int, t: int, loc: int) -> bool:
    """Does the route from item ``k`` on keep its rules when resumed at ``t`` from ``loc``?
    (Deadlines kept before stay kept: a promise is never traded away by an insertion.)"""
    pending = NO_BREAKS
    for i in range(k, len(items)):
        it = items[i]
        if it < 0:
            pending = (*pending, -1 - it)
            continue
        ready = _leg(day, sh, t, loc, day.loc[it], pending)
        if ready is None:
            return False
        begin = _begin(day, it, ready)
        if begin is None:
            return False
        if (s.on_time[i] or day.hard_deadlines) and day.late_cost(it, begin):
            return False
        t, loc, pending = begin + day.service[it], day.loc[it], NO_BREAKS
        if t <= s.end[i]:
            return True  # the delay is absorbed: the rest runs as before or earlier
    home = _leg(day, sh, t, loc, day.shifts[sh].end, pending)
    return home is not None and home <= day.shifts[sh].close_at


def _fits_load(day: Day, sh: int, s: Schedule, j: int, k: int) -> bool:
    """Capacity with job ``j`` inserted before item ``k``: its delivery rides from the start
    to it, its pickup from it to the end."""
    cap = day.shifts[sh].capacity
    d, p = day.delivery[j], day.pickup[j]
    before, after = s.load_before[k], s.load_after[k]
    for dim in range(day.dims):
        if d[dim] and before[dim] + d[dim] > cap[dim]:
            return False
        if p[dim] and after[dim] + p[dim] > cap[dim]:
            return False
    return True


def best_insertion(
    day: Day,
    sh: int,
    items: list[int],
    s: Schedule,
    j: int,
    *,
    tries: int = 3,
    blink: Callable[[], float] | None = None,
) -> Insertion | None:
    """The cheapest feasible place for job ``j`` in the route, scanning gaps by added arc cost
    and pricing the first ``tries`` feasible ones (with the job's lateness and stability).
    ``blink``: a random number per place; below `BLINK` the place is skipped (SISR's blinks)."""
    shift = day.shifts[sh]
    if shift.max_jobs is not None and s.jobs + 1 > shift.max_jobs:
        return None
    cost = day.cost
    to = day.loc[j]
    gaps = []
    for k in range(len(items) + 1):
        prev, nxt = s.loc[k], s.next_loc[k]
        added = cost(prev, to) + (cost(to, nxt) - cost(prev, nxt) if nxt is not None else 0)
        gaps.append((added, k))
    gaps.sort()
    best: Insertion | None = None
    found = 0
    moved = day.moved_cost(j, sh)
    for added, k in gaps:
        if best is not None and added + moved >= best.score:
            break
        if blink is not None and blink() < BLINK:
            continue
        ready = _leg(day, sh, s.t[k], s.loc[k], to, s.pending[k])
        if ready is None:
            continue
        begin = _begin(day, j, ready)
        if begin is None or day.too_late(j, begin):
            continue
        if day.dims and not _fits_load(day, sh, s, j, k):
            continue
        if not _suffix_ok(day, sh, items, s, k, begin + day.service[j], to):
            continue
        score = added + day.late_cost(j, begin) + moved
        if best is None or score < best.score:
            best = Insertion(score, sh, k)
        found += 1
        if found >= tries:
            break
    return best

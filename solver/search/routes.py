"""One route of the search: its order, its earliest schedule, its cost, and the cheapest
feasible place for a job in it.

A route is a list of items: a job's position in the problem (``>= 0``), a break of the shift
(``-1 - b`` for ``shift.breaks[b]``), or a depot stop (``DEPOT_BASE - i`` for `Stop` ``i``)
that loads what the later jobs it serves need, and goes when the last of them does. Its
schedule follows `solver.timing` (and so `solver.check`): leave at shift start, each job at
the later of its arrival and its window's start (never before a fixed start), a depot stop
not before its opening, each break on the leg it is listed on, home by the shift end; the van
starts with the shift's stock, gains at a stop what its jobs need, and a job takes its parts
away (its tools must be on board). The schedule before each gap is kept, so trying a job in
a gap costs the drive there plus the rest of the route only until a visit finishes no later
than it did (earlier arrivals never break a window, break window or shift end; the van is
checked from the kept levels). Most places are decided without even that: the schedule keeps
each item's forward slack (Savelsbergh 1992; through a lunch on the leg too), so a place is
feasible when the delay it causes fits the slack, and infeasible when it does not and nothing
after it could absorb more (no later window, no second break on a leg).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from solver.search.day import DEPOT_BASE, Day
from solver.timing import ready_after

Pending = tuple[int, ...]  # break indices waiting for the next leg
BLINK = 0.01  # SISR: an insertion place is skipped with this probability
NO_BREAKS: Pending = ()
NO_STOCK: dict[str, int] = {}
UNBOUNDED = 1 << 60


@dataclass(slots=True)
class Stop:
    """A depot stop on a route: where, and the jobs after it whose parts and tools it loads."""

    depot: int
    jobs: list[int]


Stops = dict[int, Stop]  # stop id → stop


def stop_of(item: int) -> int | None:
    """The stop id of a depot-stop item, else None."""
    return DEPOT_BASE - item if item <= DEPOT_BASE else None


def depot_of(item: int, stops: Stops) -> int | None:
    """The depot of a depot-stop item, else None."""
    sid = stop_of(item)
    return None if sid is None else stops[sid].depot


@dataclass(slots=True)
class Schedule:
    """A route's earliest schedule; ``feasible`` False if it breaks a rule."""

    feasible: bool
    t: list[int]  # time before item k (k == len(items): before the leg home)
    loc: list[int]  # location before item k
    pending: list[Pending]  # breaks to take on the leg to item k
    end: list[int]  # service end of job or depot item k (-1 for a break)
    on_time: list[bool]  # job item k keeps its deadline
    next_loc: list[int | None]  # the first place (job or depot) at or after k, else the shift end
    load_before: list[tuple[int, ...]]  # per dimension, the peak load up to gap k
    load_after: list[tuple[int, ...]]  # per dimension, the peak load from gap k on
    spare: list[dict[str, int]]  # per part, the least the van holds from gap k on (parts days)
    tools_before: list[frozenset[str]]  # tools on board at gap k (parts days)
    stops_before: list[tuple[int, ...]]  # stop ids before gap k (parts days)
    ready: list[int]  # when item k could begin (arrival, after the leg's breaks); 0 for a break
    slack: list[int]  # how much later item k may become ready with the rest still keeping its rules
    exact: list[bool]  # no more than ``slack[k]`` either (else a later window or a break may allow more)
    direct: list[int]  # arc cost from before gap k to the place after it (0 to an open end)
    jobs: int
    arc: int  # sum of arc costs (a depot stop's counter time included, as in the model)
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


def _visit(
    day: Day, sh: int, t: int, loc: int, it: int, pending: Pending, stops: Stops
) -> tuple[int | None, int | None]:
    """Drive from ``loc`` at ``t`` to job or depot-stop item ``it`` (taking ``pending``
    breaks): when service could begin there and when it does; None where a break window, a
    job's windows or the depot's hours have closed."""
    depot = depot_of(it, stops)
    to = day.loc[it] if depot is None else day.depots[depot].location
    ready = _leg(day, sh, t, loc, to, pending)
    if ready is None:
        return None, None
    return ready, (_begin(day, it, ready) if depot is None else _opened(day, depot, ready))


def _place(day: Day, it: int, stops: Stops) -> int:
    depot = depot_of(it, stops)
    return day.loc[it] if depot is None else day.depots[depot].location


def _service(day: Day, it: int, stops: Stops) -> int:
    depot = depot_of(it, stops)
    return day.service[it] if depot is None else day.depots[depot].service


def _opened(day: Day, d: int, ready: int) -> int | None:
    """When the counter serves a van arriving at ``ready``, or None once it has closed."""
    window = day.depots[d].time_window
    if window is None:
        return ready
    return None if ready > window.end else max(ready, window.start)


def _latest(day: Day, it: int, begin: int, stops: Stops) -> int:
    """The latest begin that job or depot-stop item ``it``'s window, fixed start or counter
    hours allow, beginning at ``begin`` now (a later window of the job is not counted on)."""
    sid = stop_of(it)
    if sid is not None:
        window = day.depots[stops[sid].depot].time_window
        return UNBOUNDED if window is None else window.end
    latest = UNBOUNDED
    for _, b in day.windows[it]:
        if begin <= b:
            latest = b
            break
    fixed = day.fixed[it]
    return latest if fixed is None else min(latest, fixed)


def _later_window(day: Day, j: int, begin: int) -> bool:
    """Has job ``j`` a window after the one it begins in (a delay could move it there)?"""
    windows = day.windows[j]
    return len(windows) > 1 and begin < windows[-1][0]


NO_STOPS: Stops = {}


def schedule(day: Day, sh: int, items: list[int], stops: Stops = NO_STOPS) -> Schedule:
    """The earliest schedule and cost of ``items`` on shift ``sh`` (depot-stop items read from
    ``stops``)."""
    shift = day.shifts[sh]
    n = len(items)
    ts, locs = [0] * (n + 1), [0] * (n + 1)
    pend: list[Pending] = [NO_BREAKS] * (n + 1)
    ends, on_time = [-1] * n, [True] * n
    readies, latest = [0] * n, [0] * n  # latest: the latest begin item k's rules allow
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
    parts_day = day.has_parts
    van = dict(day.van[sh]) if parts_day else NO_STOCK
    on_board = set(day.van_tools[sh]) if parts_day else set()
    levels: list[dict[str, int]] = []  # van stock at gap k
    tools_at: list[frozenset[str]] = []
    made: list[tuple[int, ...]] = []
    stops_so_far: tuple[int, ...] = ()
    begins = [0] * n
    dur, places, services = day.dur, day.loc, day.service
    windows, fixed_starts, deadlines = day.windows, day.fixed, day.deadline
    for k, it in enumerate(items):
        ts[k], locs[k], pend[k] = t, loc, pending
        if parts_day:
            levels.append(dict(van))
            tools_at.append(frozenset(on_board))
            made.append(stops_so_far)
        if DEPOT_BASE < it < 0:
            pending = (*pending, -1 - it)
            loads.append(tuple(current))
            continue
        if it >= 0:  # a job: the common case, written out
            to = places[it]
            ready: int | None = t + dur(loc, to) if not pending else _leg(day, sh, t, loc, to, pending)
            if ready is None:
                feasible, ready, begin = False, t, t
            elif windows[it] or fixed_starts[it] is not None:
                opened = _begin(day, it, ready)
                if opened is None:
                    feasible, begin = False, ready
                else:
                    begin = opened
            else:
                begin = ready
            service = services[it]
        else:
            ready, opened = _visit(day, sh, t, loc, it, pending, stops)
            if ready is None or opened is None:
                feasible = False
                ready = t if ready is None else ready
                opened = ready
            begin, to, service = opened, _place(day, it, stops), _service(day, it, stops)
        if first_wait is None:
            first_wait = begin - ready if not pending else 0
        readies[k], begins[k] = ready, begin
        latest[k] = _latest(day, it, begin, stops)
        arc += cost(loc, to)
        t, loc, pending = begin + service, to, NO_BREAKS
        ends[k] = t
        if it < 0:
            stop = stops[DEPOT_BASE - it]
            arc += day.depots[stop.depot].service
            later = set(items[k + 1 :])
            if not stop.jobs or not set(stop.jobs) <= later:
                feasible = False  # a stop loads for jobs after it on its route
            for served in stop.jobs:
                for part, qty in day.parts[served]:
                    van[part] = van.get(part, 0) + qty
                on_board |= day.tools[served]
            stops_so_far = (*stops_so_far, DEPOT_BASE - it)
            loads.append(tuple(current))
            continue
        deadline = deadlines[it]
        if deadline is not None:
            if day.too_late(it, begin):
                feasible = False
            lc = day.late_cost(it, begin)
            on_time[k] = lc == 0
            if lc == 0 or day.hard_deadlines:
                latest[k] = min(latest[k], deadline)  # a promise kept stays kept
            late += lc
        if day.stability_cost:
            moved += day.moved_cost(it, sh)
        if parts_day:
            for part, qty in day.parts[it]:
                left = van.get(part, 0) - qty
                if left < 0:
                    feasible = False
                van[part] = left
            if not day.tools[it] <= on_board:
                feasible = False
        if dims:
            pickup, delivery = day.pickup[it], day.delivery[it]
            current = [current[d] + pickup[d] - delivery[d] for d in range(dims)]
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
    spare: list[dict[str, int]] = []
    if parts_day:
        levels.append(dict(van))
        tools_at.append(frozenset(on_board))
        made.append(stops_so_far)
        seen = set().union(*levels)
        low = {p: levels[n].get(p, 0) for p in seen}
        spare = [low] * (n + 1)
        for k in range(n - 1, -1, -1):
            low = {p: min(low[p], levels[k].get(p, 0)) for p in seen}
            spare[k] = low
    if shift.max_jobs is not None and jobs > shift.max_jobs:
        feasible = False
    next_loc: list[int | None] = [shift.end] * (n + 1)
    upcoming: int | None = shift.end
    for k in range(n - 1, -1, -1):
        it = items[k]
        if it >= 0:
            upcoming = day.loc[it]
        elif it <= DEPOT_BASE:
            upcoming = day.depots[stops[DEPOT_BASE - it].depot].location
        next_loc[k] = upcoming
    # Savelsbergh's forward slack: a delay d in item k's readiness is absorbed by its wait,
    # the rest must fit before its latest begin and be absorbed further on. A lunch on the
    # leg after it (one break with one window: it starts at the later of the driving done and
    # its window's start, `solver.timing.ready_after`) absorbs its own wait and must start by
    # its window's end; anything more complex on a leg stops the recurrence (callers re-time).
    slack = [0] * (n + 1)
    exact = [False] * (n + 1)
    after_slack, after_ready, after_exact = shift.close_at - home, home, True  # home: after the last
    between: list[int] = []  # breaks on the leg from item k to the next job or stop
    for k in range(n - 1, -1, -1):
        if DEPOT_BASE < items[k] < 0:
            between.append(-1 - items[k])
            continue
        begin = begins[k]
        tail_exact = after_exact
        if not between:
            tail = after_slack
        else:
            lunch = shift.breaks[between[0]]
            if len(between) == 1 and len(lunch.time_windows) == 1:
                window = lunch.time_windows[0]
                drive = 0 if next_loc[k + 1] is None else dur(locs[k + 1], next_loc[k + 1])  # type: ignore[arg-type]
                wait = after_ready - lunch.duration - ends[k] - drive
                tail = min(window.end - ends[k], wait + after_slack)
            else:
                tail, tail_exact = 0, False
        slack[k] = begin - readies[k] + min(latest[k] - begin, tail)
        own = items[k] < 0 or day.fixed[items[k]] is not None or not _later_window(day, items[k], begin)
        exact[k] = own and tail_exact
        after_slack, after_ready, after_exact, between = slack[k], readies[k], exact[k], []
    span = 0
    if jobs:
        span = home - (shift.open_at + (first_wait or 0))
    total = arc + late + moved + day.span_cost * span if jobs else 0
    return Schedule(
        feasible,
        ts,
        locs,
        pend,
        ends,
        on_time,
        next_loc,
        before,
        after,
        spare,
        tools_at,
        made,
        readies,
        slack,
        exact,
        [0 if b is None else cost(a, b) for a, b in zip(locs, next_loc, strict=True)],
        jobs,
        arc,
        late,
        moved,
        span,
        total,
    )


@dataclass(frozen=True, slots=True)
class Insertion:
    score: int  # added arc cost + the job's own lateness and stability cost
    shift: int
    position: int  # the job (after its stop, if any) goes right before ``items[position]``
    depot: int | None = None  # a new stop at this depot, right before it
    join: int | None = None  # or: this earlier stop of the route loads for it too


def _suffix_ok(
    day: Day, sh: int, items: list[int], s: Schedule, k: int, t: int, loc: int, stops: Stops
) -> bool:
    """Does the route from item ``k`` on keep its rules when resumed at ``t`` from ``loc``?
    (Deadlines kept before stay kept: a promise is never traded away by an insertion.)"""
    pending = NO_BREAKS
    for i in range(k, len(items)):
        it = items[i]
        if DEPOT_BASE < it < 0:
            pending = (*pending, -1 - it)
            continue
        _, begin = _visit(day, sh, t, loc, it, pending, stops)
        if begin is None:
            return False
        if it >= 0 and (s.on_time[i] or day.hard_deadlines) and day.late_cost(it, begin):
            return False
        t, loc, pending = begin + _service(day, it, stops), _place(day, it, stops), NO_BREAKS
        if t <= s.end[i]:
            return True  # the delay is absorbed: the rest runs as before or earlier
    home = _leg(day, sh, t, loc, day.shifts[sh].end, pending)
    return home is not None and home <= day.shifts[sh].close_at


def _fast_ok(day: Day, sh: int, items: list[int], s: Schedule, k: int, t: int, loc: int) -> bool | None:
    """`_suffix_ok` in O(1) from the forward slack where it can tell (None where it cannot):
    does the route from item ``k`` on keep its rules resumed at ``t`` from ``loc``?"""
    n = len(items)
    shift = day.shifts[sh]
    if k == n:
        return t + (0 if shift.end is None else day.dur(loc, shift.end)) <= shift.close_at
    target = s.next_loc[k]
    drive = 0 if target is None else day.dur(loc, target)
    it = items[k]
    if not DEPOT_BASE < it < 0:  # a job or a depot stop
        return True if t + drive - s.ready[k] <= s.slack[k] else (False if s.exact[k] else None)
    if k + 1 < n and DEPOT_BASE < items[k + 1] < 0:
        return None  # two breaks in a row
    lunch = shift.breaks[-1 - it]
    if len(lunch.time_windows) != 1:
        return None
    if t > lunch.time_windows[0].end:
        return False
    after = max(t + drive, lunch.time_windows[0].start) + lunch.duration
    if k + 1 == n:
        return after <= shift.close_at
    return True if after - s.ready[k + 1] <= s.slack[k + 1] else (False if s.exact[k + 1] else None)


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


def _van_supplies(day: Day, s: Schedule, j: int, k: int) -> bool:
    """Can the van serve job ``j`` at gap ``k`` from what it carries (its parts taken there
    leave enough for every later job, its tools are on board)?"""
    spare = s.spare[k]
    return all(spare.get(p, 0) >= q for p, q in day.parts[j]) and day.tools[j] <= s.tools_before[k]


def _joinable(
    day: Day, s: Schedule, j: int, k: int, stops: Stops, left: dict[tuple[int, str], int]
) -> int | None:
    """An earlier stop of the route (before gap ``k``) at a depot that holds what job ``j``
    needs and has it left: the latest such, so the parts ride the shortest way."""
    tools = day.tools[j]
    for sid in reversed(s.stops_before[k]):
        d = stops[sid].depot
        if tools <= set(day.depots[d].tools) and all(left.get((d, p), 0) >= q for p, q in day.parts[j]):
            return sid
    return None


def best_insertion(
    day: Day,
    sh: int,
    items: list[int],
    s: Schedule,
    j: int,
    *,
    tries: int = 3,
    blink: Callable[[], float] | None = None,
    depot_left: dict[tuple[int, str], int] | None = None,
    stops: Stops = NO_STOPS,
) -> Insertion | None:
    """The cheapest feasible place for job ``j`` in the route, scanning gaps by added arc cost
    and pricing the first ``tries`` feasible ones (with the job's lateness and stability).
    ``blink``: a random number per place; below `BLINK` the place is skipped (SISR's blinks).
    A job that needs parts or tools goes where the van can serve it, or where an earlier stop
    of the route (at a depot holding what it needs) can load for it too, or after a new stop at
    one of its depots, with ``depot_left`` stock (depot, part → units not yet loaded)."""
    shift = day.shifts[sh]
    if shift.max_jobs is not None and s.jobs + 1 > shift.max_jobs:
        return None
    cost = day.cost
    to = day.loc[j]
    needs = bool(day.parts[j]) or bool(day.tools[j])
    via: tuple[int | None, ...] = (None,)
    left = depot_left or {}
    if needs:
        fresh = tuple(
            d for d in day.stop_options[j] if all(left.get((d, p), 0) >= q for p, q in day.parts[j])
        )
        via = (None, *fresh)
    gaps = []
    direct = s.direct
    if not needs:
        for k, (prev, nxt) in enumerate(zip(s.loc, s.next_loc, strict=True)):
            back = cost(to, nxt) - direct[k] if nxt is not None else 0
            gaps.append((cost(prev, to) + back, k, -1))
    else:
        for k, (prev, nxt) in enumerate(zip(s.loc, s.next_loc, strict=True)):
            back = cost(to, nxt) - direct[k] if nxt is not None else 0
            for d in via:
                if d is None:
                    added = cost(prev, to) + back
                else:
                    place = day.depots[d].location
                    added = cost(prev, place) + day.depots[d].service + cost(place, to) + back
                gaps.append((added, k, -1 if d is None else d))
    gaps.sort()
    best: Insertion | None = None
    found = 0
    moved = day.moved_cost(j, sh)
    for added, k, dd in gaps:
        if best is not None and added + moved >= best.score:
            break
        if blink is not None and blink() < BLINK:
            continue
        d = None if dd < 0 else dd
        join = None
        if d is None:
            if needs and not _van_supplies(day, s, j, k):
                join = _joinable(day, s, j, k, stops, left)
                if join is None:
                    continue
            ready = _leg(day, sh, s.t[k], s.loc[k], to, s.pending[k])
        else:
            place = day.depots[d].location
            at_depot = _leg(day, sh, s.t[k], s.loc[k], place, s.pending[k])
            counter = None if at_depot is None else _opened(day, d, at_depot)
            ready = None if counter is None else counter + day.depots[d].service + day.dur(place, to)
        if ready is None:
            continue
        begin = _begin(day, j, ready)
        if begin is None or day.too_late(j, begin):
            continue
        if day.dims and not _fits_load(day, sh, s, j, k):
            continue
        t = begin + day.service[j]
        ok = _fast_ok(day, sh, items, s, k, t, to)
        if ok is None:
            ok = _suffix_ok(day, sh, items, s, k, t, to, stops)
        if not ok:
            continue
        score = added + day.late_cost(j, begin) + moved
        if best is None or score < best.score:
            best = Insertion(score, sh, k, d, join)
        found += 1
        if found >= tries:
            break
    return best

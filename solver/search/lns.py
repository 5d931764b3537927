"""Ruin and recreate over the whole day (Christiaens & Vanden Berghe's SISR, with related,
route and worst removals), accepted by simulated annealing, from a plan the routing model made.

Every candidate keeps every rule the routing model holds for the jobs it moves (skills, pins
and reachability through the model's candidate shifts; windows, breaks, shift ends, fixed
starts, capacity, the number of jobs; deadlines kept stay kept; parts on the van on arrival,
loaded at depot stops within each depot's stock) and is priced by the model's own objective
(`solver.search.day`). A job the van cannot serve rides on a depot stop: a new one right
before it, or an earlier stop of its route that loads for it too; a stop goes with the last
job it loads for. The search first places what its start left out (everything, when the
model found no plan in its share of the time), never returns a plan worse than its start,
and with a seed and an iteration limit it is deterministic.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from solver.model import Break, Job, Problem, Route, Solution, SolveParams, Status, StepType
from solver.search.day import DEPOT_BASE, Day
from solver.search.routes import Insertion, Schedule, Stop, Stops, best_insertion, schedule, stop_of
from solver.timing import DepotCall, earliest_route

ProgressCallback = Callable[[float, int], None]

RUINS = ("string", "related", "route", "worst")
WEIGHTS = (6, 2, 1, 1)  # string removal does most of the work; the others diversify
SPLIT = 0.01  # SISR's alpha: the kept run of a split string grows while a draw exceeds it
MAX_STRING = 10  # SISR's L^max: longest string removed from one route
MEAN_REMOVED = 10  # SISR's c-bar: jobs removed per ruin on average


@dataclass(slots=True)
class State:
    routes: list[list[int]]
    scheds: list[Schedule]
    where: dict[int, int]  # job → shift
    unassigned: set[int]
    cost: int
    depot_left: dict[tuple[int, str], int] = field(default_factory=dict)  # units not yet loaded
    stops: Stops = field(default_factory=dict)  # stop id → depot and the jobs it loads for
    served_by: dict[int, int] = field(default_factory=dict)  # job → the stop loading for it
    next_stop: int = 0

    def copy(self) -> State:
        routes = [list(r) for r in self.routes]
        where, unassigned, left = dict(self.where), set(self.unassigned), dict(self.depot_left)
        stops = {i: Stop(st.depot, list(st.jobs)) for i, st in self.stops.items()}
        served_by = dict(self.served_by)
        scheds = list(self.scheds)
        return State(routes, scheds, where, unassigned, self.cost, left, stops, served_by, self.next_stop)


@dataclass(slots=True)
class Stats:
    iterations: int = 0
    accepted: int = 0
    improved: int = 0
    by_ruin: dict[str, list[int]] = field(default_factory=lambda: {r: [0, 0] for r in RUINS})


def initial_state(day: Day, solution: Solution) -> State:
    """The search's state for a plan: its routes' jobs and breaks in order. Its depot stops are
    not kept (the search makes each job that needs one a stop of its own); a job the van then
    cannot serve, or one the day's rules no longer admit on that shift, starts left out."""
    index = day.problem.job_index()
    shift_index = day.problem.shift_index()
    routes: list[list[int]] = [_empty_items(day, s) for s in range(len(day.shifts))]
    for r in solution.routes:
        sh = shift_index[r.shift_id]
        breaks = {b.id: i for i, b in enumerate(day.shifts[sh].breaks)}
        items: list[int] = []
        for st in r.steps:
            if st.type is StepType.JOB and st.id is not None:
                j = index[st.id]
                if sh in day.allowed[j]:
                    items.append(j)
            elif st.type is StepType.BREAK and st.id in breaks:
                items.append(-1 - breaks[st.id])
        if day.has_parts:
            items = _served_from_the_van(day, sh, items)
        routes[sh] = items
    return _state_of(day, routes)


def _served_from_the_van(day: Day, sh: int, items: list[int]) -> list[int]:
    """``items`` without the jobs whose parts or tools the van does not carry."""
    van = dict(day.van[sh])
    out = []
    for it in items:
        if it >= 0:
            if any(van.get(p, 0) < q for p, q in day.parts[it]) or not day.tools[it] <= day.van_tools[sh]:
                continue
            for p, q in day.parts[it]:
                van[p] -= q
        out.append(it)
    return out


def _empty_items(day: Day, s: int) -> list[int]:
    return [-1 - b for b in range(len(day.shifts[s].breaks))]


class Search:
    """``temperature``: the annealing's start, as a share of the mean arc cost per routed job
    (it cools to a hundredth of that)."""

    def __init__(self, day: Day, seed: int = 0, temperature: float = 0.1) -> None:
        self.day = day
        self.rng = random.Random(seed)
        self.stats = Stats()
        self.temperature = temperature

    # ------------------------------------------------------------------------------ ruin

    def ruin(self, state: State, how: str) -> tuple[set[int], set[int]]:
        """Remove jobs; returns (removed jobs, touched shifts)."""
        routed = [j for j in state.where]
        if not routed:
            return set(), set()
        if how == "route":
            return self._route_removal(state)
        if how == "worst":
            return self._worst_removal(state)
        if how == "related":
            return self._related_removal(state, routed)
        return self._string_removal(state, routed)

    def _take(self, state: State, jobs: Iterable[int]) -> tuple[set[int], set[int]]:
        """Take jobs off their routes, each with the depot stop made for it."""
        removed, touched = set(), set()
        for j in jobs:
            s = state.where.pop(j, None)
            if s is None:
                continue
            items = state.routes[s]
            items.remove(j)
            sid = state.served_by.pop(j, None)
            if sid is not None:
                stop = state.stops[sid]
                stop.jobs.remove(j)
                for p, q in self.day.parts[j]:
                    state.depot_left[stop.depot, p] += q
                if not stop.jobs:
                    items.remove(DEPOT_BASE - sid)
                    del state.stops[sid]
            removed.add(j)
            touched.add(s)
        return removed, touched

    def _string_removal(self, state: State, routed: list[int]) -> tuple[set[int], set[int]]:
        """SISR: strings from the routes nearest a seed job, each from around a job near it."""
        rng, day = self.rng, self.day
        used = [len([x for x in r if x >= 0]) for r in state.routes]
        sizes = [u for u in used if u]
        mean = sum(sizes) / len(sizes)
        ls_max = min(MAX_STRING, mean)
        ks_max = 4 * MEAN_REMOVED / (1 + ls_max) - 1
        ks = int(rng.random() * ks_max) + 1
        seed = rng.choice(routed)
        removed: set[int] = set()
        touched: set[int] = set()
        for c in [seed, *day.neighbours[seed]]:
            if len(touched) >= ks:
                break
            s = state.where.get(c)
            if s is None or s in touched:
                continue
            jobs = [x for x in state.routes[s] if x >= 0]
            lmax = min(len(jobs), ls_max)
            length = int(rng.random() * lmax) + 1
            pos = jobs.index(c)
            if length == len(jobs) or rng.random() < 0.5:
                start = rng.randint(max(0, pos - length + 1), min(pos, len(jobs) - length))
                string = jobs[start : start + length]
            else:  # split string: a run of m jobs in the middle is kept
                m = 1
                while length + m < len(jobs) and rng.random() > SPLIT:
                    m += 1
                start = rng.randint(max(0, pos - length - m + 1), max(0, min(pos, len(jobs) - length - m)))
                chunk = jobs[start : start + length + m]
                keep = rng.randint(0, max(0, len(chunk) - m))
                string = chunk[:keep] + chunk[keep + m :]
            got, where = self._take(state, string)
            removed |= got
            touched |= where
            touched.add(s)
        return removed, touched

    def _related_removal(self, state: State, routed: list[int]) -> tuple[set[int], set[int]]:
        """Shaw: a seed and the routed jobs nearest to it, a few skipped at random."""
        rng, day = self.rng, self.day
        seed = rng.choice(routed)
        q = rng.randint(3, max(3, min(2 * MEAN_REMOVED, len(routed) // 4 or 3)))
        chosen = [seed]
        for c in day.neighbours[seed]:
            if len(chosen) >= q:
                break
            if c in state.where and rng.random() < 0.8:
                chosen.append(c)
        return self._take(state, chosen)

    def _route_removal(self, state: State) -> tuple[set[int], set[int]]:
        """Empty one or two routes, shorter ones more likely: their jobs may fit elsewhere."""
        rng = self.rng
        used = [s for s, r in enumerate(state.routes) if any(x >= 0 for x in r)]
        weights = [1.0 / len(state.routes[s]) for s in used]
        picks = {rng.choices(used, weights)[0] for _ in range(rng.randint(1, 2))}
        jobs = [j for s in picks for j in state.routes[s] if j >= 0]
        removed, touched = self._take(state, jobs)
        return removed, touched | picks

    def _worst_removal(self, state: State) -> tuple[set[int], set[int]]:
        """The jobs whose removal saves the most arc cost and lateness, with some randomness."""
        rng, day = self.rng, self.day
        gains: list[tuple[int, int]] = []
        for s, items in enumerate(state.routes):
            sched = state.scheds[s]
            jobs = [(k, x) for k, x in enumerate(items) if x >= 0]
            for idx, (k, j) in enumerate(jobs):
                prev = sched.loc[k]
                nxt = day.loc[jobs[idx + 1][1]] if idx + 1 < len(jobs) else day.shifts[s].end
                via = day.cost(prev, day.loc[j]) + (day.cost(day.loc[j], nxt) if nxt is not None else 0)
                direct = day.cost(prev, nxt) if nxt is not None else 0
                gains.append((via - direct, j))
        gains.sort(reverse=True)
        q = rng.randint(3, max(3, min(MEAN_REMOVED, len(gains))))
        chosen: list[int] = []
        pool = list(gains)
        while pool and len(chosen) < q:
            pick = int(len(pool) * rng.random() ** 4)  # mostly the worst, sometimes another
            chosen.append(pool.pop(pick)[1])
        return self._take(state, chosen)

    # ---------------------------------------------------------------------------- recreate

    def recreate(self, state: State, jobs: set[int], touched: set[int]) -> None:
        """Greedy insertion in a SISR order (random, most valuable first, most constrained
        first), each job at its cheapest feasible place; what fits nowhere stays out."""
        rng, day = self.rng, self.day
        for s in touched:
            state.scheds[s] = schedule(day, s, state.routes[s], state.stops)
        order = list(jobs)
        how = rng.choices(("random", "value", "constrained"), (4, 4, 2))[0]
        rng.shuffle(order)
        if how == "value":
            order.sort(key=lambda j: -day.penalty[j])
        elif how == "constrained":
            order.sort(key=lambda j: len(day.allowed[j]))
        for j in order:
            best: Insertion | None = None
            for s in self._receivers(state, j):
                sched = state.scheds[s]
                if not sched.feasible:
                    continue
                ins = best_insertion(
                    day,
                    s,
                    state.routes[s],
                    sched,
                    j,
                    blink=rng.random,
                    depot_left=state.depot_left,
                    stops=state.stops,
                )
                if ins is not None and (best is None or ins.score < best.score):
                    best = ins
            if best is None:
                state.unassigned.add(j)
                continue
            state.unassigned.discard(j)
            route = state.routes[best.shift]
            sid = best.join
            if best.depot is not None:
                sid, state.next_stop = state.next_stop, state.next_stop + 1
                state.stops[sid] = Stop(best.depot, [])
                route[best.position : best.position] = [DEPOT_BASE - sid, j]
            else:
                route.insert(best.position, j)
            if sid is not None:
                stop = state.stops[sid]
                stop.jobs.append(j)
                state.served_by[j] = sid
                for p, q in day.parts[j]:
                    state.depot_left[stop.depot, p] -= q
            state.where[j] = best.shift
            state.scheds[best.shift] = schedule(day, best.shift, route, state.stops)
            touched.add(best.shift)

    def _receivers(self, state: State, j: int) -> list[int]:
        """Shifts worth trying for ``j``: all its candidates on small days, else those of its
        neighbours' routes, its previous engineer's and a few idle ones."""
        allowed = self.day.allowed[j]
        if len(allowed) <= 24:
            return sorted(allowed)
        near = {state.where[c] for c in self.day.neighbours[j] if c in state.where}
        prev = self.day.previous[j]
        if prev is not None:
            near |= {s for s in allowed if self.day.shifts[s].engineer == prev}
        idle = [s for s in sorted(allowed) if not state.scheds[s].jobs][:3]
        return sorted((near & allowed) | set(idle))

    # -------------------------------------------------------------------------------- loop

    def run(
        self,
        state: State,
        *,
        time_limit: float | None = None,
        iterations: int | None = None,
        progress: ProgressCallback | None = None,
        started: float | None = None,
        stall_time: float | None = None,
    ) -> State:
        """Improve ``state`` for ``time_limit`` seconds and/or ``iterations`` (or until
        ``stall_time`` seconds pass without a better plan); the best found."""
        if time_limit is None and iterations is None:
            raise ValueError("Give the search a time limit or an iteration limit.")
        day, rng = self.day, self.rng
        clock0 = time.monotonic()
        started = clock0 if started is None else started
        start_cost = state.cost
        if state.unassigned:  # first place what the start left out (all of it, from no plan)
            filled = state.copy()
            self.recreate(filled, set(filled.unassigned), set())
            filled.cost = _total(day, filled.scheds, filled.unassigned)
            if filled.cost < state.cost:
                state = filled
        best, current = state.copy(), state
        if progress is not None and best.cost < start_cost:
            progress(time.monotonic() - started, best.cost)
        routed = max(1, len(current.where))
        arc = sum(sc.arc for sc in current.scheds)
        t_start = max(1.0, self.temperature * arc / routed)
        t_end = t_start / 100
        last_better = 0.0
        while True:
            done = self.stats.iterations
            elapsed = time.monotonic() - clock0
            if iterations is not None and done >= iterations:
                break
            if time_limit is not None and elapsed >= time_limit:
                break
            if stall_time is not None and elapsed - last_better > stall_time:
                break
            frac = done / iterations if iterations is not None else elapsed / (time_limit or 1.0)
            temperature = t_start * (t_end / t_start) ** min(1.0, frac)
            how = rng.choices(RUINS, WEIGHTS)[0]
            trial = current.copy()
            removed, touched = self.ruin(trial, how)
            if not removed:
                break
            waiting = sorted(trial.unassigned)
            if len(waiting) > MEAN_REMOVED:  # on a full day, a few of those left out each time
                waiting = rng.sample(waiting, MEAN_REMOVED)
            self.recreate(trial, removed | set(waiting), touched)
            trial.cost = _total(day, trial.scheds, trial.unassigned)
            self.stats.iterations += 1
            self.stats.by_ruin[how][0] += 1
            if any(not trial.scheds[s].feasible for s in touched):
                continue  # a removal broke a route (a matrix without the triangle inequality)
            if trial.cost < current.cost - temperature * math.log(1.0 - rng.random()):
                current = trial
                self.stats.accepted += 1
                if current.cost < best.cost:
                    best = current.copy()
                    last_better = time.monotonic() - clock0
                    self.stats.improved += 1
                    self.stats.by_ruin[how][1] += 1
                    if progress is not None:
                        progress(time.monotonic() - started, best.cost)
        return best


def to_solution(day: Day, state: State, started: float, log: tuple[tuple[float, int], ...]) -> Solution:
    """The state as the solver's answer: routes timed by `solver.timing`, reasons for the rest."""
    from solver.routing import _reason, _summary

    problem = day.problem
    routes: list[Route] = []
    for s, items in enumerate(state.routes):
        if not any(x >= 0 for x in items):
            continue
        shift = problem.shifts[s]
        seq: list[Job | Break | DepotCall] = []
        for x in items:
            sid = stop_of(x)
            if sid is not None:
                stop = state.stops[sid]
                loads: dict[str, int] = {}
                for j in stop.jobs:
                    for p, q in day.parts[j]:
                        loads[p] = loads.get(p, 0) + q
                tools = sorted(set().union(*(day.tools[j] for j in stop.jobs)))
                seq.append(DepotCall(day.depots[stop.depot], tuple(sorted(loads.items())), tuple(tools)))
            else:
                seq.append(shift.breaks[-1 - x] if x < 0 else problem.jobs[x])
        routes.append(earliest_route(problem, shift, seq))
    routed = {j for j in state.where}
    unassigned = tuple(_reason(j, c, problem) for j, c in enumerate(day.candidates) if j not in routed)
    summary = _summary(problem, tuple(routes), len(unassigned), state.cost, started)
    return Solution(
        status=Status.SOLVED, routes=tuple(routes), unassigned=unassigned, summary=summary, search_log=log
    )


def improve(
    problem: Problem,
    start: Solution,
    params: SolveParams,
    *,
    time_limit: float | None = None,
    iterations: int | None = None,
    seed: int = 0,
    workers: int = 1,
    progress: ProgressCallback | None = None,
    stall_time: float | None = None,
) -> Solution:
    """A plan at least as good as ``start`` by the model's objective (see the module doc).

    ``workers`` chains run at once, with seeds ``seed``, ``seed + 1``, ...: the first in this
    process (it reports ``progress``), the others in worker processes; the best plan is kept
    (ties: the lowest seed), so a fixed seed and iteration limit give the same plan."""
    started = time.monotonic()
    day = Day(problem, params)
    state = initial_state(day, start)
    log: list[tuple[float, int]] = list(start.search_log)

    def on_better(elapsed: float, cost: int) -> None:
        log.append((elapsed, cost))
        if progress is not None:
            progress(elapsed, cost)

    others = []
    pool = None
    if workers > 1:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        # fork where there is one: the chains need only what this process has loaded, and a
        # spawned process would re-run the caller's main module (a script, or stdin).
        method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
        pool = ProcessPoolExecutor(workers - 1, mp_context=multiprocessing.get_context(method))
        others = [
            pool.submit(_chain, problem, start, params, time_limit, iterations, seed + k, stall_time)
            for k in range(1, workers)
        ]
    try:
        search = Search(day, seed, params.temperature)
        best = search.run(
            state,
            time_limit=time_limit,
            iterations=iterations,
            progress=on_better,
            started=started,
            stall_time=stall_time,
        )
        for future in others:
            cost, routes, stops = future.result()
            if cost < best.cost:
                best = _state_of(day, routes, stops)
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    return to_solution(day, best, started, tuple(log))


def _chain(
    problem: Problem,
    start: Solution,
    params: SolveParams,
    time_limit: float | None,
    iterations: int | None,
    seed: int,
    stall_time: float | None = None,
) -> tuple[int, list[list[int]], Stops]:
    """One more chain, in a worker process: its best cost, routes and depot stops."""
    day = Day(problem, params)
    search = Search(day, seed, params.temperature)
    state = initial_state(day, start)
    best = search.run(state, time_limit=time_limit, iterations=iterations, stall_time=stall_time)
    return best.cost, best.routes, best.stops


def _total(day: Day, scheds: Iterable[Schedule], unassigned: Iterable[int]) -> int:
    """The model's objective: the routes' costs and the penalty of each job left out."""
    return sum(sc.cost for sc in scheds) + sum(day.penalty[j] for j in unassigned)


def _state_of(day: Day, routes: list[list[int]], stops: Stops | None = None) -> State:
    stops = stops or {}
    where = {j: s for s, items in enumerate(routes) for j in items if j >= 0}
    unassigned = {j for j in day.plannable if j not in where}
    scheds = [schedule(day, s, items, stops) for s, items in enumerate(routes)]
    cost = _total(day, scheds, unassigned)
    left = {(d, p): q for d, stock in enumerate(day.depot_stock) for p, q in stock.items()}
    served_by: dict[int, int] = {}
    for sid, stop in stops.items():
        for j in stop.jobs:
            served_by[j] = sid
            for p, q in day.parts[j]:
                left[stop.depot, p] -= q
    following = max(stops, default=-1) + 1
    return State(routes, scheds, where, unassigned, cost, left, stops, served_by, following)

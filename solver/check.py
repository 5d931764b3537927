"""The independent plan checker.

It shares no code with the routing model: from each route's order of steps alone it rebuilds
the earliest schedule (leave at shift start, wait for windows, take breaks where the order puts
them) and reports every rule the plan breaks. The solver's own times are never read, so a
wrong model, a wrong extraction or a hand-edited plan are all caught the same way.

A break listed between two steps may be taken anywhere on that leg: at the previous site, on
the road, or on arrival before service, but never during service. The rules judge a stop by
when its service can begin (after such a break); the recomputed schedule reports the arrival
as when the engineer gets there, before it.

Parts and tools are followed along each route: the van starts with its shift's stock, a depot
step adds what it says it loads (which that depot must hold, and all routes together may not
load more than its stock), and a job uses up its parts, which must be on board on arrival, as
must its tools.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from enum import StrEnum
from itertools import pairwise

from solver.model import Break, Depot, Job, Problem, Route, Shift, Solution, Step, StepType


class Rule(StrEnum):
    UNKNOWN_JOB = "unknown_job"
    DUPLICATE_JOB = "duplicate_job"
    MISSING_JOB = "missing_job"
    UNKNOWN_SHIFT = "unknown_shift"
    DUPLICATE_SHIFT = "duplicate_shift"
    MALFORMED_ROUTE = "malformed_route"
    SKILL = "skill"
    TIME_WINDOW = "time_window"
    SHIFT_END = "shift_end"
    BREAK_MISSING = "break_missing"
    BREAK_WINDOW = "break_window"
    UNKNOWN_BREAK = "unknown_break"
    CAPACITY = "capacity"
    MAX_JOBS = "max_jobs"
    PINNED_ENGINEER = "pinned_engineer"
    PINNED_ORDER = "pinned_order"
    FIXED_START = "fixed_start"
    SLA_LATE = "sla_late"
    PARTS_MISSING = "parts_missing"
    UNKNOWN_DEPOT = "unknown_depot"
    DEPOT_STOCK = "depot_stock"
    DEPOT_HOURS = "depot_hours"


@dataclass(frozen=True, slots=True)
class Violation:
    rule: Rule
    message: str
    shift_id: str | None = None
    job_id: str | None = None
    hard: bool = True


@dataclass(frozen=True, slots=True)
class TimedStep:
    """A job, depot stop or break of the recomputed schedule. A break's arrival is its start
    (it may be taken on the road); a stop's arrival is when the engineer reaches the place,
    before a break taken there, and ``waiting`` its idle time until ``start``, that break
    excluded."""

    type: StepType
    id: str
    arrival: int
    start: int
    end: int
    waiting: int = 0


@dataclass(slots=True)
class RouteSchedule:
    """One route as the checker recomputed it, so a caller can store what was validated."""

    steps: list[TimedStep] = field(default_factory=list)
    end: int = 0  # arrival at the shift's end location (or the last visit's end)
    travel_time: int = 0
    distance: int = 0


@dataclass(slots=True)
class CheckReport:
    """Every violation found, plus the recomputed schedule (per route) and its totals."""

    violations: list[Violation] = field(default_factory=list)
    service_start: dict[str, int] = field(default_factory=dict)
    lateness: dict[str, int] = field(default_factory=dict)
    travel_time: int = 0
    distance: int = 0
    schedules: dict[str, RouteSchedule] = field(default_factory=dict)  # shift id → schedule

    @property
    def feasible(self) -> bool:
        return not any(v.hard for v in self.violations)

    def rules(self) -> set[Rule]:
        return {v.rule for v in self.violations}

    def describe(self) -> str:
        return "\n".join(f"{v.rule}: {v.message}" for v in self.violations) or "ok"


def check(problem: Problem, solution: Solution, *, hard_deadlines: bool = False) -> CheckReport:
    """Validate ``solution`` against ``problem``; see `CheckReport.feasible`."""
    report = CheckReport()
    jobs = {j.id: j for j in problem.jobs}
    shifts = {s.id: s for s in problem.shifts}
    seen: Counter[str] = Counter()
    used_shifts: Counter[str] = Counter()
    position: dict[str, tuple[str, int]] = {}
    loaded: Counter[tuple[str, str]] = Counter()  # (depot, part) → units loaded by all routes
    for route in solution.routes:
        used_shifts[route.shift_id] += 1
        shift = shifts.get(route.shift_id)
        if shift is None:
            report.violations.append(
                Violation(
                    Rule.UNKNOWN_SHIFT, f"route for unknown shift {route.shift_id}", shift_id=route.shift_id
                )
            )
            continue
        for k, jid in enumerate(route.job_ids()):
            seen[jid] += 1
            position[jid] = (shift.id, k)
        _check_route(problem, shift, route, jobs, report, hard_deadlines, loaded)
    for sid, n in used_shifts.items():
        if n > 1:
            report.violations.append(
                Violation(Rule.DUPLICATE_SHIFT, f"shift {sid} has {n} routes", shift_id=sid)
            )
    for u in solution.unassigned:
        seen[u.job_id] += 1
    for jid, n in seen.items():
        if jid not in jobs:
            report.violations.append(
                Violation(Rule.UNKNOWN_JOB, f"job {jid} is not in the problem", job_id=jid)
            )
        elif n > 1:
            report.violations.append(
                Violation(Rule.DUPLICATE_JOB, f"job {jid} appears {n} times", job_id=jid)
            )
    for jid in jobs:
        if jid not in seen:
            report.violations.append(
                Violation(Rule.MISSING_JOB, f"job {jid} is neither routed nor unassigned", job_id=jid)
            )
    _check_pinned_order(problem, shifts, position, report)
    stock = {(d.id, p): q for d in problem.depots for p, q in d.stock}
    for (depot, part), qty in sorted(loaded.items()):
        if qty > stock.get((depot, part), 0):
            report.violations.append(
                Violation(
                    Rule.DEPOT_STOCK,
                    f"routes load {qty} × {part} at depot {depot}, which holds {stock.get((depot, part), 0)}",
                )
            )
    return report


def _check_route(
    problem: Problem,
    shift: Shift,
    route: Route,
    jobs: dict[str, Job],
    report: CheckReport,
    hard_deadlines: bool,
    loaded: Counter[tuple[str, str]],
) -> None:
    steps = route.steps
    sid = shift.id
    if not steps or steps[0].type is not StepType.START or steps[-1].type is not StepType.END:
        report.violations.append(
            Violation(
                Rule.MALFORMED_ROUTE, f"route {sid} must begin with start and end with end", shift_id=sid
            )
        )
        return
    if any(s.type in (StepType.START, StepType.END) for s in steps[1:-1]):
        report.violations.append(
            Violation(Rule.MALFORMED_ROUTE, f"route {sid} has start/end steps inside it", shift_id=sid)
        )
        return
    dur, dist = problem.matrix.durations, problem.matrix.distances
    breaks = {b.id: b for b in shift.breaks}
    taken: Counter[str] = Counter()
    t = shift.time_window.start
    loc = shift.start
    pending: list[Break] = []
    route_jobs: list[Job] = []
    schedule = report.schedules.setdefault(sid, RouteSchedule())
    depots = {d.id: d for d in problem.depots}
    van: Counter[str] = Counter(dict(shift.stock))
    tools = set(shift.tools)

    def leg(to: int | None) -> tuple[int, int]:
        """Travel from ``loc`` to ``to`` (None: open end), taking the pending breaks on the way;
        ``t`` becomes when service can begin. Returns the arrival and the break time taken
        there after arriving."""
        nonlocal t
        remaining = 0 if to is None else int(dur[loc, to])
        arrived: int | None = None
        on_site = 0
        if to is not None:
            report.travel_time += remaining
            report.distance += int(dist[loc, to])
            schedule.travel_time += remaining
            schedule.distance += int(dist[loc, to])
        for b in pending:
            window = next((w for w in b.time_windows if w.end >= t), None)
            if window is None:
                report.violations.append(
                    Violation(
                        Rule.BREAK_WINDOW,
                        f"break {b.id} of {sid} cannot start by {b.time_windows[-1].end} (earliest {t})",
                        shift_id=sid,
                    )
                )
                driven, start = 0, t
            else:
                driven = min(remaining, max(0, window.start - t))
                remaining -= driven
                start = max(t + driven, window.start)
            if remaining == 0 and arrived is None:
                arrived = t + driven
            if arrived is not None:
                on_site += b.duration
            schedule.steps.append(TimedStep(StepType.BREAK, b.id, start, start, start + b.duration))
            t = start + b.duration
        pending.clear()
        t += remaining
        return (t if arrived is None else arrived), on_site

    for step in steps[1:-1]:
        if step.type is StepType.BREAK:
            if step.id not in breaks:
                report.violations.append(
                    Violation(Rule.UNKNOWN_BREAK, f"route {sid} has unknown break {step.id}", shift_id=sid)
                )
                continue
            taken[step.id] += 1
            pending.append(breaks[step.id])
            continue
        if step.type is StepType.DEPOT:
            depot = depots.get(step.id or "")
            if depot is None:
                report.violations.append(
                    Violation(
                        Rule.UNKNOWN_DEPOT, f"route {sid} stops at unknown depot {step.id}", shift_id=sid
                    )
                )
                continue
            arrived, on_site = leg(depot.location)
            begin = _depot_stop(shift, depot, step, t, report, loaded, van, tools)
            schedule.steps.append(
                TimedStep(
                    StepType.DEPOT, depot.id, arrived, begin, begin + depot.service, begin - arrived - on_site
                )
            )
            t, loc = begin + depot.service, depot.location
            continue
        job = jobs.get(step.id or "")
        if job is None:
            continue  # reported as unknown job by the caller
        route_jobs.append(job)
        arrived, on_site = leg(job.location)
        _check_visit(shift, job, t, report, hard_deadlines)
        _use_parts(shift, job, van, tools, report)
        window = job.window_for(t) if job.time_windows else None
        begin = max(t, window.start) if window is not None else t
        if job.fixed_start is not None:
            begin = max(begin, job.fixed_start)
        report.service_start[job.id] = begin
        schedule.steps.append(
            TimedStep(StepType.JOB, job.id, arrived, begin, begin + job.service, begin - arrived - on_site)
        )
        t, loc = begin + job.service, job.location
    leg(shift.end)
    schedule.end = t
    if t > shift.time_window.end:
        report.violations.append(
            Violation(
                Rule.SHIFT_END,
                f"route {sid} ends at {t}, after its shift end {shift.time_window.end}",
                shift_id=sid,
            )
        )
    for b in shift.breaks:
        if taken[b.id] != 1:
            report.violations.append(
                Violation(
                    Rule.BREAK_MISSING,
                    f"route {sid} takes break {b.id} {taken[b.id]} times, not once",
                    shift_id=sid,
                )
            )
    _check_loads(problem, shift, route_jobs, report)


def _depot_stop(
    shift: Shift,
    depot: Depot,
    step: Step,
    arrival: int,
    report: CheckReport,
    loaded: Counter[tuple[str, str]],
    van: Counter[str],
    tools: set[str],
) -> int:
    """Load what the step says at ``depot``; returns when the counter service starts."""
    sid = shift.id
    begin = arrival
    window = depot.time_window
    if window is not None:
        if arrival > window.end:
            report.violations.append(
                Violation(
                    Rule.DEPOT_HOURS,
                    f"route {sid} reaches depot {depot.id} at {arrival}, after it closes at {window.end}",
                    shift_id=sid,
                )
            )
        begin = max(arrival, window.start)
    held = dict(depot.stock)
    for part, qty in step.parts:
        if part not in held:
            report.violations.append(
                Violation(
                    Rule.DEPOT_STOCK,
                    f"route {sid} loads {part} at depot {depot.id}, which has none",
                    shift_id=sid,
                )
            )
        loaded[depot.id, part] += qty
        van[part] += qty
    for tool in step.tools:
        if tool not in depot.tools:
            report.violations.append(
                Violation(
                    Rule.DEPOT_STOCK,
                    f"route {sid} takes tool {tool} at depot {depot.id}, which has none",
                    shift_id=sid,
                )
            )
        tools.add(tool)
    return begin


def _use_parts(shift: Shift, job: Job, van: Counter[str], tools: set[str], report: CheckReport) -> None:
    for part, qty in job.parts:
        if van[part] < qty:
            report.violations.append(
                Violation(
                    Rule.PARTS_MISSING,
                    f"job {job.id} needs {qty} × {part}, the van of {shift.id} has {van[part]}",
                    shift_id=shift.id,
                    job_id=job.id,
                )
            )
        van[part] = max(0, van[part] - qty)
    for tool in job.tools:
        if tool not in tools:
            report.violations.append(
                Violation(
                    Rule.PARTS_MISSING,
                    f"job {job.id} needs tool {tool}, which the van of {shift.id} lacks",
                    shift_id=shift.id,
                    job_id=job.id,
                )
            )


def _check_visit(shift: Shift, job: Job, arrival: int, report: CheckReport, hard_deadlines: bool) -> None:
    sid = shift.id
    if not shift.has_skills(job.skills):
        report.violations.append(
            Violation(
                Rule.SKILL, f"{shift.engineer_id} lacks skills for job {job.id}", shift_id=sid, job_id=job.id
            )
        )
    if job.pinned_engineer is not None and job.pinned_engineer != shift.engineer_id:
        report.violations.append(
            Violation(
                Rule.PINNED_ENGINEER,
                f"job {job.id} is pinned to {job.pinned_engineer}, planned on {shift.engineer_id}",
                shift_id=sid,
                job_id=job.id,
            )
        )
    begin = arrival
    if job.time_windows:
        window = job.window_for(arrival)
        if window is None:
            report.violations.append(
                Violation(
                    Rule.TIME_WINDOW,
                    f"job {job.id} reached at {arrival}, after its last window ends "
                    f"{job.time_windows[-1].end}",
                    shift_id=sid,
                    job_id=job.id,
                )
            )
        else:
            begin = max(arrival, window.start)
    if job.fixed_start is not None:
        if arrival > job.fixed_start:
            report.violations.append(
                Violation(
                    Rule.FIXED_START,
                    f"job {job.id} must start at {job.fixed_start}, reached at {arrival}",
                    shift_id=sid,
                    job_id=job.id,
                )
            )
        begin = max(begin, job.fixed_start)
    if job.deadline is not None and begin > job.deadline:
        late = begin - job.deadline
        report.lateness[job.id] = late
        report.violations.append(
            Violation(
                Rule.SLA_LATE,
                f"job {job.id} starts {late} s after its SLA deadline",
                shift_id=sid,
                job_id=job.id,
                hard=hard_deadlines,
            )
        )


def _check_loads(problem: Problem, shift: Shift, route_jobs: list[Job], report: CheckReport) -> None:
    sid = shift.id
    if shift.max_jobs is not None and len(route_jobs) > shift.max_jobs:
        report.violations.append(
            Violation(
                Rule.MAX_JOBS,
                f"route {sid} has {len(route_jobs)} jobs, more than {shift.max_jobs}",
                shift_id=sid,
            )
        )
    for k in range(problem.capacity_dims):
        load = sum(j.delivery[k] for j in route_jobs if j.delivery)
        peak = load
        for j in route_jobs:
            load += (j.pickup[k] if j.pickup else 0) - (j.delivery[k] if j.delivery else 0)
            peak = max(peak, load)
        if peak > shift.capacity[k]:
            report.violations.append(
                Violation(
                    Rule.CAPACITY,
                    f"route {sid} carries {peak} in dimension {k}, capacity {shift.capacity[k]}",
                    shift_id=sid,
                )
            )


def _check_pinned_order(
    problem: Problem, shifts: dict[str, Shift], position: dict[str, tuple[str, int]], report: CheckReport
) -> None:
    ranked: dict[str, list[Job]] = defaultdict(list)
    for job in problem.jobs:
        if job.pinned_rank is not None and job.pinned_engineer is not None and job.id in position:
            ranked[job.pinned_engineer].append(job)
    for engineer, jobs in ranked.items():
        jobs.sort(key=lambda j: j.pinned_rank or 0)
        for a, b in pairwise(jobs):
            sa, sb = report.service_start.get(a.id), report.service_start.get(b.id)
            same_route = position[a.id][0] == position[b.id][0]
            out_of_order = (
                (position[a.id][1] > position[b.id][1])
                if same_route
                else (sa is not None and sb is not None and sa > sb)
            )
            if out_of_order:
                report.violations.append(
                    Violation(
                        Rule.PINNED_ORDER,
                        f"{engineer}: job {a.id} (rank {a.pinned_rank}) comes after job {b.id} "
                        f"(rank {b.pinned_rank})",
                        job_id=b.id,
                    )
                )

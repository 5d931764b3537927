"""Time a route in a given order as early as it allows, with `solver.check`'s semantics.

The routing model's times are not pushed to the earliest (its cumuls are any feasible values)
and an inserted or re-ordered route has no times at all, so both the solver's extraction and
booking's insertion rebuild them here: leave at shift start; a job starts at the later of its
arrival and the start of the first window whose end is not before the arrival, and never
before its ``fixed_start``; a depot stop waits for its opening; a break listed between two
stops is taken on that leg, at the previous place, on the road or at the destination before
service, starting at ``max(t + driven, its window's start)``. Earlier never breaks a window
end, deadline, break window or shift end, so this schedule keeps every rule the order can.
The checker rebuilds the same schedule with its own code, on purpose.

Then the departure is delayed by the first stop's waiting (only when no break comes first):
that wait alone is absorbed, so nothing else moves, and the engineer does not stand at the
first door. (The one exception is a fixed start after the end of the window the engineer
arrives in, an in-progress visit that overran it: the arrival stays inside that window.)

A step's ``arrival`` is when the engineer reaches the place. A break taken on arrival, before
service, is listed before the stop and starts at or after its arrival; the stop's
``waiting_time`` is idle time only, never the break (see `solver.model.Route.service_starts`).
A break step has no location (it may be taken on the road), as in VROOM's output.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from solver.model import Break, Depot, Job, Problem, Route, Shift, Step, StepType


@dataclass(frozen=True, slots=True)
class DepotCall:
    """A depot stop in a route's order, with what the van loads there."""

    depot: Depot
    parts: tuple[tuple[str, int], ...] = ()
    tools: tuple[str, ...] = ()


Item = Job | Break | DepotCall


def begin_at(job: Job, ready: int) -> int | None:
    """Service start when service could begin at ``ready``, or None if every window has
    closed or the fixed start has passed."""
    begin = ready
    if job.time_windows:
        window = job.window_for(ready)
        if window is None:
            return None
        begin = max(ready, window.start)
    if job.fixed_start is not None:
        if ready > job.fixed_start:
            return None
        begin = max(begin, job.fixed_start)
    return begin


def ready_after(t: int, drive: int, pending: Sequence[Break]) -> int | None:
    """When service can begin after leaving at ``t`` on a leg of ``drive`` seconds with the
    ``pending`` breaks taken on it (each at the later of where the driving has got and its
    window's start); None if a break's last window has closed."""
    for b in pending:
        window = next((w for w in b.time_windows if w.end >= t), None)
        if window is None:
            return None
        driven = min(drive, max(0, window.start - t))
        drive -= driven
        t = max(t + driven, window.start) + b.duration
    return t + drive


def earliest_route(problem: Problem, shift: Shift, items: Sequence[Item]) -> Route:
    """``items`` (jobs, depot stops and breaks, in route order) timed as early as they allow.

    A broken order (a window or break window already closed) is still timed, as the checker
    does: service then starts on arrival and the break where the engineer is, so the checker,
    not this, reports it.
    """
    dur, dist = problem.matrix.durations.item, problem.matrix.distances.item
    t, loc = shift.time_window.start, shift.start
    steps: list[Step] = [Step(type=StepType.START, location=shift.start, arrival=t)]
    pending: list[Break] = []
    travel = distance = 0

    def leg(to: int | None) -> tuple[int, int]:
        """Drive from ``loc`` to ``to`` (None: open end) taking the pending breaks; ``t``
        becomes when service can begin. Returns the arrival and the break time taken there
        after arriving."""
        nonlocal t, travel, distance
        remaining = 0 if to is None else int(dur(loc, to))
        if to is not None:
            travel += remaining
            distance += int(dist(loc, to))
        arrived: int | None = None
        on_site = 0
        for b in pending:
            window = next((w for w in b.time_windows if w.end >= t), None)
            driven = 0 if window is None else min(remaining, max(0, window.start - t))
            remaining -= driven
            start = t + driven if window is None else max(t + driven, window.start)
            if remaining == 0 and arrived is None:
                arrived = t + driven
            if arrived is not None:
                on_site += b.duration
            steps.append(Step(type=StepType.BREAK, id=b.id, arrival=start, service=b.duration))
            t = start + b.duration
        pending.clear()
        t += remaining
        return (t if arrived is None else arrived), on_site

    for item in items:
        if isinstance(item, Break):
            pending.append(item)
            continue
        if isinstance(item, DepotCall):
            depot = item.depot
            arrived, on_site = leg(depot.location)
            begin = t if depot.time_window is None else max(t, depot.time_window.start)
            steps.append(
                Step(
                    type=StepType.DEPOT,
                    id=depot.id,
                    location=depot.location,
                    arrival=arrived,
                    waiting_time=begin - arrived - on_site,
                    service=depot.service,
                    parts=item.parts,
                    tools=item.tools,
                )
            )
            t, loc = begin + depot.service, depot.location
            continue
        arrived, on_site = leg(item.location)
        opened = begin_at(item, t)
        begin = t if opened is None else opened
        steps.append(
            Step(
                type=StepType.JOB,
                id=item.id,
                location=item.location,
                arrival=arrived,
                waiting_time=begin - arrived - on_site,
                service=item.service,
                lateness=max(0, begin - item.deadline) if item.deadline is not None else 0,
            )
        )
        t, loc = begin + item.service, item.location
    leg(shift.end)
    steps.append(Step(type=StepType.END, location=shift.end, arrival=t))  # the route's end
    first = steps[1]
    if first.type in (StepType.JOB, StepType.DEPOT) and first.waiting_time > 0:
        delay = first.waiting_time
        window = items[0].window_for(first.arrival) if isinstance(items[0], Job) else None
        if window is not None:  # a fixed start past its window: still arrive inside the window
            delay = min(delay, window.end - first.arrival)
        steps[0] = replace(steps[0], arrival=steps[0].arrival + delay)
        steps[1] = replace(first, arrival=first.arrival + delay, waiting_time=first.waiting_time - delay)
    return Route(
        shift_id=shift.id,
        engineer_id=shift.engineer_id,
        steps=tuple(steps),
        travel_time=travel,
        distance=distance,
        service=sum(s.service for s in steps if s.type is StepType.JOB),
        waiting_time=sum(s.waiting_time for s in steps),
        lateness=sum(s.lateness for s in steps),
    )

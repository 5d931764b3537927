"""Tiny problems on a line: location i sits at x = positions[i]; travel seconds = |dx|."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from solver import (
    Break,
    Job,
    Location,
    Problem,
    Shift,
    Solution,
    SolveParams,
    TimeWindow,
    TravelMatrix,
    check,
)

DAY = 24 * 3600


def line_problem(positions: Sequence[int], jobs: Sequence[Job], shifts: Sequence[Shift]) -> Problem:
    x = np.asarray(positions, dtype=np.int64)
    d = np.abs(x[:, None] - x[None, :])
    return Problem(
        locations=tuple(Location(name=f"x={p}") for p in positions),
        matrix=TravelMatrix(durations=d, distances=d * 10),
        jobs=tuple(jobs),
        shifts=tuple(shifts),
    )


def tw(start: int, end: int) -> TimeWindow:
    return TimeWindow(start=start, end=end)


def shift(
    sid: str,
    *,
    engineer: str | None = None,
    start: int = 0,
    end: int | None = 0,
    window: tuple[int, int] = (0, 10_000),
    skills: dict[str, int] | None = None,
    breaks: Sequence[Break] = (),
    capacity: tuple[int, ...] = (),
    max_jobs: int | None = None,
) -> Shift:
    return Shift(
        id=sid,
        engineer_id=engineer or sid,
        start=start,
        end=end,
        time_window=tw(*window),
        skills=tuple((skills or {}).items()),
        breaks=tuple(breaks),
        capacity=capacity,
        max_jobs=max_jobs,
    )


FAST = SolveParams(time_limit=5, solution_limit=200, stall_time=0.3)


def assert_valid(problem: Problem, solution: Solution, *, hard_deadlines: bool = False) -> None:
    """Every solver test goes through the independent checker."""
    report = check(problem, solution, hard_deadlines=hard_deadlines)
    assert report.feasible, report.describe()


def route_of(solution: Solution, job_id: str) -> str | None:
    for r in solution.routes:
        if job_id in r.job_ids():
            return r.shift_id
    return None


def reasons(solution: Solution) -> dict[str, str]:
    return {u.job_id: str(u.reason) for u in solution.unassigned}


@pytest.fixture
def fast() -> SolveParams:
    return FAST

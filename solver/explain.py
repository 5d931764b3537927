"""Why a job cannot be served: checks of one job against each shift, on an otherwise empty day.

The same checks prune the routing model (a job is only offered to shifts that could take it
alone), so an unassigned job's reason is exactly what kept it out: the first filter, in the
order below, that leaves no shift (skills, pin, parts and tools on a van or in a depot, load,
windows, reach, deadline). A job that passes them all but is still dropped fitted some
empty day and lost out to other work: `capacity`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from solver.model import Job, Problem, Reason

BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class Candidates:
    """For one job: the shifts that could take it alone, or the reason none can."""

    shifts: tuple[int, ...]
    reason: Reason | None
    detail: str


class _ShiftArrays:
    """Shift attributes as numpy arrays, so a job is checked against all shifts at once."""

    def __init__(self, problem: Problem) -> None:
        shifts = problem.shifts
        self.start_loc = np.array([s.start for s in shifts], dtype=np.int64)
        self.end_loc = np.array([-1 if s.end is None else s.end for s in shifts], dtype=np.int64)
        self.open_end = self.end_loc < 0
        self.tw_start = np.array([s.time_window.start for s in shifts], dtype=np.int64)
        self.tw_end = np.array([s.time_window.end for s in shifts], dtype=np.int64)
        dims = problem.capacity_dims
        self.capacity = (
            np.array([s.capacity for s in shifts], dtype=np.int64).reshape(len(shifts), dims)
            if shifts
            else np.zeros((0, dims), dtype=np.int64)
        )
        self.max_jobs = np.array(
            [np.iinfo(np.int64).max if s.max_jobs is None else s.max_jobs for s in shifts], dtype=np.int64
        )
        self.engineer = np.array([s.engineer_id for s in shifts], dtype=object)
        self._skill_cache: dict[tuple[tuple[str, int], ...], BoolArray] = {}
        self._shifts = shifts
        self._van = [dict(s.stock) for s in shifts]
        self._van_tools = [frozenset(s.tools) for s in shifts]
        self._depot_most: dict[str, int] = {}  # part → the most any one depot holds
        for d in problem.depots:
            for part, qty in d.stock:
                self._depot_most[part] = max(self._depot_most.get(part, 0), qty)
        self._depot_tools = frozenset(t for d in problem.depots for t in d.tools)

    def supplied(self, job: Job) -> tuple[BoolArray, str]:
        """Shifts whose van holds, or some single depot holds, each part and tool the job needs;
        and the first need nothing supplies. Depots cover every shift alike: whether a depot stop
        fits the route is the search's business."""
        ok = np.ones(len(self._shifts), dtype=np.bool_)
        missing = ""
        for part, qty in job.parts:
            if self._depot_most.get(part, 0) >= qty:
                continue
            on_van = np.array([van.get(part, 0) >= qty for van in self._van], dtype=np.bool_)
            if not on_van.any() and not missing:
                missing = f"no van or depot holds {qty} × {part}"
            ok &= on_van
        for tool in job.tools:
            if tool in self._depot_tools:
                continue
            on_van = np.array([tool in tools for tools in self._van_tools], dtype=np.bool_)
            if not on_van.any() and not missing:
                missing = f"no van or depot holds tool {tool}"
            ok &= on_van
        return ok, missing or "no single van holds all of its parts and tools, and no depot has them"

    def skilled(self, required: tuple[tuple[str, int], ...]) -> BoolArray:
        mask = self._skill_cache.get(required)
        if mask is None:
            mask = np.array([s.has_skills(required) for s in self._shifts], dtype=np.bool_)
            self._skill_cache[required] = mask
        return mask


def _earliest_start(job: Job, arrival: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Earliest service start per shift given arrival times; -1 where no window is reachable."""
    if not job.time_windows:
        return arrival.copy()
    start = np.full_like(arrival, -1)
    for w in reversed(job.time_windows):  # earlier windows win: assign last
        ok = arrival <= w.end
        start = np.where(ok, np.maximum(arrival, w.start), start)
    return start


def candidate_shifts(problem: Problem, *, hard_deadlines: bool = False) -> list[Candidates]:
    """Check every job against every shift; see the module docstring for the reasons' order."""
    arrays = _ShiftArrays(problem)
    dur = problem.matrix.durations
    return [_candidates_for(job, arrays, dur, hard_deadlines) for job in problem.jobs]


def _candidates_for(
    job: Job, a: _ShiftArrays, dur: npt.NDArray[np.int64], hard_deadlines: bool
) -> Candidates:
    found = _filter(job, a, dur, hard_deadlines)
    if found.reason is not None and job.pinned_engineer is not None:
        return Candidates((), Reason.PINNED_INFEASIBLE, f"pinned to {job.pinned_engineer}: {found.detail}")
    return found


def _filter(job: Job, a: _ShiftArrays, dur: npt.NDArray[np.int64], hard_deadlines: bool) -> Candidates:
    ok = a.skilled(job.skills)
    if not ok.any():
        need = ", ".join(f"{n}:{lvl}" for n, lvl in job.skills)
        return Candidates((), Reason.NO_SKILL, f"no engineer holds {need}")
    if job.pinned_engineer is not None:
        pinned = a.engineer == job.pinned_engineer
        if not (ok & pinned).any():
            return Candidates((), Reason.PINNED_INFEASIBLE, "the engineer lacks the skills")
        ok = ok & pinned
    if job.parts or job.tools:
        supplied, missing = a.supplied(job)
        if not (ok & supplied).any():
            return Candidates((), Reason.PART_UNAVAILABLE, missing)
        ok = ok & supplied
    if job.delivery or job.pickup:
        need = np.maximum(
            np.array(job.delivery or (0,) * a.capacity.shape[1]),
            np.array(job.pickup or (0,) * a.capacity.shape[1]),
        )
        fits = (a.capacity >= need).all(axis=1) & (a.max_jobs > 0)
    else:
        fits = a.max_jobs > 0
    if not (ok & fits).any():
        return Candidates((), Reason.TOO_LARGE, "its load exceeds every skilled engineer's capacity")
    ok = ok & fits

    # Overlap of the job's windows with the shift, ignoring travel.
    if job.time_windows:
        overlap = np.zeros_like(ok)
        for w in job.time_windows:
            overlap |= (w.end >= a.tw_start) & (w.start + job.service <= a.tw_end)
    else:
        overlap = a.tw_start + job.service <= a.tw_end
    if not (ok & overlap).any():
        return Candidates((), Reason.NO_SHIFT_IN_WINDOW, "no skilled engineer works during its time windows")
    ok = ok & overlap

    arrival = a.tw_start + dur[a.start_loc, job.location]
    start = _earliest_start(job, arrival)
    if job.fixed_start is not None:
        start = np.where((start >= 0) & (start <= job.fixed_start), job.fixed_start, -1)
    back = np.where(a.open_end, 0, dur[job.location, np.where(a.open_end, 0, a.end_loc)])
    reachable = (start >= 0) & (start + job.service + back <= a.tw_end)
    if not (ok & reachable).any():
        return Candidates((), Reason.UNREACHABLE, "no skilled engineer can get there and back within a shift")
    ok = ok & reachable
    if hard_deadlines and job.deadline is not None:
        on_time = start <= job.deadline
        if not (ok & on_time).any():
            return Candidates(
                (), Reason.DEADLINE_UNREACHABLE, "no skilled engineer can be there by the deadline"
            )
        ok = ok & on_time
    return Candidates(tuple(int(i) for i in np.flatnonzero(ok)), None, "")

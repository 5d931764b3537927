"""Regional decomposition for large days.

OR-Tools' first-solution heuristics grow steeply with the number of jobs: on a plain VRPTW on
these machines, 1,000 jobs take 0.9 s, 1,500 take 5 s and 1,900 find nothing in 20 s, whatever
the strategy. So a large day is cut into regions of a few hundred jobs: engineers are grouped
around far-apart seeds by travel time (all shifts of one engineer stay together), each job goes
to the region of the candidate shift nearest to it, and each region is planned on its own.
The merged plan then seeds one search over the whole day, which can still move jobs across
region borders and place jobs a full region had to drop.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from solver.explain import Candidates
from solver.model import Problem


@dataclass(frozen=True, slots=True)
class Region:
    shifts: tuple[int, ...]  # positions in problem.shifts
    jobs: tuple[int, ...]  # positions in problem.jobs


def partition(problem: Problem, candidates: list[Candidates], jobs_per_region: int) -> list[Region]:
    """Split shifts and the jobs they can take into balanced, compact regions."""
    plannable = [j for j, c in enumerate(candidates) if c.shifts]
    k = max(1, math.ceil(len(plannable) / jobs_per_region))
    engineers = _engineer_shifts(problem)
    k = min(k, len(engineers))
    if k == 1:
        return [Region(tuple(range(len(problem.shifts))), tuple(plannable))]
    names = list(engineers)
    homes = np.array([problem.shifts[engineers[e][0]].start for e in names], dtype=np.int64)
    dur = problem.matrix.durations
    between = np.minimum(dur[np.ix_(homes, homes)], dur[np.ix_(homes, homes)].T)
    seeds = _farthest_first(between, k)
    group = _balanced_assign(between[:, seeds], math.ceil(len(names) / k * 1.1))
    region_of_shift = np.empty(len(problem.shifts), dtype=np.int64)
    for e, g in zip(names, group, strict=True):
        region_of_shift[list(engineers[e])] = g
    jobs = _assign_jobs(problem, candidates, plannable, region_of_shift, k)
    return [
        Region(tuple(int(s) for s in np.flatnonzero(region_of_shift == g)), tuple(jobs[g])) for g in range(k)
    ]


def _assign_jobs(
    problem: Problem, candidates: list[Candidates], plannable: list[int], region_of_shift: np.ndarray, k: int
) -> dict[int, list[int]]:
    """Each job to a region that holds one of its candidate shifts: the nearest one while that
    region's share of jobs stays in proportion to its shift-hours; the most constrained first."""
    hours = np.zeros(k)
    for i, shift in enumerate(problem.shifts):
        hours[region_of_shift[i]] += shift.time_window.end - shift.time_window.start
    cap = np.ceil(hours / hours.sum() * len(plannable) * 1.05) + 1
    dur = problem.matrix.durations
    choices: dict[int, list[int]] = {}
    for j in plannable:
        shifts = candidates[j].shifts
        home = _home_shift(problem, shifts, j)
        starts = np.array([problem.shifts[s].start for s in shifts], dtype=np.int64)
        near = dur[starts, problem.jobs[j].location]
        best: dict[int, int] = {}
        for s, d in zip(shifts, near, strict=True):
            g = int(region_of_shift[s])
            best[g] = min(best.get(g, 1 << 62), int(d))
        best[int(region_of_shift[home])] = -1  # pinned / previous engineer's region first
        choices[j] = sorted(best, key=best.__getitem__)
    load = np.zeros(k)
    out: dict[int, list[int]] = defaultdict(list)
    for j in sorted(plannable, key=lambda j: len(choices[j])):
        g = next((g for g in choices[j] if load[g] < cap[g]), choices[j][0])
        out[g].append(j)
        load[g] += 1
    return out


def _engineer_shifts(problem: Problem) -> dict[str, list[int]]:
    out: dict[str, list[int]] = defaultdict(list)
    for i, s in enumerate(problem.shifts):
        out[s.engineer_id].append(i)
    return dict(out)


def _farthest_first(dist: np.ndarray, k: int) -> list[int]:
    """k far-apart seeds: start from the most central point, then repeatedly the farthest one."""
    seeds = [int(np.argmin(dist.sum(axis=1)))]
    nearest = dist[seeds[0]].astype(np.float64)
    while len(seeds) < k:
        nxt = int(np.argmax(nearest))
        seeds.append(nxt)
        nearest = np.minimum(nearest, dist[nxt])
    return seeds


def _balanced_assign(cost: np.ndarray, cap: int) -> list[int]:
    """Each row to its nearest column with room left, most decided rows first."""
    n, k = cost.shape
    load = np.zeros(k, dtype=np.int64)
    out = [0] * n
    ordered = np.sort(cost, axis=1)
    regret = ordered[:, 1] - ordered[:, 0] if k > 1 else np.zeros(n)
    for i in np.argsort(-regret, kind="stable"):
        for g in np.argsort(cost[i], kind="stable"):
            if load[g] < cap:
                out[int(i)] = int(g)
                load[g] += 1
                break
    return out


def _home_shift(problem: Problem, shifts: tuple[int, ...], job_pos: int) -> int:
    """The shift whose region gets the job: its previous engineer's if possible, else the nearest."""
    job = problem.jobs[job_pos]
    if job.previous_engineer is not None:
        for s in shifts:
            if problem.shifts[s].engineer_id == job.previous_engineer:
                return s
    dur = problem.matrix.durations
    starts = np.array([problem.shifts[s].start for s in shifts], dtype=np.int64)
    return shifts[int(np.argmin(dur[starts, job.location]))]

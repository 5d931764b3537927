"""Field-service days with spare parts: parts-aware routing against a parts-blind plan.

    python -m benchmarks.fieldservice_parts --sizes 200 500 [--time-limit 30] [--markdown]

Days come from `solver.generate.field_service_day` with ``parts=True`` (seed fixed, normal
crew): about 30 % of jobs use up a part, about half of them find it on a qualified engineer's
van, 3-5 depots hold most parts and a few parts are nowhere in stock. Each day is planned twice,
each plan in a fresh process (`benchmarks.fieldservice.run_isolated`):

- **parts-blind**: the same day with parts, van stock and depots stripped (what a dispatcher
  gets from a planner that does not know about parts). Its plan is validated by the checker
  against the stripped day, then followed on the real one: a served job whose parts are not on
  the van when the engineer arrives is a failed first visit.
- **blind + stops**: the parts-blind plan as a dispatcher could repair it by hand
  (`add_depot_stops`): a depot stop before each visit that lacks its parts, where one fits
  without breaking a window, the shift end or the break; visits where none fits are dropped.
  Validated on the full day.
- **parts-aware**: the full day; its plan must pass the checker on the full day (parts on
  board, depot stock and hours).

For both, the first-time-fix rate is computed the same way, independently of the solver and of
the checker (`first_visits`): each van starts with its shift's stock, gains what its depot
stops load and loses what each fixed job uses. A failed visit uses nothing (the engineer finds
the part missing and leaves). The checker's own count of visits without their parts is kept
alongside as a cross-check (it takes what there is even from a failed visit, so it can only
count more).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from itertools import pairwise
from pathlib import Path
from typing import Any

from benchmarks import fieldservice
from benchmarks.fieldservice import Run
from solver import Problem, Reason, Route, Rule, Solution, Step, StepType, Unassigned, check
from solver.generate import engineers_for, field_service_day

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "benchmarks" / "results" / "fieldservice_parts.json"
SEED = fieldservice.SEED
VARIANTS = ("parts-blind", "blind + stops", "parts-aware")

Runner = Callable[[str, Problem, float], Run]


@dataclass(frozen=True, slots=True)
class Row:
    jobs: int
    engineers: int
    depots: int
    variant: str
    status: str
    served: int
    unserved: int
    part_unavailable: int  # unserved with reason part_unavailable
    promises: int  # jobs with an SLA deadline (tiers 2 and 3)
    promises_met: int  # of those, served by the deadline
    promises_met_fixed: int  # ... and fixed on that visit
    travel_h: float
    depot_stops: int
    depot_detour_h: float  # travel the depot stops add to the same visit order
    fixed_first_time: int
    failed_first_visits: int
    ftf_pct: float | None  # fixed first time / served
    checker_parts_missing: int  # jobs the checker flags PARTS_MISSING on the full day
    feasible: bool  # checker, against the day the plan was made for
    hard_violations: int
    rules: list[str]
    wall_s: float
    first_solution_s: float | None
    peak_mb: float


@dataclass(frozen=True, slots=True)
class Visits:
    fixed: tuple[str, ...]
    failed: tuple[str, ...]


def strip_parts(problem: Problem) -> Problem:
    """The same day as a parts-blind planner sees it: no parts, no van stock, no depots."""
    return replace(
        problem,
        jobs=tuple(replace(j, parts=(), tools=()) for j in problem.jobs),
        shifts=tuple(replace(s, stock=(), tools=()) for s in problem.shifts),
        depots=(),
    )


def first_visits(problem: Problem, solution: Solution) -> Visits:
    """Follow each van along its route: the shift's stock, plus what depot stops load, minus
    what each fixed job uses. A job is fixed on the first visit when all its parts (and tools)
    are on board on arrival; otherwise the visit fails and uses nothing."""
    jobs = {j.id: j for j in problem.jobs}
    shifts = {s.id: s for s in problem.shifts}
    fixed: list[str] = []
    failed: list[str] = []
    for route in solution.routes:
        shift = shifts[route.shift_id]
        van: Counter[str] = Counter(dict(shift.stock))
        tools = set(shift.tools)
        for step in route.steps:
            if step.type is StepType.DEPOT:
                van.update(dict(step.parts))
                tools.update(step.tools)
            elif step.type is StepType.JOB and step.id is not None:
                job = jobs[step.id]
                if all(van[p] >= q for p, q in job.parts) and tools.issuperset(job.tools):
                    van.subtract(dict(job.parts))
                    fixed.append(job.id)
                else:
                    failed.append(job.id)
    return Visits(tuple(fixed), tuple(failed))


def add_depot_stops(full: Problem, blind: Solution) -> Solution:
    """What a dispatcher could make of the parts-blind plan by hand: before each visit whose
    parts are not on the van, a stop at the depot (of the three adding least travel, with stock
    left) loading what the visit lacks; a visit no such stop fits before (windows, shift end,
    break) is taken off the route. The order of everything else is kept."""
    jobs = {j.id: j for j in full.jobs}
    shifts = {s.id: s for s in full.shifts}
    dur = full.matrix.durations
    left: Counter[tuple[str, str]] = Counter({(d.id, p): q for d in full.depots for p, q in d.stock})
    routes: list[Route] = []
    dropped: list[Unassigned] = []

    def fits(route: Route, steps: list[Step]) -> bool:
        """The route alone keeps its times and breaks (parts are followed here, not there)."""
        alone = replace(blind, routes=(replace(route, steps=tuple(steps)),), unassigned=())
        return not any(
            v.hard and v.shift_id == route.shift_id and v.rule not in (Rule.PARTS_MISSING, Rule.DEPOT_STOCK)
            for v in check(full, alone).violations
        )

    for route in blind.routes:
        van: Counter[str] = Counter(dict(shifts[route.shift_id].stock))
        done: list[Step] = []
        loc = shifts[route.shift_id].start
        for i, step in enumerate(route.steps):
            if step.type is not StepType.JOB or step.id is None:
                done.append(step)
                continue
            job = jobs[step.id]
            short = {p: q - van[p] for p, q in job.parts if van[p] < q}
            if short:
                holding = [d for d in full.depots if all(left[d.id, p] >= q for p, q in short.items())]
                holding.sort(key=lambda d: int(dur[loc, d.location] + dur[d.location, job.location]))
                stops = (
                    Step(
                        type=StepType.DEPOT, id=d.id, location=d.location, parts=tuple(sorted(short.items()))
                    )
                    for d in holding[:3]
                )
                stop = next((st for st in stops if fits(route, [*done, st, *route.steps[i:]])), None)
                if stop is None:
                    reason = (
                        "no depot stop fits before the visit" if holding else "no depot has the parts left"
                    )
                    dropped.append(Unassigned(job_id=job.id, reason=Reason.PART_UNAVAILABLE, detail=reason))
                    continue
                done.append(stop)
                left.subtract({(stop.id or "", p): q for p, q in short.items()})
                van.update(short)
            van.subtract(dict(job.parts))
            done.append(step)
            loc = job.location
        routes.append(replace(route, steps=tuple(done)))
    return replace(blind, routes=tuple(routes), unassigned=(*blind.unassigned, *dropped))


def depot_detour(problem: Problem, solution: Solution) -> int:
    """Seconds of travel the depot stops add: each route's travel minus that of the same route
    with its depot stops taken out."""
    dur = problem.matrix.durations
    shifts = {s.id: s for s in problem.shifts}
    depots = {d.id: d.location for d in problem.depots}
    jobs = {j.id: j.location for j in problem.jobs}

    def travel(stops: Iterable[int]) -> int:
        return sum(int(dur[a, b]) for a, b in pairwise(stops))

    added = 0
    for route in solution.routes:
        shift = shifts[route.shift_id]
        end = [] if shift.end is None else [shift.end]
        visits = [
            (s.type, depots[s.id] if s.type is StepType.DEPOT else jobs[s.id])
            for s in route.steps
            if s.type in (StepType.DEPOT, StepType.JOB) and s.id is not None
        ]
        with_depots = [shift.start, *(loc for _, loc in visits), *end]
        without = [shift.start, *(loc for t, loc in visits if t is StepType.JOB), *end]
        added += travel(with_depots) - travel(without)
    return added


def evaluate(full: Problem, planned_for: Problem, variant: str, run: Run) -> Row:
    """Validate ``run`` against the day it was planned for, then measure it on the full day."""
    base = fieldservice.evaluate(planned_for, "ours", run)
    solution = run.solution
    report = check(full, solution)
    visits = first_visits(full, solution)
    served = set(visits.fixed) | set(visits.failed)
    promised = [j for j in full.jobs if j.deadline is not None]
    met = {j.id for j in promised if j.id in served and report.lateness.get(j.id, 0) == 0}
    missing = {v.job_id for v in report.violations if v.rule is Rule.PARTS_MISSING}
    return Row(
        jobs=len(full.jobs),
        engineers=base.engineers,
        depots=len(full.depots),
        variant=variant,
        status=base.status,
        served=len(served),
        unserved=len(full.jobs) - len(served),
        part_unavailable=sum(1 for u in solution.unassigned if u.reason is Reason.PART_UNAVAILABLE),
        promises=len(promised),
        promises_met=len(met),
        promises_met_fixed=len(met - set(visits.failed)),
        travel_h=round(report.travel_time / 3600, 2),
        depot_stops=sum(1 for r in solution.routes for s in r.steps if s.type is StepType.DEPOT),
        depot_detour_h=round(depot_detour(full, solution) / 3600, 2),
        fixed_first_time=len(visits.fixed),
        failed_first_visits=len(visits.failed),
        ftf_pct=round(100 * len(visits.fixed) / len(served), 1) if served else None,
        checker_parts_missing=len(missing),
        feasible=base.feasible,
        hard_violations=base.hard_violations,
        rules=base.rules,
        wall_s=base.wall_s,
        first_solution_s=base.first_solution_s,
        peak_mb=base.peak_mb,
    )


def isolated(solver: str, problem: Problem, time_limit: float) -> Run:
    return fieldservice.run_isolated(solver, problem, time_limit)


def compare(full: Problem, time_limit: float, runner: Runner = isolated) -> list[Row]:
    """The plans of one day (`VARIANTS`); the two solves one after the other (one solver
    process at a time). The repaired plan shares the parts-blind plan's solve time."""
    blind = strip_parts(full)
    run = runner("ours", blind, time_limit)
    repaired = replace(run, solution=add_depot_stops(full, run.solution))
    return [
        evaluate(full, blind, VARIANTS[0], run),
        evaluate(full, full, VARIANTS[1], repaired),
        evaluate(full, full, VARIANTS[2], runner("ours", full, time_limit)),
    ]


def day(n: int) -> Problem:
    return field_service_day(n, engineers_for(n), seed=SEED, parts=True)


def day_facts(problem: Problem) -> dict[str, Any]:
    """What the generator drew: share of jobs with parts, and how often a qualified engineer's
    van lacks them (averaged over the qualified engineers of each such job)."""
    with_parts = [j for j in problem.jobs if j.parts]
    lacking = []
    for job in with_parts:
        qualified = [s for s in problem.shifts if s.has_skills(job.skills)]
        short = [any(dict(s.stock).get(p, 0) < q for p, q in job.parts) for s in qualified]
        lacking.append(sum(short) / len(short) if short else 1.0)
    nowhere = {p for j in with_parts for p, _ in j.parts} - {p for d in problem.depots for p, _ in d.stock}
    return {
        "jobs_with_parts": len(with_parts),
        "jobs_with_parts_pct": round(100 * len(with_parts) / max(len(problem.jobs), 1), 1),
        "not_on_qualified_van_pct": round(100 * sum(lacking) / max(len(lacking), 1), 1),
        "depots": len(problem.depots),
        "parts_nowhere_in_stock": sorted(nowhere),
        "jobs_needing_a_part_nowhere": sum(1 for j in with_parts if any(p in nowhere for p, _ in j.parts)),
    }


def _line(r: Row) -> str:
    flag = "ok " if r.feasible else "BAD"
    ftf = "–" if r.ftf_pct is None else f"{r.ftf_pct:5.1f}%"
    return (
        f"{r.jobs:5d} jobs {r.engineers:4d} eng {r.variant:13} {flag} served={r.served:4d} "
        f"(part n/a {r.part_unavailable:2d}) SLA met={r.promises_met:3d}/{r.promises} "
        f"(fixed {r.promises_met_fixed:3d}) travel={r.travel_h:6.1f}h depot stops={r.depot_stops:3d} "
        f"detour={r.depot_detour_h:5.1f}h FTF={ftf} failed={r.failed_first_visits:3d} "
        f"(checker {r.checker_parts_missing:3d}) wall={r.wall_s:5.1f}s"
        f"{' ' + ','.join(r.rules) if r.rules else ''}"
    )


def markdown(rows: Sequence[Row], notes: Sequence[str] = ()) -> str:
    lines = [
        "| jobs | engineers | plan | served | unserved (part_unavailable) | fixed on the first visit "
        "| failed first visits | first-time fix | SLA promises met | … and fixed on that visit "
        "| travel (h) | depot stops | depot detour (h) | valid | wall (s) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        ftf = "–" if r.ftf_pct is None else f"{r.ftf_pct:.1f} %"
        lines.append(
            f"| {r.jobs} | {r.engineers} | {r.variant} | {r.served} | {r.unserved} ({r.part_unavailable}) "
            f"| {r.fixed_first_time} | {r.failed_first_visits} | {ftf} "
            f"| {r.promises_met} / {r.promises} | {r.promises_met_fixed} / {r.promises} "
            f"| {r.travel_h:.1f} | {r.depot_stops} | {r.depot_detour_h:.1f} "
            f"| {'yes' if r.feasible else 'NO'} | {r.wall_s:.1f} |"
        )
    lines += [f"\n- {n}" for n in notes]
    return "\n".join(lines)


def save(path: Path, rows: Sequence[Row], meta: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = {"benchmark": "fieldservice_parts", **meta, "rows": [asdict(r) for r in rows]}
    path.write_text(json.dumps(doc, indent=1))


NOTES = (
    "parts-blind: planned on the day without parts, van stock and depots (valid = checker on that "
    "day); failed first visits are counted on the real day",
    "first-time fix = jobs whose parts were on the van on arrival / jobs served, following each van's "
    "stock along its route (start stock + depot loads − uses); a failed visit uses nothing",
    "blind + stops: the parts-blind plan with a depot stop added before each visit lacking its "
    "parts where one fits, other such visits dropped (no solve; valid = checker on the full day)",
    "depot detour = route travel minus the travel of the same visit order without its depot stops "
    "(the 10 min at the counter come on top)",
)


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", nargs="+", type=int, default=[200, 500])
    ap.add_argument("--time-limit", type=float, default=30.0)
    ap.add_argument("--note", action="append", default=[], help="add a note to the results (e.g. load)")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--markdown", action="store_true")
    ap.add_argument("--from-json", type=Path, help="print an earlier run's table instead of solving")
    args = ap.parse_args(argv)
    if args.from_json:
        doc = json.loads(args.from_json.read_text())
        print(markdown([Row(**r) for r in doc["rows"]], doc["notes"]))
        return
    given = sys.argv[1:] if argv is None else argv
    command = shlex.join(["python", "-m", "benchmarks.fieldservice_parts", *given])
    rows: list[Row] = []
    facts: dict[int, dict[str, Any]] = {}
    notes = [*NOTES, *args.note]
    meta: dict[str, Any] = {}
    for n in args.sizes:
        problem = day(n)
        facts[n] = day_facts(problem)
        print(json.dumps({"jobs": n, **facts[n]}), flush=True)
        for row in compare(problem, args.time_limit):
            rows.append(row)
            print(_line(row), flush=True)
        meta = {
            "command": command,
            "time_limit": args.time_limit,
            "seed": SEED,
            "engineers": {k: engineers_for(k) for k in args.sizes},
            "days": facts,
            "machine": {
                "platform": platform.platform(),
                "python": platform.python_version(),
                "cpus": os.cpu_count(),
            },
            "notes": notes,
        }
        save(args.out, rows, meta)  # after every day, so a long run leaves what it measured
    if args.markdown:
        print(markdown(rows, notes))


if __name__ == "__main__":
    main()

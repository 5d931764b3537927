"""Field-service day benchmark: our solver and VROOM on generated territory-days of growing size.

    python -m benchmarks.fieldservice --sizes 200 500 1000 2000 [--time-limit 60] [--oversubscribed]

Days come from `solver.generate.field_service_day` (seed fixed). Crew sizes: about 6 jobs per
engineer for the normal day, which fits (33, 83, 167, 333 engineers), and 10 per engineer for
the over-subscribed one, which does not (20, 50, 100, 200: the 2,000-job / 200-engineer day).
Each solver runs alone in a fresh process, so its peak memory (``ru_maxrss`` of that process)
is its own. Both plans are validated by our checker against the same `Problem`, which also
measures what VROOM cannot model: SLA deadlines (reported as late jobs and minutes).
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import resource
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from benchmarks.peers import served_jobs, solve_vroom, to_solution, vroom_caveats
from solver import Problem, Solution, SolveParams, check, solve
from solver.generate import engineers_for, field_service_day

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "benchmarks" / "results" / "fieldservice.json"
SOLVERS = ("ours", "vroom")
SEED = 2024


@dataclass(frozen=True, slots=True)
class Run:
    """What a worker process hands back: the plan and its own measurements."""

    solution: Solution
    wall_s: float
    first_solution_s: float | None
    base_mb: float  # peak RSS when the worker got the problem (interpreter, libraries, input)
    peak_mb: float


@dataclass(frozen=True, slots=True)
class Row:
    jobs: int
    engineers: int
    solver: str
    status: str  # our solver's status; "no_solution" means no plan was found within the limit
    served: int
    unserved: int
    served_priority: int
    unserved_urgent: int  # SLA tier >= 2 jobs left out
    travel_h: float
    sla_late_jobs: int
    sla_late_min: float
    feasible: bool  # no hard violation (SLA lateness is soft)
    hard_violations: int
    rules: list[str]
    wall_s: float
    first_solution_s: float | None
    peak_mb: float
    base_mb: float


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _work(
    solver: str, problem: Problem, time_limit: float, vroom_timeout: float | None = None, workers: int = 1
) -> Run:
    """Runs in a fresh process: solve once, report wall time and this process's peak memory
    (with ``workers`` > 1, that of the first chain's process: each other chain has its own)."""
    base = _rss_mb()
    started = time.monotonic()
    if solver == "ours":
        solution = solve(problem, SolveParams(time_limit=time_limit, workers=workers))
        first = solution.search_log[0][0] if solution.search_log else None
    else:
        solution = to_solution(problem, solve_vroom(problem, timeout=vroom_timeout))
        first = None
    wall = time.monotonic() - started
    return Run(solution=solution, wall_s=wall, first_solution_s=first, base_mb=base, peak_mb=_rss_mb())


def run_isolated(
    solver: str, problem: Problem, time_limit: float, vroom_timeout: float | None = None, workers: int = 1
) -> Run:
    """`_work` in a fresh interpreter (spawn), so ``ru_maxrss`` is this solver's alone."""
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        return pool.submit(_work, solver, problem, time_limit, vroom_timeout, workers).result()


def evaluate(problem: Problem, solver: str, run: Run) -> Row:
    report = check(problem, run.solution)
    served = served_jobs(run.solution)
    jobs = problem.jobs
    hard = [v for v in report.violations if v.hard]
    return Row(
        jobs=len(jobs),
        engineers=len({s.engineer_id for s in problem.shifts}),
        solver=solver,
        status=str(run.solution.status),
        served=len(served),
        unserved=len(jobs) - len(served),
        served_priority=sum(j.priority for j in jobs if j.id in served),
        unserved_urgent=sum(1 for j in jobs if j.sla_tier >= 2 and j.id not in served),
        travel_h=round(report.travel_time / 3600, 2),
        sla_late_jobs=len(report.lateness),
        sla_late_min=round(sum(report.lateness.values()) / 60, 1),
        feasible=report.feasible,
        hard_violations=len(hard),
        rules=sorted({str(v.rule) for v in hard}),
        wall_s=round(run.wall_s, 2),
        first_solution_s=None if run.first_solution_s is None else round(run.first_solution_s, 2),
        peak_mb=round(run.peak_mb, 1),
        base_mb=round(run.base_mb, 1),
    )


def run(
    sizes: Sequence[int],
    solvers: Sequence[str],
    time_limit: float,
    oversubscribed: bool,
    vroom_timeout: float | None = None,
    workers: int = 1,
) -> list[Row]:
    rows = []
    for n in sizes:
        problem = field_service_day(n, engineers_for(n, oversubscribed), seed=SEED)
        for solver in solvers:
            run_ = run_isolated(solver, problem, time_limit, vroom_timeout, workers)
            rows.append(evaluate(problem, solver, run_))
            print(_line(rows[-1]), flush=True)
    return rows


def growth(rows: Sequence[Row]) -> dict[str, float | None]:
    """Exponent k of time ~ size^k (least squares on logs): VROOM's wall time, our time to a
    first solution (our wall time is the limit by design)."""
    out: dict[str, float | None] = {}
    for solver, attr in (("vroom", "wall_s"), ("ours", "first_solution_s")):
        pts = [(r.jobs, getattr(r, attr)) for r in rows if r.solver == solver and getattr(r, attr)]
        out[f"{solver}_{attr}"] = _slope(pts)
    return out


def _slope(points: Sequence[tuple[float, float]]) -> float | None:
    if len({x for x, _ in points}) < 2:
        return None
    xs = [math.log(x) for x, _ in points]
    ys = [math.log(y) for _, y in points]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    num = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    den = sum((x - mx) ** 2 for x in xs)
    return round(num / den, 2)


def _line(r: Row) -> str:
    flag = "ok " if r.feasible else "BAD"
    first = "" if r.first_solution_s is None else f" first={r.first_solution_s:.1f}s"
    return (
        f"{r.jobs:5d} jobs {r.engineers:4d} eng {r.solver:5} {flag} served={r.served:5d} "
        f"prio={r.served_priority:6d} "
        f"travel={r.travel_h:7.1f}h late={r.sla_late_jobs:3d}/{r.sla_late_min:7.1f}min "
        f"wall={r.wall_s:6.1f}s{first} peak={r.peak_mb:6.0f}MB{' ' + ','.join(r.rules) if r.rules else ''}"
    )


def markdown(rows: Sequence[Row], notes: Sequence[str] = ()) -> str:
    lines = [
        "| jobs | engineers | solver | served | served priority | urgent unserved | travel (h) "
        "| SLA late (jobs / min) | valid | wall (s) | first solution (s) | peak MB |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        first = "–" if r.first_solution_s is None else f"{r.first_solution_s:.1f}"
        lines.append(
            f"| {r.jobs} | {r.engineers} | {r.solver} | {r.served} | {r.served_priority} "
            f"| {r.unserved_urgent} | {r.travel_h:.1f} | {r.sla_late_jobs} / {r.sla_late_min:.0f} "
            f"| {'yes' if r.feasible else 'NO'} "
            f"| {r.wall_s:.1f} | {first} | {r.peak_mb:.0f} |"
        )
    lines += [f"\n- {n}" for n in notes]
    return "\n".join(lines)


def save(path: Path, variant: str, rows: Sequence[Row], meta: dict[str, Any]) -> None:
    """One file, one section per variant: a run replaces only its own variant."""
    path.parent.mkdir(parents=True, exist_ok=True)
    doc: dict[str, Any] = {"benchmark": "fieldservice", "variants": {}}
    if path.exists():
        doc = json.loads(path.read_text())
    doc["variants"][variant] = {**meta, "rows": [asdict(r) for r in rows]}
    path.write_text(json.dumps(doc, indent=1))


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", nargs="+", type=int, default=[200, 500, 1000, 2000])
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--oversubscribed", action="store_true", help="10 jobs per engineer instead of 6")
    ap.add_argument("--solvers", nargs="+", choices=SOLVERS, default=list(SOLVERS))
    ap.add_argument(
        "--vroom-timeout", type=float, help="cap VROOM's search (default: none; it took ~100 s at 500 jobs)"
    )
    ap.add_argument("--workers", type=int, default=1, help="our search chains (VROOM runs on one thread)")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--markdown", action="store_true")
    args = ap.parse_args(argv)
    rows = run(
        args.sizes, args.solvers, args.time_limit, args.oversubscribed, args.vroom_timeout, args.workers
    )
    notes = vroom_caveats(field_service_day(min(args.sizes), seed=SEED)) if "vroom" in args.solvers else []
    meta = {
        "time_limit": args.time_limit,
        "vroom_timeout": args.vroom_timeout,
        "workers": args.workers,
        "engineers": {n: engineers_for(n, args.oversubscribed) for n in args.sizes},
        "seed": SEED,
        "machine": {"platform": platform.platform(), "python": platform.python_version()},
        "growth_exponent": growth(rows),
        "notes": notes,
    }
    save(args.out, "oversubscribed" if args.oversubscribed else "normal", rows, meta)
    print(json.dumps(meta["growth_exponent"]))
    if args.markdown:
        print(markdown(rows, notes))


if __name__ == "__main__":
    main()

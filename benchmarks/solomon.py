"""Solomon VRPTW benchmark: our solver side by side with PyVRP and VROOM, in one run.

    python -m benchmarks.solomon --time-limits 10 30 [--instances C101 R101] [--solvers ours pyvrp vroom]
    python -m benchmarks.solomon --markdown --from-json benchmarks/results/solomon.json

Solvers run one at a time (fair timings on a small machine). Every plan, ours and the peers',
goes through our independent checker on a validation problem at scale 1e6, so feasibility is
judged with exact travel times to 1e-6 rather than with any solver's own rounding. Distances
are exact doubles. The gap reference is the best known exact-feasible distance
(`bks_distance_only.csv`, ``ref_exact_distance``); the hierarchical BKS (vehicles first) is
reported alongside. VROOM has no time limit: it runs once per instance and its row is
compared with every limit.
"""

from __future__ import annotations

import argparse
import csv
import json
import platform
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path
from typing import Any

from benchmarks.peers import PeerPlan, served_jobs, solve_pyvrp, solve_vroom, to_solution
from solver import Problem, Solution, check, solve
from solver.io.solomon import SolomonInstance, read_solomon, solomon_params

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_BENCH = ROOT.parent / "shared" / "bench"
DEFAULT_OUT = ROOT / "benchmarks" / "results" / "solomon.json"
SOLVERS = ("ours", "pyvrp", "vroom")
SCALE = 100
VALIDATION_SCALE = 1_000_000


@dataclass(frozen=True, slots=True)
class Reference:
    exact: float  # best known exact-feasible distance, any vehicle count
    hier_vehicles: int
    hier_distance: float


@dataclass(frozen=True, slots=True)
class Row:
    instance: str
    solver: str
    time_limit: float | None  # None: the solver ignores it (VROOM)
    vehicles: int
    distance: float
    gap_pct: float
    gap_hier_pct: float
    vehicles_over_hier: int
    feasible: bool
    unserved: int
    n_violations: int
    rules: list[str]
    wall_s: float


def instance_names(bench: Path) -> list[str]:
    return sorted(p.stem for p in (bench / "solomon").glob("*.txt"))


def references(bench: Path) -> dict[str, Reference]:
    with (bench / "solomon" / "bks.csv").open() as f:
        hier = {r["instance"]: (int(r["vehicles"]), float(r["distance"])) for r in csv.DictReader(f)}
    with (bench / "solomon" / "bks_distance_only.csv").open() as f:
        exact = {r["instance"]: float(r["ref_exact_distance"]) for r in csv.DictReader(f)}
    return {name: Reference(exact[name], *hier[name]) for name in exact}


# --------------------------------------------------------------------------- solvers


def run_ours(problem: Problem, limit: float) -> tuple[Solution, float]:
    started = time.monotonic()
    solution = solve(problem, solomon_params(limit))
    return solution, time.monotonic() - started


def run_pyvrp(inst: SolomonInstance, problem: Problem, limit: float) -> tuple[Solution, float]:
    plan = solve_pyvrp(problem, limit, coords=zip(inst.x, inst.y, strict=True))
    return to_solution(problem, plan), plan.wall_s


def run_vroom(problem: Problem) -> tuple[Solution, float]:
    """VROOM minimises the same rounded distances we do (its costs matrix), with the same
    rounded-up durations for time."""
    plan: PeerPlan = solve_vroom(problem, costs=problem.matrix.distances)
    return to_solution(problem, plan), plan.wall_s


# --------------------------------------------------------------------------- evaluation


def evaluate(
    name: str,
    solver: str,
    limit: float | None,
    inst: SolomonInstance,
    validation: Problem,
    ref: Reference,
    solution: Solution,
    wall: float,
) -> Row:
    """Check ``solution`` against the fine-scale problem and measure it with exact doubles."""
    report = check(validation, solution)
    served = served_jobs(solution)
    unserved = sum(1 for j in validation.jobs if j.id not in served)
    routes = [[int(j) for j in r.job_ids()] for r in solution.routes if r.job_ids()]
    distance = inst.exact_distance(routes)
    return Row(
        instance=name,
        solver=solver,
        time_limit=limit,
        vehicles=len(routes),
        distance=round(distance, 4),
        gap_pct=round(100 * (distance / ref.exact - 1), 3),
        gap_hier_pct=round(100 * (distance / ref.hier_distance - 1), 3),
        vehicles_over_hier=len(routes) - ref.hier_vehicles,
        feasible=report.feasible and unserved == 0,
        unserved=unserved,
        n_violations=len(report.violations),
        rules=sorted({str(r) for r in report.rules()}),
        wall_s=round(wall, 3),
    )


def run_instance(path: Path, ref: Reference, solvers: Sequence[str], limits: Sequence[float]) -> list[Row]:
    """All solvers on one instance file, one after the other (VROOM once: it ignores the limit)."""
    name = path.stem
    inst = read_solomon(path)
    problem = inst.to_problem(scale=SCALE)
    validation = inst.to_problem(scale=VALIDATION_SCALE)
    jobs: list[tuple[str, float | None, Callable[[], tuple[Solution, float]]]] = []
    for limit in limits:
        if "ours" in solvers:
            jobs.append(("ours", limit, partial(run_ours, problem, limit)))
        if "pyvrp" in solvers:
            jobs.append(("pyvrp", limit, partial(run_pyvrp, inst, problem, limit)))
    if "vroom" in solvers:
        jobs.append(("vroom", None, partial(run_vroom, problem)))
    rows = []
    for solver, job_limit, run_job in jobs:
        solution, wall = run_job()
        rows.append(evaluate(name, solver, job_limit, inst, validation, ref, solution, wall))
        print(_line(rows[-1]), flush=True)
    return rows


def run(bench: Path, names: Sequence[str], solvers: Sequence[str], limits: Sequence[float]) -> list[Row]:
    refs = references(bench)
    rows = []
    for name in names:
        rows += run_instance(bench / "solomon" / f"{name}.txt", refs[name], solvers, limits)
    return rows


# --------------------------------------------------------------------------- aggregates


def summarise(rows: Sequence[Row]) -> list[dict[str, Any]]:
    """Per solver and limit: feasible count and gaps over its feasible instances, and the
    ratio of our mean gap to the peer's over the instances both solved feasibly."""
    keys = sorted({(r.solver, r.time_limit) for r in rows}, key=lambda k: (k[0], k[1] or 0.0))
    out = []
    for solver, limit in keys:
        sel = [r for r in rows if r.solver == solver and r.time_limit == limit]
        ok = [r for r in sel if r.feasible]
        out.append(
            {
                "solver": solver,
                "time_limit": limit,
                "instances": len(sel),
                "feasible": len(ok),
                "mean_gap_pct": _mean([r.gap_pct for r in ok]),
                "max_gap_pct": round(max(r.gap_pct for r in ok), 3) if ok else None,
                "mean_gap_hier_pct": _mean([r.gap_hier_pct for r in ok]),
                "vehicles": sum(r.vehicles for r in ok),
                "mean_wall_s": _mean([r.wall_s for r in sel]),
                "ours_over_peer_gap": None if solver == "ours" else _ratio(rows, solver, limit),
            }
        )
    return out


def _ratio(rows: Sequence[Row], peer: str, limit: float | None) -> dict[str, float | None]:
    """Mean gap ours / mean gap peer, per limit of ours, on instances feasible for both."""
    ours_limits = sorted({r.time_limit for r in rows if r.solver == "ours" and r.time_limit is not None})
    out: dict[str, float | None] = {}
    for ol in ours_limits:
        if limit is not None and ol != limit:
            continue
        mine = _feasible_gaps(rows, "ours", ol)
        theirs = _feasible_gaps(rows, peer, limit)
        both = sorted(mine.keys() & theirs.keys())
        peer_mean = statistics.mean(theirs[i] for i in both) if both else 0.0
        key = f"ours_{ol:g}s"
        out[key] = round(statistics.mean(mine[i] for i in both) / peer_mean, 3) if peer_mean > 0 else None
    return out


def _feasible_gaps(rows: Sequence[Row], solver: str, limit: float | None) -> dict[str, float]:
    return {
        r.instance: r.gap_pct for r in rows if r.solver == solver and r.time_limit == limit and r.feasible
    }


def _mean(values: Sequence[float]) -> float | None:
    return round(statistics.mean(values), 3) if values else None


# --------------------------------------------------------------------------- output


def _line(r: Row) -> str:
    limit = "-" if r.time_limit is None else f"{r.time_limit:g}s"
    flag = "ok " if r.feasible else "BAD"
    extra = f" unserved={r.unserved} {','.join(r.rules)}" if not r.feasible else ""
    return (
        f"{r.instance:6} {r.solver:6} {limit:>5} {flag} veh={r.vehicles:3d} dist={r.distance:9.2f} "
        f"gap={r.gap_pct:6.2f}% hier={r.gap_hier_pct:6.2f}% wall={r.wall_s:6.2f}s{extra}"
    )


def _fmt(value: Any, suffix: str = "") -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.2f}{suffix}"
    return f"{value}{suffix}"


def _limit(limit: float | None) -> str:
    return "none" if limit is None else f"{limit:g} s"


def markdown(rows: Sequence[Row], summary: Sequence[dict[str, Any]]) -> str:
    """Two Markdown tables for BENCHMARKS.md: aggregates, then every instance."""
    lines = [
        "| solver | limit | feasible | mean gap | max gap | mean gap to hier. BKS | vehicles | mean wall "
        "| ours/peer gap |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for s in summary:
        ratio = s["ours_over_peer_gap"]
        ratio_txt = ", ".join(f"{k}: {_fmt(v)}" for k, v in ratio.items()) if ratio else "–"
        lines.append(
            f"| {s['solver']} | {_limit(s['time_limit'])} "
            f"| {s['feasible']}/{s['instances']} | {_fmt(s['mean_gap_pct'], ' %')} "
            f"| {_fmt(s['max_gap_pct'], ' %')} | {_fmt(s['mean_gap_hier_pct'], ' %')} | {s['vehicles']} "
            f"| {_fmt(s['mean_wall_s'], ' s')} | {ratio_txt} |"
        )
    lines += [
        "",
        "| instance | solver | limit | vehicles | distance | gap | gap to hier. BKS | feasible | unserved "
        "| wall |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r.instance} | {r.solver} | {_limit(r.time_limit)} | {r.vehicles} "
            f"| {r.distance:.2f} | {r.gap_pct:.2f} % | {r.gap_hier_pct:.2f} % "
            f"| {'yes' if r.feasible else 'NO'} | {r.unserved} | {r.wall_s:.2f} s |"
        )
    return "\n".join(lines)


def save(path: Path, rows: Sequence[Row], summary: Sequence[dict[str, Any]], limits: Sequence[float]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = {
        "benchmark": "solomon",
        "time_limits": list(limits),
        "machine": {"platform": platform.platform(), "python": platform.python_version()},
        "scale": SCALE,
        "validation_scale": VALIDATION_SCALE,
        "summary": list(summary),
        "rows": [asdict(r) for r in rows],
    }
    path.write_text(json.dumps(doc, indent=1))


def load(path: Path) -> tuple[list[Row], list[dict[str, Any]]]:
    doc = json.loads(path.read_text())
    return [Row(**r) for r in doc["rows"]], doc["summary"]


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--time-limits", nargs="+", type=float, default=[10.0, 30.0])
    ap.add_argument("--instances", nargs="+", help="default: all instances in the bench dir")
    ap.add_argument("--solvers", nargs="+", choices=SOLVERS, default=list(SOLVERS))
    ap.add_argument("--bench-dir", type=Path, default=DEFAULT_BENCH)
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--markdown", action="store_true", help="print Markdown tables at the end")
    ap.add_argument("--from-json", type=Path, help="render an earlier run instead of solving")
    args = ap.parse_args(argv)
    if args.from_json:
        rows, summary = load(args.from_json)
    else:
        names = args.instances or instance_names(args.bench_dir)
        rows = run(args.bench_dir, names, args.solvers, args.time_limits)
        summary = summarise(rows)
        save(args.out, rows, summary, args.time_limits)
        for s in summary:
            print(json.dumps(s))
    if args.markdown:
        print(markdown(rows, summary))


if __name__ == "__main__":
    main()

"""Choose search parameters by measurement: first-solution strategy × metaheuristic.

    python -m benchmarks.tune_search --time-limit 10 --instances C101 R101 ...

Each configuration solves each instance once (sequentially, one core), every plan is validated
by the independent checker, and the gap is measured against the best known exact-feasible
distance (`bks_distance_only.csv`, column `ref_exact_distance`). Results go to
`benchmarks/results/tune_search.json`.
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import time
from pathlib import Path

from solver import ArcCost, FirstSolution, Metaheuristic, SolveParams, check, solve
from solver.io.solomon import read_solomon

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_BENCH = ROOT.parent / "shared" / "bench" / "solomon"
SAMPLE = ["C101", "C201", "R101", "R112", "R201", "R211", "RC105", "RC208"]


def reference(bench: Path) -> dict[str, float]:
    with (bench / "bks_distance_only.csv").open() as f:
        return {row["instance"]: float(row["ref_exact_distance"]) for row in csv.DictReader(f)}


def run(bench: Path, instances: list[str], configs: list[tuple[str, str, float]], limit: float) -> list[dict]:
    ref = reference(bench)
    rows = []
    for fs, mh, lam in configs:
        for name in instances:
            inst = read_solomon(bench / f"{name}.txt")
            problem = inst.to_problem()
            params = SolveParams(
                time_limit=limit,
                arc_cost=ArcCost.DISTANCE,
                first_solution=FirstSolution(fs),
                metaheuristic=Metaheuristic(mh),
                guided_local_search_lambda=lam,
            )
            started = time.monotonic()
            sol = solve(problem, params)
            wall = time.monotonic() - started
            report = check(problem, sol)
            dist = inst.exact_distance([[int(j) for j in r.job_ids()] for r in sol.routes])
            rows.append(
                {
                    "first_solution": fs,
                    "metaheuristic": mh,
                    "lambda": lam,
                    "instance": name,
                    "feasible": report.feasible and not sol.unassigned,
                    "unserved": len(sol.unassigned),
                    "vehicles": len(sol.routes),
                    "distance": round(dist, 3),
                    "gap_pct": round(100 * (dist / ref[name] - 1), 3),
                    "wall_s": round(wall, 2),
                    "first_solution_s": round(sol.search_log[0][0], 3) if sol.search_log else None,
                }
            )
            print(json.dumps(rows[-1]), flush=True)
    return rows


def summarise(rows: list[dict]) -> list[dict]:
    out = []
    keys = sorted({(r["first_solution"], r["metaheuristic"], r["lambda"]) for r in rows})
    for key in keys:
        sel = [r for r in rows if (r["first_solution"], r["metaheuristic"], r["lambda"]) == key]
        out.append(
            {
                "first_solution": key[0],
                "metaheuristic": key[1],
                "lambda": key[2],
                "feasible": sum(r["feasible"] for r in sel),
                "instances": len(sel),
                "mean_gap_pct": round(statistics.mean(r["gap_pct"] for r in sel), 3),
                "max_gap_pct": round(max(r["gap_pct"] for r in sel), 3),
            }
        )
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--bench-dir", type=Path, default=DEFAULT_BENCH)
    ap.add_argument("--time-limit", type=float, default=10.0)
    ap.add_argument("--instances", nargs="+", default=SAMPLE)
    ap.add_argument("--first-solutions", nargs="+", default=["PARALLEL_CHEAPEST_INSERTION"])
    ap.add_argument("--metaheuristics", nargs="+", default=["GUIDED_LOCAL_SEARCH"])
    ap.add_argument("--lambdas", nargs="+", type=float, default=[0.1])
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "tune_search.json")
    args = ap.parse_args()
    configs = [
        (fs, mh, lam) for fs in args.first_solutions for mh in args.metaheuristics for lam in args.lambdas
    ]
    rows = run(args.bench_dir, args.instances, configs, args.time_limit)
    summary = summarise(rows)
    for s in summary:
        print(json.dumps(s))
    previous = json.loads(args.out.read_text()) if args.out.exists() else {"runs": []}
    previous["runs"].append(
        {"time_limit": args.time_limit, "machine": "2 cores", "rows": rows, "summary": summary}
    )
    args.out.write_text(json.dumps(previous, indent=1))


if __name__ == "__main__":
    main()

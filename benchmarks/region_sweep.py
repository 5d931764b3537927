"""Region size for large days: plan one generated day with several `region_jobs` values.

    python -m benchmarks.region_sweep --jobs 2000 --engineers 200 --time-limit 55 --sizes 500 200 120 70

Every plan is validated by the independent checker. Results: benchmarks/results/region_sweep.json.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path

from solver import FirstSolution, SolveParams, check, solve
from solver.generate import field_service_day

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--jobs", type=int, default=2000)
    ap.add_argument("--engineers", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--time-limit", type=float, default=55.0)
    ap.add_argument("--sizes", type=int, nargs="+", default=[500, 200, 120, 70])
    ap.add_argument("--first-solution", default="PARALLEL_CHEAPEST_INSERTION")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "region_sweep.json")
    args = ap.parse_args()
    problem = field_service_day(args.jobs, args.engineers, seed=args.seed)
    rows = []
    for size in args.sizes:
        params = SolveParams(
            time_limit=args.time_limit, region_jobs=size, first_solution=FirstSolution(args.first_solution)
        )
        started = time.monotonic()
        sol = solve(problem, params)
        wall = time.monotonic() - started
        report = check(problem, sol)
        rows.append(
            {
                "region_jobs": size,
                "served": sol.summary.assigned,
                "served_priority": sol.summary.served_priority,
                "travel_h": round(sol.summary.travel_time / 3600, 1),
                "late_jobs": sol.summary.late_jobs,
                "wall_s": round(wall, 1),
                "feasible": report.feasible,
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            }
        )
        print(json.dumps(rows[-1]), flush=True)
    args.out.write_text(
        json.dumps(
            {
                "jobs": args.jobs,
                "engineers": args.engineers,
                "seed": args.seed,
                "time_limit": args.time_limit,
                "rows": rows,
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()

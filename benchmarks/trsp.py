"""Technician routing and scheduling (Pillac, Guéret & Medaglia 2013): 56 instances, 25
technicians with skills, tools and spare parts, 100 requests, replenishment at a central depot.

    python -m benchmarks.trsp --time-limits 30 60 [--instances C101 R201]
    python -m benchmarks.trsp --markdown --from-json benchmarks/results/trsp.json

Each instance is turned into a solver `Problem` by `solver.io.trsp.to_problem` (tools are
parts that are not used up; the depot lends every tool and holds every part), solved once per
time limit, validated by the independent checker on the same instance at scale 1e6 (exact
travel to 1e-6), and measured as the published objective: total working time, home to home,
waiting included, with exact distances (`solver.io.trsp.working_time`). Gaps are to the best
values Pillac et al. reported (`bks_working_time.csv`); a plan that leaves a request unserved
is reported but not averaged (every published solution serves all 100). Results are written
after every instance, so a long run can be read while it goes.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from solver import StepType, check, solve
from solver.io.trsp import read_trsp, to_problem, trsp_params, working_time

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_BENCH = ROOT.parent / "shared" / "bench" / "trsp" / "pillac2013"
DEFAULT_OUT = ROOT / "benchmarks" / "results" / "trsp.json"
SUFFIX = ".100_25-5-5-5"
VALIDATION_SCALE = 1_000_000


@dataclass(frozen=True, slots=True)
class Row:
    instance: str
    time_limit: float
    working_time: float
    bks: float
    gap_pct: float
    unserved: int
    feasible: bool  # checker-valid and every request served
    rules: list[str]
    routes: int
    depot_stops: int
    wall_s: float


def instance_names(bench: Path) -> list[str]:
    return sorted(p.name.removesuffix(SUFFIX + ".txt") for p in (bench / "txt").glob(f"*{SUFFIX}.txt"))


def best_known(bench: Path) -> dict[str, float]:
    with (bench / "bks_working_time.csv").open() as f:
        return {r["instance"].removesuffix(SUFFIX): float(r["total_working_time"]) for r in csv.DictReader(f)}


def run_instance(bench: Path, name: str, bks: float, limits: Sequence[float]) -> list[Row]:
    inst = read_trsp(bench / "txt" / f"{name}{SUFFIX}.txt")
    problem = to_problem(inst)
    validation = to_problem(inst, scale=VALIDATION_SCALE)
    rows = []
    for limit in limits:
        started = time.monotonic()
        solution = solve(problem, trsp_params(limit))
        wall = time.monotonic() - started
        report = check(validation, solution)
        wt = working_time(inst, solution)
        unserved = len(solution.unassigned)
        rows.append(
            Row(
                instance=name,
                time_limit=limit,
                working_time=round(wt, 3),
                bks=bks,
                gap_pct=round(100 * (wt / bks - 1), 3),
                unserved=unserved,
                feasible=report.feasible and unserved == 0,
                rules=sorted({str(r) for r in report.rules()}),
                routes=sum(1 for r in solution.routes if r.job_ids()),
                depot_stops=sum(1 for r in solution.routes for s in r.steps if s.type is StepType.DEPOT),
                wall_s=round(wall, 2),
            )
        )
        print(_line(rows[-1]), flush=True)
    return rows


def summarise(rows: Sequence[Row]) -> list[dict[str, Any]]:
    """Per time limit, and per Solomon group within it: instances with every request served,
    their mean and max gap, and the unserved requests of the rest."""
    out = []
    for limit in sorted({r.time_limit for r in rows}):
        sel = [r for r in rows if r.time_limit == limit]
        groups = sorted({_group(r.instance) for r in sel})
        for group in [None, *groups]:
            part = [r for r in sel if group is None or _group(r.instance) == group]
            ok = [r for r in part if r.feasible]
            out.append(
                {
                    "time_limit": limit,
                    "group": group or "all",
                    "instances": len(part),
                    "all_served": len(ok),
                    "mean_gap_pct": round(statistics.mean(r.gap_pct for r in ok), 2) if ok else None,
                    "max_gap_pct": round(max(r.gap_pct for r in ok), 2) if ok else None,
                    "unserved_requests": sum(r.unserved for r in part),
                    "invalid_plans": sum(1 for r in part if r.rules),
                    "depot_stops": sum(r.depot_stops for r in part),
                }
            )
    return out


def _group(name: str) -> str:
    """C101 → C1, RC204 → RC2."""
    return name.rstrip("0123456789") + name[len(name.rstrip("0123456789"))]


def _line(r: Row) -> str:
    flag = "ok " if r.feasible else "BAD"
    extra = f" unserved={r.unserved} {','.join(r.rules)}" if not r.feasible else ""
    return (
        f"{r.instance:6} {r.time_limit:>4g}s {flag} wt={r.working_time:9.1f} bks={r.bks:9.1f} "
        f"gap={r.gap_pct:6.2f}% routes={r.routes:2d} depot_stops={r.depot_stops:2d} "
        f"wall={r.wall_s:5.1f}s{extra}"
    )


def markdown(rows: Sequence[Row], summary: Sequence[dict[str, Any]]) -> str:
    lines = [
        "| limit | group | all served | mean gap | max gap | unserved requests | invalid plans "
        "| depot stops |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for s in summary:
        mean = "–" if s["mean_gap_pct"] is None else f"{s['mean_gap_pct']:.2f} %"
        mx = "–" if s["max_gap_pct"] is None else f"{s['max_gap_pct']:.2f} %"
        lines.append(
            f"| {s['time_limit']:g} s | {s['group']} | {s['all_served']}/{s['instances']} | {mean} | {mx} "
            f"| {s['unserved_requests']} | {s['invalid_plans']} | {s['depot_stops']} |"
        )
    lines += [
        "",
        "| instance | limit | working time | best published | gap | unserved | routes | depot stops |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r.instance} | {r.time_limit:g} s | {r.working_time:.1f} | {r.bks:.1f} | {r.gap_pct:.2f} % "
            f"| {r.unserved} | {r.routes} | {r.depot_stops} |"
        )
    return "\n".join(lines)


def save(path: Path, rows: Sequence[Row], limits: Sequence[float], command: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = {
        "benchmark": "trsp-pillac2013",
        "command": command,
        "time_limits": list(limits),
        "machine": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
        },
        "validation_scale": VALIDATION_SCALE,
        "summary": summarise(rows),
        "rows": [asdict(r) for r in rows],
    }
    path.write_text(json.dumps(doc, indent=1))


def load(path: Path) -> list[Row]:
    return [Row(**r) for r in json.loads(path.read_text())["rows"]]


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--time-limits", nargs="+", type=float, default=[30.0, 60.0])
    ap.add_argument("--instances", nargs="+", help="default: all 56")
    ap.add_argument("--bench-dir", type=Path, default=DEFAULT_BENCH)
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--markdown", action="store_true", help="print Markdown tables at the end")
    ap.add_argument("--from-json", type=Path, help="render an earlier run instead of solving")
    args = ap.parse_args(argv)
    if args.from_json:
        rows = load(args.from_json)
    else:
        bks = best_known(args.bench_dir)
        rows = []
        command = "python -m benchmarks.trsp " + " ".join(argv if argv is not None else sys.argv[1:])
        for name in args.instances or instance_names(args.bench_dir):
            rows += run_instance(args.bench_dir, name, bks[name], args.time_limits)
            save(args.out, rows, args.time_limits, command)
        for s in summarise(rows):
            print(json.dumps(s))
    if args.markdown:
        print(markdown(rows, summarise(rows)))


if __name__ == "__main__":
    main()

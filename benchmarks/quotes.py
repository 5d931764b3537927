"""Booking-quote latency and throughput through the real stack (uvicorn on 127.0.0.1).

    python -m benchmarks.quotes [--database-url URL] [--clients 1 8 32] [--requests 300]

Builds a scaled demo region (200 engineers over three territories, about 6 jobs per
engineer-day) for the three days from tomorrow, plans each territory's three-day horizon,
checks every plan with the independent checker (through the planning service) and publishes
it, then starts `dispatch serve` and fires quote requests from 1, 8 and 32 concurrent
clients, as a call-centre agent. Reports p50/p95/p99 latency, throughput and errors per
level of concurrency, and writes them as JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import select

from dispatch import demo_region
from dispatch import models as m
from dispatch.db import transaction
from dispatch.demo import load_demo
from dispatch.planning import create_run, publish, run_plan
from dispatch.users import create_user

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "benchmarks" / "results" / "quotes.json"
ENGINEERS = {"GZ": 80, "SZ": 70, "FD": 50}
DAYS = 3
JOBS_PER_ENGINEER_DAY = 6


def build(url: str, day: date, time_limit: float, workers: int) -> dict[str, Any]:
    """Scaled region in the database at ``url``, each territory planned and published."""
    jobs = {t: n * DAYS * JOBS_PER_ENGINEER_DAY for t, n in ENGINEERS.items()}
    with tempfile.TemporaryDirectory() as tmp:
        demo_region.write(
            demo_region.generate(seed=11, day=day, engineers=ENGINEERS, jobs=jobs, days=DAYS), Path(tmp)
        )
        factory = load_demo(url, Path(tmp))
    with transaction(factory) as s:
        runs = [
            create_run(s, t, day, requested_by="bench", days=DAYS).id
            for t in s.scalars(select(m.Territory).order_by(m.Territory.code))
        ]
    started = time.monotonic()
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        statuses = list(pool.map(run_plan, [url] * len(runs), runs, [time_limit] * len(runs)))
    if any(st != "succeeded" for st in statuses):
        raise RuntimeError(f"planning failed: {statuses}")
    plan_seconds = time.monotonic() - started
    visits = 0
    with transaction(factory) as s:
        for run_id in runs:
            run = s.get_one(m.PlanRun, run_id)
            assert run.plan_id is not None
            plan = publish(s, run.plan_id, actor="bench")
            visits += sum(1 for r in plan.routes for v in r.visits if v.job_id)
        token = create_user(s, "bench-agent", "agent")[1]
        sites = [
            (site.code, asset.serial, asset.category)
            for site, asset in s.execute(select(m.Site, m.Asset).join(m.Asset, m.Asset.site_id == m.Site.id))
        ]
    return {
        "token": token,
        "sites": sites,
        "jobs": sum(jobs.values()),
        "visits_planned": visits,
        "plan_seconds": round(plan_seconds, 1),
    }


def quote_body(site: str, serial: str, skill: str, day: date) -> dict[str, Any]:
    return {
        "site": site,
        "asset": serial,
        "description": "benchmark call",
        "skills": {skill: 1},
        "duration_minutes": 60,
        "preferred_days": [(day + timedelta(days=k)).isoformat() for k in range(DAYS)],
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _load(base: str, token: str, bodies: list[dict[str, Any]], clients: int) -> dict[str, Any]:
    latencies: list[float] = []
    codes: dict[int, int] = {}
    queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    for b in bodies:
        queue.put_nowait(b)
    headers = {"Authorization": f"Bearer {token}"}
    slots_offered: list[int] = []

    async def client() -> None:
        async with httpx.AsyncClient(base_url=base, headers=headers, timeout=60) as http:
            while not queue.empty():
                body = queue.get_nowait()
                t0 = time.perf_counter()
                r = await http.post("/api/v1/bookings/quote", json=body)
                latencies.append(time.perf_counter() - t0)
                codes[r.status_code] = codes.get(r.status_code, 0) + 1
                if r.status_code == 200 or r.status_code == 201:
                    slots_offered.append(len(r.json().get("slots", [])))

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    wall = time.perf_counter() - started
    q = statistics.quantiles([x * 1000 for x in latencies], n=100, method="inclusive")
    return {
        "clients": clients,
        "requests": len(latencies),
        "p50_ms": round(q[49], 1),
        "p95_ms": round(q[94], 1),
        "p99_ms": round(q[98], 1),
        "max_ms": round(max(latencies) * 1000, 1),
        "throughput_rps": round(len(latencies) / wall, 1),
        "status_codes": {str(k): v for k, v in sorted(codes.items())},
        "errors": sum(v for k, v in codes.items() if k >= 400),
        "mean_slots_offered": round(statistics.fmean(slots_offered), 1) if slots_offered else 0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default=None, help="Default: a fresh SQLite file.")
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--requests", type=int, default=300, help="Quotes per concurrency level.")
    parser.add_argument(
        "--server-workers",
        type=int,
        default=1,
        help="uvicorn processes (quotes run on its pool of DISPATCH_QUOTE_WORKERS).",
    )
    parser.add_argument("--plan-time-limit", type=float, default=20.0)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="quotes-bench-"))
    url = args.database_url or f"sqlite:///{tmp / 'bench.sqlite3'}"
    tomorrow = datetime.now(ZoneInfo("Asia/Shanghai")).date() + timedelta(days=1)
    print(
        f"building {sum(ENGINEERS.values())} engineers x {DAYS} days from {tomorrow} in {url.split('@')[-1]}"
    )
    setup = build(url, tomorrow, args.plan_time_limit, workers=2)
    print(f"planned {setup['visits_planned']} of {setup['jobs']} jobs in {setup['plan_seconds']} s")
    port = _free_port()
    env = {**os.environ, "DISPATCH_DATABASE_URL": url}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dispatch.cli",
            "serve",
            "--port",
            str(port),
            "--workers",
            str(args.server_workers),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    rng = random.Random(5)
    try:
        for _ in range(300):
            try:
                httpx.get(f"{base}/openapi.json", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        levels = []
        warm = [quote_body(*rng.choice(setup["sites"]), tomorrow) for _ in range(20)]
        asyncio.run(_load(base, setup["token"], warm, 2))
        for clients in args.clients:
            bodies = [quote_body(*rng.choice(setup["sites"]), tomorrow) for _ in range(args.requests)]
            level = asyncio.run(_load(base, setup["token"], bodies, clients))
            print(json.dumps(level))
            levels.append(level)
    finally:
        server.terminate()
        server.wait(timeout=20)
    result = {
        "machine": {
            "cores": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
        },
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "database": url.split("://")[0],
        "engineers": sum(ENGINEERS.values()),
        "days": DAYS,
        "server_workers": args.server_workers,
        "quote_workers": int(os.environ.get("DISPATCH_QUOTE_WORKERS", "2")),
        **{k: v for k, v in setup.items() if k not in ("token", "sites")},
        "levels": levels,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()

"""The main job: a fresh database, the migrations, the demo region, and a plan for every
territory on the demo day, planned in parallel, with a progress bar and a summary."""

from __future__ import annotations

import json
import multiprocessing
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from dispatch import models as m
from dispatch.db import make_engine, session_factory, transaction
from dispatch.importer import import_directory
from dispatch.migrate import current_revision, downgrade, upgrade
from dispatch.plan_export import plan_document
from dispatch.planning import create_run, run_plan
from dispatch.run_watch import HEARTBEAT_SECONDS, beat, worker_id

DEMO_DATA = Path(__file__).resolve().parents[1] / "data" / "demo"


@dataclass(frozen=True, slots=True)
class TerritoryResult:
    code: str
    name: str
    run_id: str
    status: str
    message: str
    plan_id: int | None
    kpis: dict[str, object]
    export: Path | None


def reset_database(url: str) -> None:
    """Fresh schema on SQLite or PostgreSQL alike: undo every migration, then apply them all."""
    if current_revision(url) is not None:
        downgrade(url, "base")
    upgrade(url)


def demo_day(factory: sessionmaker[Session]) -> date:
    with factory() as s:
        day: date | None = s.scalar(select(func.min(m.Shift.day)))
    if day is None:
        raise RuntimeError("the demo data holds no shifts")
    return day


def plan_territories(
    url: str,
    factory: sessionmaker[Session],
    day: date,
    time_limit: float,
    workers: int,
    on_progress: Callable[[list[str]], None] | None = None,
) -> list[str]:
    """Queue one run per territory and execute them on a local process pool; returns run ids."""
    with transaction(factory) as s:
        runs = [
            create_run(s, t, day, requested_by="demo").id
            for t in s.scalars(select(m.Territory).order_by(m.Territory.code))
        ]
    # spawn, not fork: OR-Tools and open database connections must not be shared with children.
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        futures: list[Future[str]] = [pool.submit(run_plan, url, run_id, time_limit) for run_id in runs]
        last_beat = time.monotonic()
        while not all(f.done() for f in futures):
            if on_progress is not None:
                on_progress(runs)
            if time.monotonic() - last_beat >= HEARTBEAT_SECONDS:  # runs waiting for a worker are ours
                with transaction(factory) as s:
                    beat(s, runs, worker_id(), m.RunStatus.QUEUED)
                last_beat = time.monotonic()
            time.sleep(0.5)
        for f in futures:
            f.result()
    if on_progress is not None:
        on_progress(runs)
    return runs


def results(factory: sessionmaker[Session], runs: list[str], out_dir: Path) -> list[TerritoryResult]:
    out: list[TerritoryResult] = []
    with factory() as s:
        for run_id in runs:
            run = s.get_one(m.PlanRun, run_id)
            territory = s.get_one(m.Territory, run.territory_id)
            kpis: dict[str, object] = {}
            export = None
            if run.plan_id is not None:
                doc = plan_document(s, run.plan_id)
                kpis = doc["kpis"]
                out_dir.mkdir(parents=True, exist_ok=True)
                export = out_dir / f"plan-{territory.code}-{run.day.isoformat()}.json"
                export.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
            out.append(
                TerritoryResult(
                    territory.code,
                    territory.name,
                    run.id,
                    run.status.value,
                    run.message,
                    run.plan_id,
                    kpis,
                    export,
                )
            )
    return out


def load_demo(url: str, data: Path = DEMO_DATA) -> sessionmaker[Session]:
    reset_database(url)
    factory = session_factory(make_engine(url))
    with transaction(factory) as s:
        import_directory(s, data, actor="demo")
    return factory

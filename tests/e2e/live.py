"""The live app for browser tests and the docs' screenshots: the demo region on a SQLite
file, one territory-day planned and published, a user per role, and the real app under
uvicorn on 127.0.0.1 in a background thread (the same app `dispatch serve` runs).

The app's clock is pinned to the morning of the demo day (`DEMO_MORNING`): an engineer steps
and reports only the jobs on today's route, and the demo day is today for these pages."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import httpx
import uvicorn
from playwright.sync_api import Browser, Playwright, ViewportSize
from sqlalchemy import select

from api.app import create_app
from dispatch import models as m
from dispatch.db import make_engine, session_factory, transaction
from dispatch.demo import DEMO_DATA
from dispatch.importer import import_directory
from dispatch.migrate import upgrade
from dispatch.planning import create_run, publish, run_plan, territory_by_code
from dispatch.settings import Settings
from dispatch.users import create_user

CHROMIUM = Path("/usr/bin/chromium")  # Debian's package; Playwright never downloads a browser
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DAY = date(2026, 11, 24)  # the demo day
DEMO_MORNING = datetime(2026, 11, 24, 7, 0, tzinfo=timezone(timedelta(hours=8)))  # before any shift
TERRITORY = "GZ"
PLAN_SECONDS = 3.0  # a valid plan of the territory; the tests check pages, not plan quality
DESKTOP: ViewportSize = {"width": 1366, "height": 850}
PHONE: ViewportSize = {"width": 360, "height": 740}


@dataclass(frozen=True)
class LiveApp:
    base_url: str  # http://127.0.0.1:PORT, no trailing slash
    database_url: str
    tokens: dict[str, str]  # "dispatcher", "agent", "engineer" (and "admin") → bearer token
    engineer_code: str  # the "engineer" user's engineer: has visits in the published plan
    territory: str = TERRITORY
    day: date = DAY

    def headers(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}


def launch_chromium(p: Playwright) -> Browser:
    return p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _plan_and_publish(database_url: str, plan_seconds: float) -> str:
    """Load the demo region, plan one territory-day, publish it; returns the engineer the
    engineer user will be: the one with most visits among those who have a visit needing parts
    (so the report's parts-used field is exercised), else the one with most visits."""
    engine = make_engine(database_url)
    sessions = session_factory(engine)
    try:
        with transaction(sessions) as s:
            import_directory(s, DEMO_DATA, actor="demo")
            run_id = create_run(s, territory_by_code(s, TERRITORY), DAY, requested_by="e2e").id
        assert run_plan(database_url, run_id, time_limit=plan_seconds) == "succeeded"
        with transaction(sessions) as s:
            plan_id = s.get_one(m.PlanRun, run_id).plan_id
            assert plan_id is not None
            publish(s, plan_id, actor="dispatcher:e2e")
        with sessions() as s:
            rows = s.execute(
                select(m.Engineer.code, m.Job.id)
                .join(m.Route, m.Route.engineer_id == m.Engineer.id)
                .join(m.Visit, m.Visit.route_id == m.Route.id)
                .join(m.Job, m.Job.id == m.Visit.job_id)
                .where(m.Route.plan_id == plan_id)
            ).all()
            with_parts = set(s.scalars(select(m.JobPart.job_id)))
    finally:
        engine.dispose()
    visits: dict[str, int] = {}
    parts: set[str] = set()
    for code, job_id in rows:
        visits[code] = visits.get(code, 0) + 1
        if job_id in with_parts:
            parts.add(code)
    assert visits, "the plan visits no job"
    pool = parts or set(visits)
    return max(sorted(pool), key=lambda c: visits[c])


@contextmanager
def running_app(
    directory: Path, *, migrated: Path | None = None, plan_seconds: float = PLAN_SECONDS
) -> Iterator[LiveApp]:
    """The app serving a fresh database in ``directory`` (a copy of ``migrated``, an already
    migrated SQLite file, when given: faster than running the migrations again)."""
    path = directory / "dispatch.sqlite3"
    database_url = f"sqlite:///{path}"
    if migrated is not None:
        shutil.copyfile(migrated, path)
    else:
        upgrade(database_url)
    engineer_code = _plan_and_publish(database_url, plan_seconds)
    engine = make_engine(database_url)
    tokens: dict[str, str] = {}
    with transaction(session_factory(engine)) as s:
        for role in ("admin", "dispatcher", "agent"):
            tokens[role] = create_user(s, f"e2e-{role}", role)[1]
        tokens["engineer"] = create_user(s, "e2e-engineer", "engineer", engineer_code)[1]
    engine.dispose()

    settings = Settings(
        database_url=database_url, plan_time_limit=plan_seconds, plan_workers=1, quote_workers=0
    )
    port = _free_port()
    app = create_app(settings)
    app.state.clock = lambda: DEMO_MORNING  # what api.deps.get_now reads
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="e2e-uvicorn", daemon=True)
    thread.start()
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    try:
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the app did not start under uvicorn")
            time.sleep(0.05)
        httpx.get(f"{base_url}/openapi.json", timeout=10).raise_for_status()
        yield LiveApp(base_url, database_url, tokens, engineer_code)
    finally:
        server.should_exit = True
        thread.join(timeout=30)

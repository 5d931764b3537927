"""Publishing makes a plan the plan of record; exports round-trip through the importer."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from dispatch import models as m
from dispatch.db import make_engine, session_factory
from dispatch.errors import ConflictError
from dispatch.exporter import export_directory
from dispatch.importer import import_directory
from dispatch.migrate import upgrade
from dispatch.planning import create_run, publish, run_plan, territory_by_code

DAY = date(2026, 11, 24)


def _plan(sessions: sessionmaker[Session], url: str, seconds: float = 1) -> int:
    with sessions.begin() as s:
        run_id = create_run(s, territory_by_code(s, "FD"), DAY).id
    assert run_plan(url, run_id, seconds) == "succeeded"
    with sessions() as s:
        plan_id = s.get_one(m.PlanRun, run_id).plan_id
    assert plan_id is not None
    return plan_id


def test_publishing_schedules_planned_jobs_and_supersedes_the_old_plan(
    demo: sessionmaker[Session], database_url: str
) -> None:
    first = _plan(demo, database_url)
    with demo.begin() as s:
        publish(s, first, actor="dispatcher:wu")
    with demo() as s:
        plan = s.get_one(m.Plan, first)
        planned = {v.job_id: r.engineer_id for r in plan.routes for v in r.visits if v.job_id}
        jobs = {j.id: j for j in s.scalars(select(m.Job).where(m.Job.id.in_(planned)))}
        assert plan.status is m.PlanStatus.PUBLISHED and plan.published_at is not None
        assert all(
            j.status is m.JobStatus.SCHEDULED and j.engineer_id == planned[j.id] for j in jobs.values()
        )
        assert all(j.events[-1].actor == "dispatcher:wu" for j in jobs.values())
    with pytest.raises(ConflictError, match="only a draft"), demo.begin() as s:
        publish(s, first, actor="dispatcher:wu")
    # Three engineers call in sick; re-plan and publish: the old plan is superseded and the
    # jobs the smaller crew cannot take go back to new.
    with demo.begin() as s:
        for engineer_id in sorted(set(planned.values()))[:3]:
            s.get_one(m.Engineer, engineer_id).active = False
    second = _plan(demo, database_url)
    with demo.begin() as s:
        publish(s, second, actor="dispatcher:wu")
    with demo() as s:
        assert s.get_one(m.Plan, first).status is m.PlanStatus.SUPERSEDED
        new_plan = s.get_one(m.Plan, second)
        now_planned = {v.job_id for r in new_plan.routes for v in r.visits if v.job_id}
        dropped = set(planned) - now_planned
        assert dropped
        for job in s.scalars(select(m.Job).where(m.Job.id.in_(dropped))):
            assert job.status is m.JobStatus.NEW and job.engineer_id is None


def test_export_then_import_reproduces_the_region(
    demo: sessionmaker[Session], database_url: str, tmp_path: Path
) -> None:
    with demo() as s:
        export_directory(s, tmp_path / "a")
    url = f"sqlite:///{tmp_path / 'copy.sqlite3'}"
    upgrade(url)
    engine = make_engine(url)
    factory = session_factory(engine)
    with factory.begin() as s:
        import_directory(s, tmp_path / "a")
    with factory() as s:
        export_directory(s, tmp_path / "b", "json")
    with demo() as s:
        export_directory(s, tmp_path / "a_json", "json")
    engine.dispose()
    for path in sorted((tmp_path / "a_json").glob("*.json")):
        assert path.read_text() == (tmp_path / "b" / path.name).read_text(), path.name

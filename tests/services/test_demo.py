"""`dispatch demo`, the main job, end to end on both databases (short search)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from dispatch import models as m
from dispatch.cli import app
from dispatch.db import make_engine, session_factory
from dispatch.settings import get_settings


@pytest.fixture(autouse=True)
def fresh_settings() -> Iterator[None]:
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_demo_plans_every_territory_and_prints_the_summary(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DISPATCH_DATABASE_URL", database_url)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["demo", "--time-limit", "1"], env={"COLUMNS": "120"})
    assert result.exit_code == 0, result.output
    for name in ("Guangzhou", "Shenzhen", "Foshan–Dongguan"):
        assert name in result.output
    engine = make_engine(database_url)
    with session_factory(engine)() as s:
        plans = s.scalars(select(m.Plan)).all()
        assert len(plans) == 3 and all(p.status is m.PlanStatus.DRAFT for p in plans)
        assert all(r.status is m.RunStatus.SUCCEEDED for r in s.scalars(select(m.PlanRun)))
    engine.dispose()
    exported = sorted((tmp_path / "var" / "plans").glob("plan-*.json"))
    assert [p.name for p in exported] == [f"plan-{t}-2026-11-24.json" for t in ("FD", "GZ", "SZ")]
    doc = json.loads(exported[0].read_text())
    assert doc["routes"] and doc["routes"][0]["visits"][0]["eta"].endswith("+08:00")


@pytest.mark.parametrize(
    ("args", "named"), [(["--time-limit", "0"], "--time-limit"), (["--workers", "0"], "--workers")]
)
def test_bad_arguments_exit_2(args: list[str], named: str) -> None:
    result = CliRunner().invoke(app, ["demo", *args])
    assert result.exit_code == 2 and result.output.startswith(f"error: {named}")

"""`dispatch db upgrade` builds the schema where DISPATCH_DATABASE_URL points, or exits 2."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dispatch.cli import app
from dispatch.migrate import current_revision, head_revision
from dispatch.settings import get_settings


@pytest.fixture(autouse=True)
def fresh_settings() -> Iterator[None]:
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_upgrade_creates_the_database_file_at_head(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'var' / 'd.sqlite3'}"
    monkeypatch.setenv("DISPATCH_DATABASE_URL", url)
    result = CliRunner().invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert current_revision(url) == head_revision()
    again = CliRunner().invoke(app, ["db", "upgrade"])  # idempotent
    assert again.exit_code == 0


@pytest.mark.parametrize(
    ("url", "args", "named"),
    [
        ("sqlite:///{tmp}/d.sqlite3", ["db", "upgrade", "no-such-revision"], "revision"),
        ("postgresql+psycopg://nobody@127.0.0.1:1/x", ["db", "upgrade"], "DISPATCH_DATABASE_URL"),
        ("nosuchdb://x", ["db", "upgrade"], "DISPATCH_DATABASE_URL"),
    ],
)
def test_bad_targets_exit_2_naming_the_culprit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, url: str, args: list[str], named: str
) -> None:
    monkeypatch.setenv("DISPATCH_DATABASE_URL", url.format(tmp=tmp_path))
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert result.output.startswith(f"error: {named}:") and "Traceback" not in result.output


def test_commands_on_an_old_schema_say_to_upgrade(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dispatch.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    upgrade(url, "0001")
    monkeypatch.setenv("DISPATCH_DATABASE_URL", url)
    result = CliRunner().invoke(app, ["plan", "--territory", "GZ", "--date", "2026-11-24"])
    assert result.exit_code == 2
    assert "schema at revision 0001" in result.output and "dispatch db upgrade" in result.output


@pytest.mark.parametrize(
    ("as_of", "reason"), [("10:30", "not an ISO 8601"), ("2026-11-24T10:30", "needs a UTC offset")]
)
def test_as_of_must_be_an_aware_moment(as_of: str, reason: str) -> None:
    result = CliRunner().invoke(app, ["plan", "--territory", "GZ", "--date", "2026-11-24", "--as-of", as_of])
    assert result.exit_code == 2 and result.output.startswith("error: --as-of:") and reason in result.output


def test_plan_refuses_a_territory_day_with_an_active_run_and_fails_a_day_it_cannot_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import date

    from dispatch.db import make_engine, session_factory, transaction
    from dispatch.demo import DEMO_DATA
    from dispatch.importer import import_directory
    from dispatch.migrate import upgrade
    from dispatch.planning import create_run, territory_by_code

    url = f"sqlite:///{tmp_path / 'd.sqlite3'}"
    upgrade(url)
    engine = make_engine(url)
    with transaction(session_factory(engine)) as s:
        import_directory(s, DEMO_DATA)
        active = create_run(s, territory_by_code(s, "GZ"), date(2026, 11, 24)).id
    engine.dispose()
    monkeypatch.setenv("DISPATCH_DATABASE_URL", url)
    result = CliRunner().invoke(app, ["plan", "--territory", "GZ", "--date", "2026-11-24"])
    assert result.exit_code == 2 and result.output.startswith("error: --date: GZ on 2026-11-24")
    assert active in result.output and "(queued)" in result.output
    result = CliRunner().invoke(app, ["plan", "--territory", "GZ", "--date", "9999-12-31", "-t", "1"])
    assert result.exit_code == 1 and result.output.startswith("error: no plan: OverflowError")

"""`dispatch solve`: exit 0 with a checked plan, 2 with a one-line error for any bad input; and
`dispatch import`: exit 2 with a `file:line: field: reason` line per problem, never a traceback."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from dispatch import models as m
from dispatch.cli import app
from dispatch.db import make_engine
from dispatch.demo import DEMO_DATA
from dispatch.formats import load_problem
from dispatch.formats.native import schema_text
from dispatch.settings import get_settings
from solver import Route, Solution, Status, Step, StepType, Summary, Unassigned, check
from solver.model import Reason

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "samples" / "small_day.json"
DATA = ROOT / "tests" / "data"
runner = CliRunner()


def solution_from_output(doc: dict[str, Any]) -> Solution:
    """Rebuild a solver Solution from the written JSON, so the checker judges the file itself."""
    routes = tuple(
        Route(
            shift_id=str(r["vehicle"]),
            engineer_id=str(r["engineer"]),
            steps=tuple(
                Step(
                    type=StepType(s["type"]),
                    id=None if "id" not in s else str(s["id"]),
                    location=s.get("location_index"),
                    arrival=s["arrival"],
                )
                for s in r["steps"]
            ),
            travel_time=r["duration"],
            distance=r["distance"],
            service=r["service"],
            waiting_time=r["waiting_time"],
            lateness=r["lateness"],
        )
        for r in doc["routes"]
    )
    unassigned = tuple(Unassigned(job_id=str(u["id"]), reason=Reason(u["reason"])) for u in doc["unassigned"])
    zero = dict.fromkeys(
        ("cost", "routes", "assigned", "unassigned", "served_priority", "travel_time", "distance"), 0
    )
    summary = Summary(**zero, service=0, waiting_time=0, lateness=0, late_jobs=0, wall_time=0.0)
    return Solution(status=Status.SOLVED, routes=routes, unassigned=unassigned, summary=summary)


def test_solve_sample_writes_a_solution_the_checker_accepts(tmp_path: Path) -> None:
    out = tmp_path / "plan.json"
    result = runner.invoke(app, ["solve", str(SAMPLE), "--time-limit", "1", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "feasible" in result.stdout and "no_skill" in result.stdout
    doc = json.loads(out.read_text())
    assert doc["code"] == 0 and doc["summary"]["unassigned"] == len(doc["unassigned"])
    assert all(isinstance(u["id"], str) for u in doc["unassigned"])
    problem = load_problem(SAMPLE).problem
    report = check(problem, solution_from_output(doc))
    assert report.feasible, report.describe()
    assert {u["reason"] for u in doc["unassigned"]} >= {"no_skill", "no_shift_in_window", "unreachable"}


def test_hard_deadlines_flag(tmp_path: Path) -> None:
    result = runner.invoke(app, ["solve", str(SAMPLE), "-t", "1", "--hard-deadlines"])
    assert result.exit_code == 0, result.output
    assert "late jobs" in result.stdout


def test_solomon_through_the_cli(tmp_path: Path) -> None:
    out = tmp_path / "c101.json"
    result = runner.invoke(app, ["solve", str(DATA / "C101.txt"), "--time-limit", "1", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "distance (exact)" in result.stdout and "feasible" in result.stdout
    doc = json.loads(out.read_text())
    assert doc["summary"]["exact_distance"] > 800
    job_ids = [s["id"] for r in doc["routes"] for s in r["steps"] if s["type"] == "job"]
    assert sorted(job_ids) == list(range(1, 101))  # Solomon customer numbers go out as ints


def test_vroom_through_the_cli(tmp_path: Path) -> None:
    out = tmp_path / "v.json"
    result = runner.invoke(
        app, ["solve", str(DATA / "vroom_small.json"), "--format", "vroom", "-t", "1", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(out.read_text())
    assert [u["id"] for u in doc["unassigned"]] == [7]


def _bad_solomon(tmp: Path) -> Path:
    p = tmp / "bad.txt"
    p.write_text("X\n\nVEHICLE\nNUMBER CAPACITY\n 2 10\n\nCUSTOMER\n 0 1 2 0 0 100\n")
    return p


def _bad_json(tmp: Path) -> Path:
    p = tmp / "bad.json"
    p.write_text('{"locations": [')
    return p


def _schema_error(tmp: Path) -> Path:
    doc = json.loads(SAMPLE.read_text())
    doc["jobs"][3]["time_windows"] = [[200, 100]]
    p = tmp / "schema.json"
    p.write_text(json.dumps(doc))
    return p


def _shipments(tmp: Path) -> Path:
    doc = json.loads((DATA / "vroom_small.json").read_text())
    doc["shipments"] = [{"pickup": {"id": 1}, "delivery": {"id": 1}}]
    p = tmp / "ship.json"
    p.write_text(json.dumps(doc))
    return p


BAD: list[tuple[str, Any, list[str], str]] = [
    ("missing file", lambda t: t / "nope.json", [], "nope.json: no such file"),
    ("bad JSON", _bad_json, [], "invalid JSON at line 1"),
    ("unknown format", lambda t: SAMPLE, ["--format", "xml"], "--format: unknown format 'xml'"),
    ("schema error", _schema_error, [], "jobs[3].time_windows[0]: end 100 is before start 200"),
    ("bad Solomon file", _bad_solomon, [], "line 8: a customer row needs 7 numbers"),
    ("shipments", _shipments, ["--format", "vroom"], "shipments: shipments are not supported"),
    ("directory", lambda t: t, [], "is a directory"),
    ("time limit", lambda t: SAMPLE, ["--time-limit", "0"], "--time-limit: must be positive"),
]


@pytest.mark.parametrize(("make", "args", "expected"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_input_exits_2_with_one_line(tmp_path: Path, make: Any, args: list[str], expected: str) -> None:
    result = runner.invoke(app, ["solve", str(make(tmp_path)), *args])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert expected in lines[0]
    assert "Traceback" not in result.output


def test_schema_command_prints_the_committed_schema() -> None:
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0
    assert result.stdout == schema_text()


def _corrupt_csv(data: Path) -> list[str]:
    """A NUL in one job, a byte that is not UTF-8 in another: the lines the CLI must print."""
    jobs = data / "jobs.csv"
    lines = jobs.read_bytes().split(b"\n")
    lines[2] = lines[2].replace(b"pressure", b"press\x00ure", 1)
    lines[4] = lines[4].replace(b"J00004", b"J0\xe90004", 1)
    jobs.write_bytes(b"\n".join(lines))
    return [
        "error: jobs.csv:3: description: a NUL byte (\\x00) is not allowed in text",
        "error: jobs.csv:5: code: invalid UTF-8 byte 0xe9 (the file must be UTF-8)",
    ]


def _corrupt_json(data: Path) -> list[str]:
    """Territories as JSON: an escaped NUL, a lone surrogate and a raw byte that is not UTF-8."""
    (data / "territories.csv").unlink()
    (data / "territories.json").write_bytes(
        b'[{"code": "GZ", "name": "Guang\\u0000zhou", "timezone": "Asia/Shanghai"},\n'
        b' {"code": "SZ", "name": "Shen\\udc00zhen", "timezone": "Asia/Shanghai"},\n'
        b' {"code": "FD", "name": "Foshan\xa0Dongguan", "timezone": "Asia/Shanghai"}]\n'
    )
    return [
        "error: territories.json:1: name: a NUL byte (\\x00) is not allowed in text",
        "error: territories.json:2: name: lone surrogate \\udc00 (not Unicode text)",
        "error: territories.json:3: name: invalid UTF-8 byte 0xa0 (the file must be UTF-8)",
    ]


@pytest.mark.parametrize("corrupt", [_corrupt_csv, _corrupt_json], ids=["csv", "json"])
def test_import_reports_nul_and_bad_bytes_by_line_and_imports_nothing(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, corrupt: Any
) -> None:
    """Exit 2 with one ``file:line: field: reason`` line per bad byte, not a traceback; on
    PostgreSQL a NUL would otherwise reach the driver, on SQLite it would be stored."""
    data = tmp_path / "data"
    shutil.copytree(DEMO_DATA, data)
    expected = corrupt(data)
    monkeypatch.setenv("DISPATCH_DATABASE_URL", database_url)
    get_settings.cache_clear()
    try:
        result = runner.invoke(app, ["import", str(data)])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 2, result.output
    assert result.stderr.splitlines() == expected
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            for table in (m.Territory, m.Engineer, m.Job):
                assert conn.scalar(select(func.count()).select_from(table)) == 0
    finally:
        engine.dispose()

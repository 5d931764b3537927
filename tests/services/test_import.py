"""Imports are all or nothing, and every bad row is reported by file, line and field."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from dispatch import models as m
from dispatch.demo import DEMO_DATA
from dispatch.importer import ImportRejectedError, import_directory


def _count(sessions: sessionmaker[Session], model: type[m.Base]) -> int:
    with sessions() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def _copy_demo(tmp_path: Path) -> Path:
    out = tmp_path / "data"
    shutil.copytree(DEMO_DATA, out)
    return out


def _edit(path: Path, line: int, column: str, value: str) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    cells = lines[line - 1].split(",")
    cells[header.index(column)] = value
    lines[line - 1] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_the_demo_region_imports_whole_with_derived_sla_deadlines(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        counts = import_directory(s, DEMO_DATA)
    assert counts.rows["engineers"] == _count(sessions, m.Engineer) == 45
    assert counts.rows["jobs"] == _count(sessions, m.Job)
    with sessions() as s:
        jobs = s.scalars(select(m.Job)).all()
        assert all(j.response_deadline is not None and j.response_deadline > j.reported_at for j in jobs)
        assert all(len(j.events) == 1 and j.events[0].to_status is m.JobStatus.NEW for j in jobs[:20])
        assert s.scalars(select(m.Engineer).where(m.Engineer.code == "E001")).one().skills


def test_every_bad_row_is_reported_and_nothing_is_imported(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    data = _copy_demo(tmp_path)
    _edit(data / "engineers.csv", 3, "home_lat", "123.4")  # off the earth
    _edit(data / "engineers.csv", 5, "skills", "aircon:9")  # level out of range
    _edit(data / "shifts.csv", 4, "end", "2026-11-24T06:00+08:00")  # ends before it starts
    _edit(data / "jobs.csv", 7, "site", "S9999")  # unknown site
    _edit(data / "jobs.csv", 9, "windows", "2026-11-24T08:00/2026-11-24T12:00")  # no UTC offset
    with pytest.raises(ImportRejectedError) as err, sessions.begin() as s:
        import_directory(s, data)
    found = {(i.file, i.line, i.field) for i in err.value.issues}
    assert found == {
        ("engineers.csv", 3, "home_lat"),
        ("engineers.csv", 5, "skills"),
        ("shifts.csv", 4, "end"),
        ("jobs.csv", 7, "site"),
        ("jobs.csv", 9, "windows"),
    }
    reasons = {i.field: i.reason for i in err.value.issues}
    assert "S9999" in reasons["site"] and "offset" in reasons["windows"]
    for model in (m.Territory, m.Engineer, m.Job, m.JobEvent):
        assert _count(sessions, model) == 0


def test_codes_already_in_the_database_are_refused(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    with sessions.begin() as s:
        import_directory(s, DEMO_DATA)
    with pytest.raises(ImportRejectedError) as err, sessions.begin() as s:
        import_directory(s, DEMO_DATA)
    assert any(i.file == "territories.csv" and "already exists" in i.reason for i in err.value.issues)
    assert _count(sessions, m.Territory) == 3


def test_json_files_are_read_like_csv(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    data = tmp_path / "json"
    data.mkdir()
    (data / "territories.json").write_text(
        '[{"code": "HK", "name": "Hong Kong", "timezone": "Asia/Hong_Kong"}]'
    )
    (data / "engineers.json").write_text(
        '[{"code": "E9", "name": "Ho Ka", "territory": "HK", "home_lat": 22.3, "home_lon": 114.2,'
        ' "skills": "tv:2"},'
        ' {"code": "E10", "name": "", "territory": "XX", "home_lat": 22.3, "home_lon": 114.2}]'
    )
    with pytest.raises(ImportRejectedError) as err, sessions.begin() as s:
        import_directory(s, data)
    assert {(i.line, i.field) for i in err.value.issues} == {(2, "name"), (2, "territory")}

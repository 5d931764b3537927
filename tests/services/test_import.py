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


def _edit_bytes(path: Path, line: int, old: bytes, new: bytes) -> None:
    """Replace the first ``old`` on ``line`` (from 1) with raw bytes, whatever they decode to."""
    lines = path.read_bytes().split(b"\n")
    assert old in lines[line - 1], lines[line - 1]
    lines[line - 1] = lines[line - 1].replace(old, new, 1)
    path.write_bytes(b"\n".join(lines))


def test_nul_and_bytes_that_are_not_utf8_are_reported_where_they_are(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """PostgreSQL refuses NUL in text and SQLite would store it; neither may see one, nor a byte
    that is not UTF-8: each is an issue at its line and field, and nothing is imported."""
    data = _copy_demo(tmp_path)
    _edit_bytes(data / "engineers.csv", 3, b"Liu", b"L\xffiu")  # a Latin-1 byte
    _edit_bytes(data / "jobs.csv", 3, b"pressure", b"press\x00ure")  # NUL in a description
    _edit_bytes(data / "jobs.csv", 6, b"J00005", b"J\x0000005")  # NUL in a code others refer to
    _edit_bytes(data / "sites.csv", 1, b"address", b"addr\xc3ess")  # a cut-off UTF-8 sequence
    _edit_bytes(data / "sites.csv", 3, b"Binhe", b"Bin\xe4he\xfe")
    with pytest.raises(ImportRejectedError) as err, sessions.begin() as s:
        import_directory(s, data)
    found = {(i.file, i.line, i.field): i.reason for i in err.value.issues}
    assert set(found) == {
        ("engineers.csv", 3, "name"),
        ("jobs.csv", 3, "description"),
        ("jobs.csv", 6, "code"),
        ("sites.csv", 1, "addr\\xc3ess"),  # the column is still read as address
        ("sites.csv", 3, "address"),
    }, found
    assert found["engineers.csv", 3, "name"] == "invalid UTF-8 byte 0xff (the file must be UTF-8)"
    assert found["jobs.csv", 3, "description"] == "a NUL byte (\\x00) is not allowed in text"
    assert "bytes 0xe4, 0xfe" in found["sites.csv", 3, "address"]
    assert found["sites.csv", 1, "addr\\xc3ess"].startswith("column name: invalid UTF-8 byte 0xc3")
    for model in (m.Territory, m.Engineer, m.Site, m.Job):
        assert _count(sessions, model) == 0


def test_json_text_is_checked_for_nul_and_lone_surrogates(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    data = tmp_path / "json"
    data.mkdir()
    (data / "territories.json").write_bytes(
        b'[{"code": "HK", "name": "Hong Kong", "timezone": "Asia/Hong_Kong"},\n'
        b' {"code": "MO", "name": "Ma\\u0000cau", "timezone": "Asia/Macau"},\n'  # an escaped NUL
        b' {"code": "TW", "name": "Tai\\ud800wan", "timezone": "Asia/Taipei"},\n'  # a lone surrogate
        b' {"code": "SG", "name": "Singa\x00pore", "timezone": "Asia/Singapore"},\n'  # a raw NUL
        b' {"code": "KL", "name": "Kuala \xff", "timezone": "Asia/Kuala_Lumpur"},\n'  # not UTF-8
        b' {"co\\u0000de": "BN", "name": "Brunei", "timezone": "Asia/Brunei"}]\n'  # in a field name
    )
    (data / "engineers.json").write_bytes(b'[{"code": "E9", "name": \xff}]')  # outside a string
    with pytest.raises(ImportRejectedError) as err, sessions.begin() as s:
        import_directory(s, data)
    found = {(i.file, i.line, i.field): i.reason for i in err.value.issues}
    assert found == {
        ("territories.json", 2, "name"): "a NUL byte (\\x00) is not allowed in text",
        ("territories.json", 3, "name"): "lone surrogate \\ud800 (not Unicode text)",
        ("territories.json", 4, "name"): "a NUL byte (\\x00) is not allowed in text",
        ("territories.json", 5, "name"): "invalid UTF-8 byte 0xff (the file must be UTF-8)",
        ("territories.json", 6, "co\\x00de"): "field name: a NUL byte (\\x00) is not allowed in text",
        ("engineers.json", 1, "(file)"): "invalid UTF-8 byte 0xff (the file must be UTF-8) (at column 25)",
    }
    assert _count(sessions, m.Territory) == 0


def test_a_file_that_is_not_json_is_an_issue_at_its_line(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    data = tmp_path / "json"
    data.mkdir()
    (data / "territories.json").write_text('[\n{"code": "HK",\n "name": }\n]')
    (data / "parts.json").write_text('{"sku": "X"}')
    with pytest.raises(ImportRejectedError) as err, sessions.begin() as s:
        import_directory(s, data)
    assert [str(i) for i in err.value.issues] == [
        "territories.json:3: (file): invalid JSON at column 10: Expecting value",
        "parts.json:1: (file): expected a JSON array of objects",
    ]

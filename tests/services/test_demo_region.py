"""The committed demo files are exactly what the seeded generator writes."""

from __future__ import annotations

from pathlib import Path

from dispatch.demo import DEMO_DATA
from dispatch.demo_region import generate, write


def test_demo_files_are_reproducible(tmp_path: Path) -> None:
    written = write(generate(), tmp_path)
    assert {p.name for p in written} == {p.name for p in DEMO_DATA.glob("*.csv")}
    for path in written:
        committed = (DEMO_DATA / path.name).read_text(encoding="utf-8")
        assert path.read_text(encoding="utf-8") == committed, path.name

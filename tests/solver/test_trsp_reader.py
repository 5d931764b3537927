"""The Pillac et al. (2013) TRSP reader on a shipped instance and on broken ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from solver.io.solomon import read_solomon
from solver.io.trsp import TrspFormatError, read_trsp

DATA = Path(__file__).resolve().parents[1] / "data"


def test_c101_reads_with_its_crew_requests_and_kits() -> None:
    inst = read_trsp(DATA / "C101.100_25-5-5-5.txt")
    assert inst.name == "C101.100_25-5-5-5"
    assert (inst.skill_count, inst.tool_count, inst.part_count) == (5, 5, 5)
    assert len(inst.technicians) == 25 and len(inst.requests) == 100
    first = inst.technicians[0]
    assert (first.x, first.y) == (9, 6) and first.skills == {1, 3, 4} and first.parts == (3, 0, 4, 4, 0)
    r = inst.requests[0]
    assert (r.ready, r.due, r.service) == (912, 967, 90) and r.skills == {4} and r.parts == (1, 0, 1, 0, 0)
    # Request k is Solomon customer k: same place and window.
    solomon = read_solomon(DATA / "C101.txt")
    assert (solomon.x[1], solomon.y[1]) == (r.x, r.y)
    assert (solomon.ready[1], solomon.due[1], solomon.service[1]) == (r.ready, r.due, r.service)
    # Every request has a technician with its skills (tools and parts can be fetched).
    assert all(any(inst.qualified(t, q) for t in inst.technicians) for q in inst.requests)
    assert sum(inst.can_serve_without_depot(t, r) for t in inst.technicians) < len(inst.technicians)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda s: s.replace("[1,0,1,0,0]", "[1,0,1]", 1), "spare-part quantities"),
        (lambda s: s.replace("[4] \t[]", "[9] \t[]", 1), "beyond the declared counts"),
        (lambda s: s.replace("INFO", "INF"), "no INFO"),
        (lambda s: s.replace("[1,3,4]", "1,3,4", 1), "list"),
    ],
)
def test_broken_files_name_the_line_and_the_problem(tmp_path: Path, mutate: object, message: str) -> None:
    text = (DATA / "C101.100_25-5-5-5.txt").read_text()
    broken = tmp_path / "x.txt"
    assert callable(mutate)
    broken.write_text(mutate(text))
    with pytest.raises(TrspFormatError, match=message):
        read_trsp(broken)

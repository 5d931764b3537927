from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

from solver import Break, Job, Location, Problem, Shift, SolveParams, TimeWindow, TravelMatrix


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: TimeWindow(start=10, end=5), "before its start"),
        (lambda: Job(id="j", location=0, service=-1), "negative service"),
        (lambda: Job(id="j", location=0, priority=101), "outside 0..100"),
        (
            lambda: Job(
                id="j", location=0, time_windows=(TimeWindow(start=0, end=10), TimeWindow(start=5, end=20))
            ),
            "overlapping",
        ),
        (lambda: Job(id="j", location=0, pinned_rank=1), "no pinned engineer"),
        (lambda: Job(id="j", location=0, skills=(("hvac", -1),)), "negative level"),
        (lambda: Break(id="b", time_windows=(), duration=10), "at least one time window"),
        (lambda: Location(lat=91, lon=0), "Latitude"),
        (lambda: Location(lat=1), "both lat and lon"),
        (lambda: TravelMatrix(durations=np.zeros((2, 3)), distances=np.zeros((2, 3))), "square"),
        (lambda: TravelMatrix(durations=-np.ones((1, 1)), distances=np.zeros((1, 1))), "negative"),
        (lambda: SolveParams(time_limit=0), "positive"),
    ],
)
def test_invalid_values_are_refused_with_one_precise_sentence(build, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match=message):
        build()


def _problem(**overrides):  # type: ignore[no-untyped-def]
    args = {
        "locations": (Location(), Location()),
        "matrix": TravelMatrix(durations=np.zeros((2, 2)), distances=np.zeros((2, 2))),
        "jobs": (Job(id="j", location=1),),
        "shifts": (Shift(id="s", engineer_id="e", start=0, end=0, time_window=TimeWindow(start=0, end=10)),),
    }
    args.update(overrides)
    return Problem(**args)


def test_problem_cross_checks_references() -> None:
    assert _problem().job_index() == {"j": 0}
    with pytest.raises(ValueError, match="Duplicate job id"):
        _problem(jobs=(Job(id="j", location=1), Job(id="j", location=0)))
    with pytest.raises(ValueError, match="out of range"):
        _problem(jobs=(Job(id="j", location=5),))
    with pytest.raises(ValueError, match="unknown engineer"):
        _problem(jobs=(Job(id="j", location=1, pinned_engineer="ghost"),))
    with pytest.raises(ValueError, match="amount dimensions"):
        _problem(jobs=(Job(id="j", location=1, delivery=(1,)),))
    with pytest.raises(ValueError, match="rows for 3 locations"):
        _problem(locations=(Location(), Location(), Location()))


def test_solver_package_stays_pure() -> None:
    """DESIGN.md layering: solver/ imports only the standard library, numpy, geopy and ortools."""
    allowed = {"numpy", "geopy", "ortools", "solver", "__future__"}
    import sys

    bad = []
    for path in Path("solver").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                if top not in allowed and top not in sys.stdlib_module_names:
                    bad.append(f"{path}: {name}")
    assert not bad, bad


def test_unknown_local_search_operator_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="use_teleport"):
        SolveParams(extra_operators=("use_cross_exchange", "use_teleport"))


def test_region_size_follows_time_per_job_unless_set() -> None:
    roomy, rushed = SolveParams(time_limit=55), SolveParams(time_limit=10)
    assert roomy.region_size(1_000) == 150  # 33 ms of regional search per job
    assert rushed.region_size(1_000) == 70  # 6 ms per job: small regions reach a first plan
    assert SolveParams(region_jobs=0).region_size(5_000) == 0

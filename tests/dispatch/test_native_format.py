"""The native JSON format: valid documents map one-to-one, every error names its field path."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Callable
from typing import Any

import pytest

from dispatch.formats import FormatError, load_problem
from dispatch.formats.native import SCHEMA_PATH, load_native, schema_text, to_problem
from solver import SolveParams, check, solve
from tests.dispatch.conftest import ROOT

Doc = dict[str, Any]


def convert(doc: object) -> Any:
    return to_problem(load_native(doc))


def test_valid_document_maps_to_problem(native: Doc) -> None:
    problem, options = convert(native)
    assert [loc.name for loc in problem.locations] == ["depot", "Yuexiu", "b"]
    assert [j.id for j in problem.jobs] == ["J1", "J2"]
    j1, j2 = problem.jobs
    assert j1.location == 1 and j1.skills == (("aircon", 1),)
    assert j1.time_windows[0].start == 28800 and j1.time_windows[0].end == 36000
    assert (j2.deadline, j2.sla_tier, j2.priority) == (43200, 2, 70)
    shift = problem.shifts[0]
    assert (shift.engineer_id, shift.start, shift.end) == ("chen", 0, 0)
    assert shift.breaks[0].duration == 1800
    # No matrix: great-circle travel from the coordinates.
    assert problem.matrix.durations[0, 1] > 0 and problem.matrix.distances[0, 1] > 3000
    params = options.apply()
    assert params.time_limit == 1 and params.solution_limit == 50
    assert options.apply(SolveParams(hard_deadlines=True)).hard_deadlines


def test_matrix_without_coordinates(native: Doc) -> None:
    for loc in native["locations"]:
        del loc["lat"], loc["lon"]
    native["matrix"] = {"durations": [[0, 600, 900], [600, 0, 700], [900, 700, 0]]}
    problem, _ = convert(native)
    assert problem.matrix.durations[1, 2] == 700
    assert not problem.matrix.distances.any()  # no distances and no coordinates to estimate them


def test_matrix_durations_with_coordinates_estimates_distances(native: Doc) -> None:
    native["matrix"] = {"durations": [[0, 600, 900], [600, 0, 700], [900, 700, 0]]}
    problem, _ = convert(native)
    assert problem.matrix.durations[0, 2] == 900
    assert problem.matrix.distances[0, 2] > 0


def test_absent_end_is_an_open_route(native: Doc) -> None:
    del native["shifts"][0]["end"]
    problem, _ = convert(native)
    assert problem.shifts[0].end is None


def test_small_native_problem_solves_and_checks(native: Doc) -> None:
    problem, options = convert(native)
    solution = solve(problem, options.apply())
    report = check(problem, solution)
    assert report.feasible, report.describe()
    assert solution.summary.assigned == 2


def _set(path: str, value: Any) -> Callable[[Doc], None]:
    """A mutation setting ``a.0.b`` to ``value`` (or deleting it when value is ...)."""

    def mutate(doc: Doc) -> None:
        *parents, last = path.split(".")
        node: Any = doc
        for key in parents:
            node = node[int(key)] if key.isdigit() else node[key]
        if value is ...:
            del node[last]
        else:
            node[int(last) if last.isdigit() else last] = value

    return mutate


ERRORS: list[tuple[str, Callable[[Doc], None], str]] = [
    (
        "negative service",
        _set("jobs.0.service", -5),
        "jobs[0].service: input should be greater than or equal to 0",
    ),
    (
        "window end before start",
        _set("jobs.0.time_windows", [[200, 100]]),
        "jobs[0].time_windows[0]: end 100 is before start 200",
    ),
    ("unknown job location", _set("jobs.1.location", "x"), "jobs[1].location: unknown location 'x'"),
    ("unknown shift start", _set("shifts.0.start", "x"), "shifts[0].start: unknown location 'x'"),
    ("unknown shift end", _set("shifts.0.end", "y"), "shifts[0].end: unknown location 'y'"),
    (
        "lat out of range",
        _set("locations.1.lat", 95),
        "locations[1].lat: input should be less than or equal to 90",
    ),
    (
        "lon out of range",
        _set("locations.1.lon", -181),
        "locations[1].lon: input should be greater than or equal",
    ),
    ("lat without lon", _set("locations.1.lon", ...), "locations[1]: lat and lon must be given together"),
    (
        "no coordinates, no matrix",
        lambda d: d["locations"][2].update(lat=None, lon=None),
        "locations[2]: location 'b' has no lat/lon",
    ),
    ("unknown field", _set("jobs.0.colour", "red"), "jobs[0].colour: extra inputs are not permitted"),
    ("missing field", _set("shifts.0.time_window", ...), "shifts[0].time_window: field required"),
    ("float seconds", _set("jobs.0.service", 1.5), "jobs[0].service: input should be a valid integer"),
    (
        "priority above 100",
        _set("jobs.1.priority", 101),
        "jobs[1].priority: input should be less than or equal to 100",
    ),
    ("negative skill level", _set("jobs.0.skills", {"aircon": -1}), "jobs[0].skills.aircon: input should be"),
    ("duplicate job id", _set("jobs.1.id", "J1"), "jobs[1].id: duplicate job id 'J1'"),
    (
        "matrix rows",
        _set("matrix", {"durations": [[0, 1], [1, 0]]}),
        "matrix.durations: has 2 rows, expected 3",
    ),
    (
        "overlapping windows (solver)",
        _set("jobs.0.time_windows", [[0, 100], [50, 200]]),
        "jobs[0]: Job 'J1' has overlapping time windows.",
    ),
    (
        "break longer than shift (solver)",
        _set("shifts.0.breaks.0.duration", 40_000),
        "shifts[0]: Shift 'chen-day' break 'lunch' is longer than the shift.",
    ),
    (
        "rank without engineer (solver)",
        _set("jobs.0.pinned_rank", 1),
        "jobs[0]: Job 'J1' has a pinned rank but no pinned engineer.",
    ),
    (
        "pinned to unknown engineer",
        _set("jobs.0.pinned_engineer", "zz"),
        "jobs[0].pinned_engineer: no shift of",
    ),
    ("amounts without capacity", _set("jobs.0.delivery", [1]), "jobs[0].delivery: has 1 dimensions"),
    ("bad option", _set("options.time_limit", -1), "options.time_limit: input should be greater than 0"),
    ("empty break windows", _set("shifts.0.breaks.0.time_windows", []), "shifts[0].breaks[0].time_windows:"),
]


@pytest.mark.parametrize(("mutate", "expected"), [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS])
def test_errors_name_the_field(native: Doc, mutate: Callable[[Doc], None], expected: str) -> None:
    mutate(native)
    with pytest.raises(FormatError) as info:
        convert(native)
    assert any(e.startswith(expected) for e in info.value.errors), info.value.errors


def test_all_errors_are_reported_at_once(native: Doc) -> None:
    native["jobs"][0]["location"] = "x"
    native["shifts"][0]["start"] = "y"
    with pytest.raises(FormatError) as info:
        convert(native)
    assert len(info.value.errors) == 2
    assert "and 1 more error" in info.value.one_line()


def test_root_must_be_an_object() -> None:
    with pytest.raises(FormatError, match=r"^\(root\): input should be"):
        load_native([1, 2])


def test_committed_schema_is_current() -> None:
    """Regenerate with: .venv/bin/dispatch schema -o docs/problem.schema.json"""
    assert SCHEMA_PATH.read_text(encoding="utf-8") == schema_text()


def test_schema_validates_the_sample() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    sample = json.loads((ROOT / "data" / "samples" / "small_day.json").read_text(encoding="utf-8"))
    jsonschema.validate(sample, json.loads(schema_text()))


def test_sample_is_reproducible_and_loads() -> None:
    script = ROOT / "data" / "samples" / "make_small_day.py"
    spec = importlib.util.spec_from_file_location("make_small_day", script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    committed = (ROOT / "data" / "samples" / "small_day.json").read_text(encoding="utf-8")
    assert module.render() == committed
    loaded = load_problem(ROOT / "data" / "samples" / "small_day.json")
    assert len(loaded.problem.jobs) == 40 and len(loaded.problem.shifts) == 6
    assert loaded.id_map.location_ids[0] == "depot-tianhe"

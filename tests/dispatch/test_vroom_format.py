"""VROOM input (a job subset) and VROOM-style output, with a hand-written golden example."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from dispatch.formats import FormatError, load_problem
from dispatch.formats.vroom import load_vroom, problem_from_vroom, solution_to_vroom, to_problem
from solver import Reason, SolveParams, check, solve
from tests.dispatch.conftest import DATA

Doc = dict[str, Any]
FAST = SolveParams(time_limit=2, solution_limit=100)


def test_golden_input_maps_to_problem(vroom_small: Doc) -> None:
    problem, ids = problem_from_vroom(vroom_small)
    assert len(problem.locations) == 7 and problem.matrix.durations[0, 1] == 600
    assert [j.id for j in problem.jobs] == [str(i) for i in range(1, 8)]
    assert problem.jobs[5].skills == (("1", 0), ("2", 0))
    assert [w.start for w in problem.jobs[3].time_windows] == [3600, 9000]
    v1, v2 = problem.shifts
    assert (v1.start, v1.end, v1.max_jobs, v1.capacity) == (0, 0, 5, (4,))
    assert v2.end is None  # open route
    assert v2.breaks[0].duration == 900 and v2.breaks[0].time_windows[0].start == 9000
    assert ids.job("3") == 3 and ids.shift("2") == 2 and ids.break_("1") == 1


def test_golden_example_solves_feasibly(vroom_small: Doc) -> None:
    problem, ids = problem_from_vroom(vroom_small)
    solution = solve(problem, FAST)
    report = check(problem, solution)
    assert report.feasible, report.describe()
    routed = [j for r in solution.routes for j in r.job_ids()]
    unassigned = [u.job_id for u in solution.unassigned]
    assert sorted(routed + unassigned) == sorted(j.id for j in problem.jobs)
    assert {u.job_id: u.reason for u in solution.unassigned} == {"7": Reason.NO_SKILL}

    out = solution_to_vroom(problem, solution, ids)
    golden = json.loads((DATA / "vroom_small.solution.json").read_text())
    assert out.keys() == golden.keys()
    assert out["code"] == 0
    assert out["summary"].keys() == golden["summary"].keys()
    assert out["unassigned"] == golden["unassigned"]
    for key in (
        "cost",
        "routes",
        "unassigned",
        "service",
        "duration",
        "waiting_time",
        "priority",
        "distance",
    ):
        assert isinstance(out["summary"][key], int), key
    assert out["summary"]["service"] == sum(j.service for j in problem.jobs[:6])
    assert {r["vehicle"] for r in out["routes"]} <= {1, 2}
    golden_step_keys = {s["type"]: s.keys() for r in golden["routes"] for s in r["steps"]}
    for route in out["routes"]:
        assert route.keys() == golden["routes"][0].keys()
        steps = route["steps"]
        assert steps[0]["type"] == "start" and steps[-1]["type"] == "end"
        for step in steps:
            assert step.keys() == golden_step_keys[step["type"]] or step["type"] == "end"
            assert step["type"] in {"start", "job", "break", "end"}
            for key in ("arrival", "duration", "service", "waiting_time", "lateness"):
                assert isinstance(step[key], int)
            if step["type"] in ("job", "break"):
                assert isinstance(step["id"], int)
        travel = [s["duration"] for s in steps]
        assert travel == sorted(travel) and travel[-1] == route["duration"]
        assert route["service"] == sum(s["service"] for s in steps if s["type"] == "job")
    assert sum(r["duration"] for r in out["routes"]) == out["summary"]["duration"]


def test_coordinates_without_matrix() -> None:
    doc = {
        "vehicles": [{"id": 7, "start": [113.3291, 23.1372], "end": [113.3291, 23.1372]}],
        "jobs": [
            {"id": 1, "location": [113.2668, 23.1290], "service": 600},
            {"id": 2, "location": [113.3172, 23.0838]},
        ],
    }
    problem, ids = problem_from_vroom(doc)
    assert len(problem.locations) == 3  # the shared depot coordinates are one location
    first = problem.locations[problem.jobs[0].location]
    assert (first.lat, first.lon) == (23.1290, 113.2668)
    assert problem.matrix.durations[0, 1] > 0
    solution = solve(problem, FAST)
    assert check(problem, solution).feasible
    out = solution_to_vroom(problem, solution, ids)
    step = out["routes"][0]["steps"][1]
    assert "location_index" not in step  # our internal numbering means nothing to the caller
    assert len(step["location"]) == 2 and out["routes"][0]["vehicle"] == 7


def test_vehicle_without_start_begins_at_its_first_job(vroom_small: Doc) -> None:
    vehicle = vroom_small["vehicles"][1]
    del vehicle["start_index"]
    vehicle["end_index"] = 0
    problem, ids = problem_from_vroom(vroom_small)
    assert len(problem.locations) == 8  # the hidden free start
    solution = solve(problem, FAST)
    assert check(problem, solution).feasible
    out = solution_to_vroom(problem, solution, ids)
    for route in out["routes"]:
        if route["vehicle"] == 2:
            assert "location_index" not in route["steps"][0]


def test_legacy_matrix_key(vroom_small: Doc) -> None:
    vroom_small["matrix"] = vroom_small.pop("matrices")["car"]["durations"]
    problem, _ = problem_from_vroom(vroom_small)
    assert problem.matrix.durations[0, 1] == 600
    assert not problem.matrix.distances.any()


def test_unbounded_vehicle_gets_a_large_horizon(vroom_small: Doc) -> None:
    for v in vroom_small["vehicles"]:
        del v["time_window"]
    problem, _ = problem_from_vroom(vroom_small)
    assert problem.shifts[0].time_window.start == 0
    assert problem.shifts[0].time_window.end >= 12000 + sum(j.service for j in problem.jobs)


def test_load_problem_guesses_vroom_from_content() -> None:
    loaded = load_problem(DATA / "vroom_small.json")
    assert loaded.format == "vroom" and loaded.id_map.job("1") == 1


def _mutate(doc: Doc, path: str, value: Any) -> None:
    *parents, last = path.split(".")
    node: Any = doc
    for key in parents:
        node = node[int(key)] if key.isdigit() else node[key]
    if value is ...:
        del node[last]
    else:
        node[int(last) if last.isdigit() else last] = value


ERRORS: list[tuple[str, str, Any, str]] = [
    ("shipments", "shipments", [{"pickup": {}, "delivery": {}}], "shipments: shipments are not supported"),
    ("negative service", "jobs.0.service", -1, "jobs[0].service: input should be greater than or equal to 0"),
    (
        "window",
        "jobs.1.time_windows",
        [[7200, 1800]],
        "jobs[1].time_windows[0]: end 1800 is before start 7200",
    ),
    ("string id", "jobs.0.id", "a", "jobs[0].id: input should be a valid integer"),
    ("priority", "jobs.0.priority", 101, "jobs[0].priority: input should be less than or equal to 100"),
    (
        "index outside matrix",
        "jobs.0.location_index",
        99,
        "jobs[0].location_index: 99 is outside the 7×7 matrix",
    ),
    ("no place", "jobs.0.location_index", ..., "jobs[0]: needs a location or a location_index"),
    (
        "coordinates with matrix",
        "jobs.0",
        {"id": 1, "location": [113.3, 23.1]},
        "jobs[0].location: with a matrix, give",
    ),
    ("no start no end", "vehicles.1.start_index", ..., "vehicles[1]: a vehicle needs a start or an end"),
    ("setup", "jobs.0.setup", 60, "jobs[0].setup: setup times are not supported"),
    ("max travel time", "vehicles.0.max_travel_time", 3600, "vehicles[0].max_travel_time: is not supported"),
    (
        "per-type service",
        "jobs.0.service_per_type",
        {"van": 60},
        "jobs[0].service_per_type: is not supported",
    ),
    ("profile", "vehicles.0.profile", "bike", "matrices: no matrices for the vehicles' profile 'bike'"),
    ("capacity dims", "jobs.1.delivery", [1, 2], "jobs[1].delivery: has 2 dimensions, capacity has 1"),
    (
        "break window",
        "vehicles.0.breaks.0.time_windows",
        [[5, 1]],
        "vehicles[0].breaks[0].time_windows[0]: end 1",
    ),
    ("no vehicles", "vehicles", [], "vehicles: list should have at least 1 item"),
    (
        "ragged matrix",
        "matrices.car.durations.2",
        [0, 1],
        "matrices.car.durations[2]: has 2 entries, expected 7",
    ),
]


def test_keys_vroom_does_not_know_are_ignored_as_vroom_does(vroom_small: Doc) -> None:
    """A file VROOM plans, we plan: unknown keys (a client's own annotations) are ignored."""
    doc = copy.deepcopy(vroom_small)
    plain, _ = to_problem(load_vroom(copy.deepcopy(doc)))
    _mutate(doc, "vehicles.0.colour", "red")
    _mutate(doc, "jobs.0.crm_reference", {"ticket": 42})
    doc["options"] = {"g": True}
    annotated, _ = to_problem(load_vroom(doc))
    assert annotated.jobs == plain.jobs and annotated.shifts == plain.shifts


@pytest.mark.parametrize(("path", "value", "expected"), [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS])
def test_errors_name_the_field(vroom_small: Doc, path: str, value: Any, expected: str) -> None:
    doc = copy.deepcopy(vroom_small)
    _mutate(doc, path, value)
    with pytest.raises(FormatError) as info:
        to_problem(load_vroom(doc))
    assert any(e.startswith(expected) for e in info.value.errors), info.value.errors


def test_coordinates_out_of_range() -> None:
    doc = {"vehicles": [{"id": 1, "start": [200.0, 23.1]}], "jobs": []}
    with pytest.raises(
        FormatError, match=r"vehicles\[0\]\.start\[0\]: input should be less than or equal to 180"
    ):
        load_vroom(doc)

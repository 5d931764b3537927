"""VROOM's JSON exchange format (VROOM-Project/vroom ``docs/API.md``): a job subset in, its output out.

Reading it lets us run VROOM's examples and users' existing files; writing its output format
for every input format gives one solution format for all. What we accept, what we ignore and
what we refuse is listed in docs/formats.md; the refusals are fields whose meaning we cannot
honour (shipments, setup times, travel limits), so silently dropping them would give plans
that look valid and are not.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, StrictInt, ValidationError, field_validator

from dispatch.formats._common import (
    NonNegInt,
    Priority,
    Seconds,
    Window,
    build,
    check_square,
    travel_matrix,
    tws,
)
from dispatch.formats.errors import FormatError, at, from_validation_error
from solver.model import (
    ArcCost,
    Break,
    Job,
    Location,
    Problem,
    Shift,
    Solution,
    StepType,
    TimeWindow,
    TravelMatrix,
)

ExternalId = int | str
Coordinates = Annotated[
    tuple[Annotated[float, Field(ge=-180, le=180)], Annotated[float, Field(ge=-90, le=90)]],
    Field(description="[lon, lat], WGS84."),
]
VroomId = Annotated[StrictInt, Field(ge=0)]


IGNORE_UNKNOWN = ConfigDict(extra="ignore", frozen=True)
"""VROOM ignores keys it does not know, so we do too (a file VROOM plans, we plan); the keys
VROOM knows and we cannot honour are refused by name (`_unsupported`)."""


class VroomJob(BaseModel):
    model_config = IGNORE_UNKNOWN
    id: VroomId
    description: str | None = None
    location: Coordinates | None = None
    location_index: NonNegInt | None = None
    setup: Seconds = 0
    service: Seconds = 0
    delivery: list[NonNegInt] = Field(default_factory=list)
    pickup: list[NonNegInt] = Field(default_factory=list)
    skills: list[NonNegInt] = Field(default_factory=list)
    priority: Priority = 0
    time_windows: list[Window] = Field(default_factory=list)
    type: str | None = None  # VROOM 1.14+: per-vehicle-type setup and service
    setup_per_type: dict[str, Any] | None = None
    service_per_type: dict[str, Any] | None = None


class VroomBreak(BaseModel):
    model_config = IGNORE_UNKNOWN
    id: VroomId
    time_windows: list[Window] = Field(default_factory=list)
    service: Seconds = 0
    description: str | None = None
    max_load: list[NonNegInt] | None = None


class VroomVehicle(BaseModel):
    model_config = IGNORE_UNKNOWN
    id: VroomId
    profile: str = "car"
    description: str | None = None
    start: Coordinates | None = None
    start_index: NonNegInt | None = None
    end: Coordinates | None = None
    end_index: NonNegInt | None = None
    capacity: list[NonNegInt] = Field(default_factory=list)
    costs: dict[str, Any] | None = None
    skills: list[NonNegInt] = Field(default_factory=list)
    time_window: Window | None = None
    breaks: list[VroomBreak] = Field(default_factory=list)
    speed_factor: Annotated[float, Field(gt=0, le=5)] = 1.0
    max_tasks: NonNegInt | None = None
    max_travel_time: NonNegInt | None = None
    max_distance: NonNegInt | None = None
    steps: list[Any] | None = None
    type: str | None = None


class VroomMatrices(BaseModel):
    model_config = IGNORE_UNKNOWN
    durations: list[list[NonNegInt]] | None = None
    distances: list[list[NonNegInt]] | None = None
    costs: list[list[NonNegInt]] | None = None


class VroomInput(BaseModel):
    model_config = IGNORE_UNKNOWN
    jobs: list[VroomJob] = Field(default_factory=list)
    shipments: list[Any] = Field(default_factory=list)
    vehicles: list[VroomVehicle] = Field(min_length=1)
    matrices: dict[str, VroomMatrices] | None = None
    matrix: list[list[NonNegInt]] | None = Field(default=None, description="Legacy: durations.")

    @field_validator("shipments")
    @classmethod
    def _no_shipments(cls, value: list[Any]) -> list[Any]:
        if value:
            raise ValueError("shipments are not supported (only jobs)")
        return value


@dataclass(frozen=True, slots=True)
class IdMap:
    """Our string ids back to the caller's, so output ids have the type they came in with.

    ``index_locations``: whether ``location_index`` means something to the caller (a matrix
    row or a declared location); ``hidden_locations`` are helper locations never reported;
    ``location_ids`` name locations by index (native format), reported as ``location_id``.
    """

    jobs: Mapping[str, ExternalId] = field(default_factory=dict)
    shifts: Mapping[str, ExternalId] = field(default_factory=dict)
    breaks: Mapping[str, ExternalId] = field(default_factory=dict)
    index_locations: bool = True
    hidden_locations: frozenset[int] = frozenset()
    location_ids: tuple[str, ...] = ()

    def job(self, job_id: str) -> ExternalId:
        return self.jobs.get(job_id, job_id)

    def shift(self, shift_id: str) -> ExternalId:
        return self.shifts.get(shift_id, shift_id)

    def break_(self, break_id: str) -> ExternalId:
        return self.breaks.get(break_id, break_id)


def load_vroom(data: object) -> VroomInput:
    """Validate decoded VROOM JSON field by field; raises `FormatError`."""
    try:
        return VroomInput.model_validate(data)
    except ValidationError as exc:
        raise from_validation_error(exc) from None


def problem_from_vroom(data: object) -> tuple[Problem, IdMap]:
    return to_problem(load_vroom(data))


def to_problem(doc: VroomInput) -> tuple[Problem, IdMap]:
    """The solver problem and the id mapping back; raises `FormatError` listing every error."""
    errors = _unsupported(doc)
    durations, distances, size = _matrices(doc, errors)
    places = _Places(size)

    def place(coords: tuple[float, float] | None, index: int | None, path: str, key: str) -> int | None:
        if index is not None:
            if size is None:
                errors.append(at(f"{path}.{key}_index", "needs a matrix (`matrices` or `matrix`)"))
                return None
            if index >= size:
                errors.append(at(f"{path}.{key}_index", f"{index} is outside the {size}×{size} matrix"))
                return None
            return places.indexed(index, coords)
        if coords is None:
            return None
        if size is not None:
            errors.append(at(f"{path}.{key}", f"with a matrix, give {key}_index (the matrix row)"))
            return None
        return places.located(coords)

    jobs: list[Job] = []
    job_ids: dict[str, ExternalId] = {}
    for i, j in enumerate(doc.jobs):
        path = f"jobs[{i}]"
        if str(j.id) in job_ids:
            errors.append(at(f"{path}.id", f"duplicate job id {j.id}"))
            continue
        job_ids[str(j.id)] = j.id
        loc = place(j.location, j.location_index, path, "location")
        if loc is None:
            if j.location is None and j.location_index is None:
                errors.append(at(path, "needs a location or a location_index"))
            continue
        job = build(
            errors,
            path,
            Job,
            id=str(j.id),
            location=loc,
            service=j.service,
            time_windows=tws(j.time_windows),
            skills=tuple((str(k), 0) for k in j.skills),
            priority=j.priority,
            delivery=tuple(j.delivery),
            pickup=tuple(j.pickup),
        )
        if job is not None:
            jobs.append(job)

    horizon = _horizon(doc, durations)
    ends: list[tuple[int | None, int | None] | None] = []
    for i, v in enumerate(doc.vehicles):
        path = f"vehicles[{i}]"
        start = place(v.start, v.start_index, path, "start")
        end = place(v.end, v.end_index, path, "end")
        has_start = v.start is not None or v.start_index is not None
        has_end = v.end is not None or v.end_index is not None
        if not has_start and not has_end:
            errors.append(at(path, "a vehicle needs a start or an end (or both); neither is not supported"))
        ends.append(
            (start, end)
            if (start is not None or not has_start) and (end is not None or not has_end)
            else None
        )
    free = places.count() if any(e is not None and e[0] is None for e in ends) else None

    shifts: list[Shift] = []
    shift_ids: dict[str, ExternalId] = {}
    break_ids: dict[str, ExternalId] = {}
    for i, (v, where) in enumerate(zip(doc.vehicles, ends, strict=True)):
        path = f"vehicles[{i}]"
        if str(v.id) in shift_ids:
            errors.append(at(f"{path}.id", f"duplicate vehicle id {v.id}"))
            continue
        shift_ids[str(v.id)] = v.id
        if where is None or (where[0] is None and where[1] is None):
            continue  # reported above
        start, end = where
        breaks: list[Break] = []
        for k, b in enumerate(v.breaks):
            break_ids[str(b.id)] = b.id
            windows = tws(b.time_windows) or (TimeWindow(start=0, end=horizon),)
            built = build(
                errors, f"{path}.breaks[{k}]", Break, id=str(b.id), time_windows=windows, duration=b.service
            )
            if built is not None:
                breaks.append(built)
        tw = v.time_window or (0, horizon)
        shift = build(
            errors,
            path,
            Shift,
            id=str(v.id),
            engineer_id=str(v.id),
            start=free if start is None else start,
            end=end,
            time_window=TimeWindow(start=tw[0], end=tw[1]),
            skills=tuple((str(k), 0) for k in v.skills),
            breaks=tuple(breaks),
            capacity=tuple(v.capacity),
            max_jobs=v.max_tasks,
        )
        if shift is not None:
            shifts.append(shift)
    errors += _amount_dims(doc)
    if errors:
        raise FormatError(errors)

    locations = places.locations()
    matrix = travel_matrix(locations, durations, distances)
    if free is not None:
        matrix = _with_free_start(matrix)
        locations = (*locations, Location(name="free start"))
    try:
        problem = Problem(locations=locations, matrix=matrix, jobs=tuple(jobs), shifts=tuple(shifts))
    except ValueError as exc:
        raise FormatError([at("(root)", str(exc))]) from None
    id_map = IdMap(
        jobs=job_ids,
        shifts=shift_ids,
        breaks=break_ids,
        index_locations=size is not None,
        hidden_locations=frozenset() if free is None else frozenset({free}),
    )
    return problem, id_map


class _Places:
    """Locations as the solver sees them: the matrix rows, or else the distinct coordinates."""

    def __init__(self, size: int | None) -> None:
        self.size = size
        self.coords: dict[int, tuple[float, float]] = {}
        self.by_coords: dict[tuple[float, float], int] = {}

    def indexed(self, index: int, coords: tuple[float, float] | None) -> int:
        if coords is not None:
            self.coords.setdefault(index, coords)
        return index

    def located(self, coords: tuple[float, float]) -> int:
        if coords not in self.by_coords:
            self.by_coords[coords] = len(self.by_coords)
            self.coords[self.by_coords[coords]] = coords
        return self.by_coords[coords]

    def count(self) -> int:
        return self.size if self.size is not None else len(self.by_coords)

    def locations(self) -> tuple[Location, ...]:
        return tuple(
            Location(lat=c[1], lon=c[0]) if (c := self.coords.get(i)) is not None else Location()
            for i in range(self.count())
        )


def _with_free_start(matrix: TravelMatrix) -> TravelMatrix:
    """One more location with zero travel to and from everywhere: a vehicle without ``start``
    leaves from it, so its route starts at its first job, as in VROOM."""
    n = matrix.size
    d = np.zeros((n + 1, n + 1), dtype=np.int64)
    m = np.zeros_like(d)
    d[:n, :n] = matrix.durations
    m[:n, :n] = matrix.distances
    return TravelMatrix(durations=d, distances=m)


def _unsupported(doc: VroomInput) -> list[str]:
    """Fields we cannot honour: refusing them beats a plan that ignores them."""
    errors: list[str] = []
    for i, j in enumerate(doc.jobs):
        if j.setup:
            errors.append(at(f"jobs[{i}].setup", "setup times are not supported (add them to service)"))
        for name in ("setup_per_type", "service_per_type"):
            if getattr(j, name):
                errors.append(at(f"jobs[{i}].{name}", "is not supported (give one service)"))
    profiles = {v.profile for v in doc.vehicles}
    for i, v in enumerate(doc.vehicles):
        path = f"vehicles[{i}]"
        for name in ("max_travel_time", "max_distance", "steps"):
            if getattr(v, name) is not None:
                errors.append(at(f"{path}.{name}", "is not supported"))
        if v.speed_factor != 1.0:
            errors.append(at(f"{path}.speed_factor", "only 1.0 is supported (scale the matrix instead)"))
        if len(profiles) > 1 and v.profile != doc.vehicles[0].profile:
            errors.append(at(f"{path}.profile", "all vehicles must share one routing profile"))
        for k, b in enumerate(v.breaks):
            if b.max_load is not None:
                errors.append(at(f"{path}.breaks[{k}].max_load", "is not supported"))
    return errors


def _matrices(
    doc: VroomInput, errors: list[str]
) -> tuple[list[list[int]] | None, list[list[int]] | None, int | None]:
    """(durations, distances, size) from ``matrices[profile]`` or the legacy ``matrix``."""
    profile = doc.vehicles[0].profile
    durations = distances = None
    path = "matrix"
    if doc.matrices is not None:
        if profile not in doc.matrices:
            errors.append(at("matrices", f"no matrices for the vehicles' profile {profile!r}"))
            return None, None, None
        m = doc.matrices[profile]
        if m.durations is None:
            errors.append(at(f"matrices.{profile}.durations", "required (we do not query a routing engine)"))
            return None, None, None
        durations, distances, path = m.durations, m.distances, f"matrices.{profile}.durations"
    elif doc.matrix is not None:
        durations = doc.matrix
    if durations is None:
        return None, None, None
    size = len(durations)
    shape = check_square(durations, size, path)
    if distances is not None:
        shape += check_square(distances, size, f"matrices.{profile}.distances")
    errors += shape
    return durations, distances, size


def _amount_dims(doc: VroomInput) -> list[str]:
    errors: list[str] = []
    dims = len(doc.vehicles[0].capacity)
    for i, v in enumerate(doc.vehicles):
        if len(v.capacity) != dims:
            errors.append(
                at(f"vehicles[{i}].capacity", f"has {len(v.capacity)} dimensions, vehicles[0] {dims}")
            )
    for i, j in enumerate(doc.jobs):
        for name in ("delivery", "pickup"):
            amounts: list[int] = getattr(j, name)
            if amounts and len(amounts) != dims:
                errors.append(at(f"jobs[{i}].{name}", f"has {len(amounts)} dimensions, capacity has {dims}"))
    return errors


def _horizon(doc: VroomInput, durations: list[list[int]] | None) -> int:
    """An end of time for vehicles and breaks without time windows: late enough for any route
    (every window's end, plus all service, plus a longest leg per task)."""
    ends = [w[1] for j in doc.jobs for w in j.time_windows]
    ends += [v.time_window[1] for v in doc.vehicles if v.time_window is not None]
    ends += [w[1] for v in doc.vehicles for b in v.breaks for w in b.time_windows]
    longest = max((max(row, default=0) for row in durations), default=0) if durations else 4 * 3600
    tasks = len(doc.jobs) + sum(len(v.breaks) for v in doc.vehicles) + 1
    service = sum(j.service for j in doc.jobs) + sum(b.service for v in doc.vehicles for b in v.breaks)
    return max(ends, default=0) + service + tasks * longest


# --------------------------------------------------------------------------- output


def solution_to_vroom(
    problem: Problem,
    solution: Solution,
    id_map: IdMap | None = None,
    *,
    arc_cost: ArcCost = ArcCost.DURATION,
    loading_ms: int = 0,
) -> dict[str, Any]:
    """VROOM's output document for any solution, plus our ``reason``/``detail``/``lateness``.

    A route's ``cost`` is its travel time or distance, whichever the search minimised
    (``arc_cost``); the search objective, penalties included, is ``summary.objective``.
    """
    ids = id_map or IdMap()
    jobs = {j.id: j for j in problem.jobs}
    dur, dist = problem.matrix.durations, problem.matrix.distances
    routes: list[dict[str, Any]] = []
    total_cost = 0
    for r in solution.routes:
        cost = r.distance if arc_cost is ArcCost.DISTANCE else r.travel_time
        total_cost += cost
        steps = []
        travel = metres = 0
        prev: int | None = None
        # VROOM's steps run in time order, service at arrival + waiting: a visit after a lunch
        # taken at its door is reported as arriving when the lunch ends.
        starts = r.service_starts()
        for s, begin in zip(r.steps, starts, strict=True):
            if s.location is not None:
                if prev is not None:
                    travel += int(dur[prev, s.location])
                    metres += int(dist[prev, s.location])
                prev = s.location
            step: dict[str, Any] = {"type": s.type.value}
            if s.type is StepType.JOB and s.id is not None:
                step["id"] = ids.job(s.id)
            elif s.type is StepType.BREAK and s.id is not None:
                step["id"] = ids.break_(s.id)
            step.update(_where(problem, ids, s.location))
            step.update(
                arrival=begin - s.waiting_time if s.type is StepType.JOB else s.arrival,
                duration=travel,
                distance=metres,
                service=s.service,
                waiting_time=s.waiting_time,
                lateness=s.lateness,
            )
            steps.append(step)
        routes.append(
            {
                "vehicle": ids.shift(r.shift_id),
                "engineer": r.engineer_id,
                "cost": cost,
                "service": r.service,
                "duration": r.travel_time,
                "waiting_time": r.waiting_time,
                "priority": sum(jobs[j].priority for j in r.job_ids()),
                "distance": r.distance,
                "lateness": r.lateness,
                "steps": steps,
            }
        )
    unassigned = [
        {
            "id": ids.job(u.job_id),
            "type": "job",
            **_where(problem, ids, jobs[u.job_id].location if u.job_id in jobs else None),
            "reason": u.reason.value,
            "detail": u.detail,
        }
        for u in solution.unassigned
    ]
    sm = solution.summary
    summary = {
        "cost": total_cost,
        "routes": sm.routes,
        "unassigned": sm.unassigned,
        "service": sm.service,
        "duration": sm.travel_time,
        "waiting_time": sm.waiting_time,
        "priority": sm.served_priority,
        "distance": sm.distance,
        "lateness": sm.lateness,
        "late_jobs": sm.late_jobs,
        "objective": sm.cost,
        "computing_times": {"loading": loading_ms, "solving": round(sm.wall_time * 1000)},
    }
    return {
        "code": 0,
        "status": solution.status.value,
        "summary": summary,
        "unassigned": unassigned,
        "routes": routes,
    }


def _where(problem: Problem, ids: IdMap, loc: int | None) -> dict[str, Any]:
    if loc is None or loc in ids.hidden_locations:
        return {}
    out: dict[str, Any] = {}
    place = problem.locations[loc]
    if place.lat is not None and place.lon is not None:
        out["location"] = [place.lon, place.lat]
    if ids.index_locations:
        out["location_index"] = loc
    if loc < len(ids.location_ids):
        out["location_id"] = ids.location_ids[loc]
    return out

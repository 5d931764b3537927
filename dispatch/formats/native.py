"""The project's own JSON problem format (see docs/formats.md and docs/problem.schema.json).

Units are those of the solver, so the mapping is one-to-one: integer seconds from the horizon
start, metres, WGS84 decimal degrees. Places are declared once in ``locations`` and referred to
by id, which keeps a matrix's row order explicit. Validation happens in two passes with the
same ``path: reason`` messages: field by field (pydantic), then across fields (references,
duplicates, matrix shape) and through the solver's own constructors.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    Field,
    PositiveFloat,
    PositiveInt,
    StrictInt,
    ValidationError,
    model_validator,
)

from dispatch.formats._common import (
    FORBID,
    Id,
    Latitude,
    Longitude,
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
    FirstSolution,
    Job,
    Location,
    Metaheuristic,
    Problem,
    Shift,
    SolveParams,
    TimeWindow,
)

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "docs" / "problem.schema.json"


class NativeLocation(BaseModel):
    """A place jobs and shifts refer to by ``id``; coordinates are needed unless a matrix is given."""

    model_config = FORBID
    id: Id
    lat: Latitude | None = None
    lon: Longitude | None = None
    name: str = ""

    @model_validator(mode="after")
    def _both_or_neither(self) -> NativeLocation:
        if (self.lat is None) != (self.lon is None):
            raise ValueError("lat and lon must be given together")
        return self


class NativeMatrix(BaseModel):
    """Travel between ``locations``, rows and columns in their order."""

    model_config = FORBID
    durations: list[list[NonNegInt]] = Field(description="Travel seconds; durations[i][j] is from i to j.")
    distances: list[list[NonNegInt]] | None = Field(
        default=None, description="Metres; estimated from coordinates when absent (else 0)."
    )


class NativeJob(BaseModel):
    """One visit; see `solver.model.Job` for each field's meaning."""

    model_config = FORBID
    id: Id
    location: Id = Field(description="A location id.")
    description: str = ""
    service: Seconds = 0
    time_windows: list[Window] = Field(
        default_factory=list, description="Allowed service starts; empty = any time."
    )
    skills: dict[Id, NonNegInt] = Field(default_factory=dict, description="Skill name -> minimum level.")
    deadline: Seconds | None = Field(default=None, description="SLA: latest promised service start.")
    sla_tier: NonNegInt = 0
    priority: Priority = 0
    delivery: list[NonNegInt] = Field(default_factory=list)
    pickup: list[NonNegInt] = Field(default_factory=list)
    pinned_engineer: Id | None = None
    pinned_rank: StrictInt | None = Field(
        default=None, description="Visit order among the pinned engineer's jobs."
    )
    fixed_start: Seconds | None = None
    previous_engineer: Id | None = None


class NativeBreak(BaseModel):
    model_config = FORBID
    id: Id
    time_windows: list[Window] = Field(min_length=1, description="Allowed break starts.")
    duration: Seconds


class NativeShift(BaseModel):
    """One engineer's working period: the solver's vehicle."""

    model_config = FORBID
    id: Id
    engineer: Id
    start: Id = Field(description="Location id the shift leaves from.")
    end: Id | None = Field(default=None, description="Location id to return to; null/absent = open route.")
    time_window: Window = Field(description="Leave start no earlier, reach end no later.")
    skills: dict[Id, NonNegInt] = Field(default_factory=dict)
    breaks: list[NativeBreak] = Field(default_factory=list)
    capacity: list[NonNegInt] = Field(default_factory=list)
    max_jobs: NonNegInt | None = None


class NativeOptions(BaseModel):
    """Solver settings a problem file may carry; absent keys keep `solver.SolveParams` defaults."""

    model_config = FORBID
    time_limit: PositiveFloat | None = None
    solution_limit: PositiveInt | None = None
    stall_time: PositiveFloat | None = None
    arc_cost: ArcCost | None = None
    first_solution: FirstSolution | None = None
    metaheuristic: Metaheuristic | None = None
    hard_deadlines: bool | None = None
    late_cost_per_minute: Annotated[list[NonNegInt], Field(min_length=1)] | None = None
    unassigned_cost: NonNegInt | None = None
    unassigned_cost_per_priority: NonNegInt | None = None
    urgent_unassigned_cost: NonNegInt | None = None
    stability_cost: NonNegInt | None = None

    def apply(self, params: SolveParams | None = None) -> SolveParams:
        """``params`` (default: solver defaults) with this file's settings on top."""
        changes: dict[str, Any] = {
            k: tuple(v) if isinstance(v, list) else v for k, v in self.model_dump(exclude_none=True).items()
        }
        try:
            return dataclasses.replace(params or SolveParams(), **changes)
        except ValueError as exc:
            raise FormatError([at("options", str(exc))]) from None


class NativeInput(BaseModel):
    """A dispatch problem: places, travel, jobs, engineer shifts and solver options."""

    model_config = FORBID
    name: str = ""
    date: dt.date | None = Field(default=None, description="The plan day (informative); times count from it.")
    locations: list[NativeLocation] = Field(min_length=1)
    matrix: NativeMatrix | None = None
    jobs: list[NativeJob] = Field(default_factory=list)
    shifts: list[NativeShift] = Field(default_factory=list)
    options: NativeOptions = Field(default_factory=NativeOptions)


def load_native(data: object) -> NativeInput:
    """Validate decoded JSON field by field; raises `FormatError`."""
    try:
        return NativeInput.model_validate(data)
    except ValidationError as exc:
        raise from_validation_error(exc) from None


def native_json_schema() -> dict[str, Any]:
    return NativeInput.model_json_schema()


def schema_text() -> str:
    """The schema as committed in docs/problem.schema.json."""
    return json.dumps(native_json_schema(), indent=2, ensure_ascii=False) + "\n"


def to_problem(doc: NativeInput) -> tuple[Problem, NativeOptions]:
    """The solver problem and the file's options; raises `FormatError` listing every error."""
    errors: list[str] = []
    loc_index = _unique_ids([loc.id for loc in doc.locations], "locations", "location", errors)
    _unique_ids([j.id for j in doc.jobs], "jobs", "job", errors)
    _unique_ids([s.id for s in doc.shifts], "shifts", "shift", errors)
    engineers = {s.engineer for s in doc.shifts}

    def ref(loc_id: str, path: str) -> int:
        if loc_id not in loc_index:
            errors.append(at(path, f"unknown location {loc_id!r}"))
            return 0
        return loc_index[loc_id]

    n = len(doc.locations)
    if doc.matrix is not None:
        errors += check_square(doc.matrix.durations, n, "matrix.durations")
        if doc.matrix.distances is not None:
            errors += check_square(doc.matrix.distances, n, "matrix.distances")
    else:
        errors += [
            at(f"locations[{i}]", f"location {loc.id!r} has no lat/lon, and no matrix is given")
            for i, loc in enumerate(doc.locations)
            if loc.lat is None
        ]

    dims = len(doc.shifts[0].capacity) if doc.shifts else 0
    shifts: list[Shift] = []
    for i, s in enumerate(doc.shifts):
        path = f"shifts[{i}]"
        if len(s.capacity) != dims:
            errors.append(at(f"{path}.capacity", f"has {len(s.capacity)} dimensions, shifts[0] has {dims}"))
        start = ref(s.start, f"{path}.start")
        end = None if s.end is None else ref(s.end, f"{path}.end")
        breaks = [
            build(
                errors,
                f"{path}.breaks[{k}]",
                Break,
                id=b.id,
                duration=b.duration,
                time_windows=tws(b.time_windows),
            )
            for k, b in enumerate(s.breaks)
        ]
        shift = build(
            errors,
            path,
            Shift,
            id=s.id,
            engineer_id=s.engineer,
            start=start,
            end=end,
            time_window=TimeWindow(start=s.time_window[0], end=s.time_window[1]),
            skills=tuple(s.skills.items()),
            breaks=tuple(b for b in breaks if b is not None),
            capacity=tuple(s.capacity),
            max_jobs=s.max_jobs,
        )
        if shift is not None:
            shifts.append(shift)

    jobs: list[Job] = []
    for i, j in enumerate(doc.jobs):
        path = f"jobs[{i}]"
        for name in ("delivery", "pickup"):
            amounts: list[int] = getattr(j, name)
            if amounts and len(amounts) != dims:
                errors.append(
                    at(f"{path}.{name}", f"has {len(amounts)} dimensions, shift capacity has {dims}")
                )
        if j.pinned_engineer is not None and j.pinned_engineer not in engineers:
            errors.append(at(f"{path}.pinned_engineer", f"no shift of engineer {j.pinned_engineer!r}"))
        job = build(
            errors,
            path,
            Job,
            id=j.id,
            location=ref(j.location, f"{path}.location"),
            service=j.service,
            time_windows=tws(j.time_windows),
            skills=tuple(j.skills.items()),
            deadline=j.deadline,
            sla_tier=j.sla_tier,
            priority=j.priority,
            delivery=tuple(j.delivery),
            pickup=tuple(j.pickup),
            pinned_engineer=j.pinned_engineer,
            pinned_rank=j.pinned_rank,
            fixed_start=j.fixed_start,
            previous_engineer=j.previous_engineer,
        )
        if job is not None:
            jobs.append(job)

    if errors:
        raise FormatError(errors)
    locations = tuple(Location(lat=loc.lat, lon=loc.lon, name=loc.name or loc.id) for loc in doc.locations)
    matrix = travel_matrix(
        locations,
        doc.matrix.durations if doc.matrix else None,
        doc.matrix.distances if doc.matrix else None,
    )
    try:
        problem = Problem(locations=locations, matrix=matrix, jobs=tuple(jobs), shifts=tuple(shifts))
    except ValueError as exc:  # cross-checks the passes above do not repeat
        raise FormatError([at("(root)", str(exc))]) from None
    return problem, doc.options


def _unique_ids(ids: list[str], path: str, what: str, errors: list[str]) -> dict[str, int]:
    index: dict[str, int] = {}
    for i, value in enumerate(ids):
        if value in index:
            errors.append(
                at(f"{path}[{i}].id", f"duplicate {what} id {value!r} (first at {path}[{index[value]}])")
            )
        else:
            index[value] = i
    return index


def problem_from_native(data: object) -> tuple[Problem, NativeOptions]:
    """Decoded JSON straight to a problem; raises `FormatError`."""
    return to_problem(load_native(data))

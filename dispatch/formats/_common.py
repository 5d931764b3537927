"""Field types and travel-matrix assembly shared by the exchange formats."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Annotated, Any, TypeVar

import numpy as np
from pydantic import AfterValidator, ConfigDict, Field, StrictInt

from solver.model import Location, TimeWindow, TravelMatrix
from solver.travel import GreatCircleProvider, haversine_matrix

# Strict integers: a float or a numeric string in a time field is a mistake worth reporting,
# not something to round silently.
NonNegInt = Annotated[StrictInt, Field(ge=0)]
Seconds = Annotated[StrictInt, Field(ge=0, description="Seconds from the horizon start.")]
Priority = Annotated[StrictInt, Field(ge=0, le=100)]
Latitude = Annotated[float, Field(ge=-90, le=90, description="WGS84 latitude, decimal degrees.")]
Longitude = Annotated[float, Field(ge=-180, le=180, description="WGS84 longitude, decimal degrees.")]
Id = Annotated[str, Field(min_length=1)]


def _window(value: tuple[int, int]) -> tuple[int, int]:
    start, end = value
    if end < start:
        raise ValueError(f"end {end} is before start {start}")
    return value


Window = Annotated[tuple[Seconds, Seconds], AfterValidator(_window)]
"""``[start, end]``, both inclusive."""

FORBID = ConfigDict(extra="forbid", frozen=True)


def check_square(rows: Sequence[Sequence[int]], size: int, path: str) -> list[str]:
    """Errors for a matrix that is not ``size`` × ``size``."""
    if len(rows) != size:
        return [f"{path}: has {len(rows)} rows, expected {size} (one per location)"]
    return [
        f"{path}[{i}]: has {len(row)} entries, expected {size}"
        for i, row in enumerate(rows)
        if len(row) != size
    ]


def travel_matrix(
    locations: Sequence[Location],
    durations: Sequence[Sequence[int]] | None,
    distances: Sequence[Sequence[int]] | None,
) -> TravelMatrix:
    """The given matrices, or great-circle travel from coordinates for what is missing.

    Durations without distances is common (VROOM's ``matrix``); distances are then estimated
    from coordinates when every location has them, else reported as 0.
    """
    if durations is None:
        return GreatCircleProvider().matrix(locations)
    d = np.asarray(durations, dtype=np.int64).reshape(len(locations), len(locations))
    if distances is not None:
        m = np.asarray(distances, dtype=np.int64).reshape(d.shape)
    elif all(loc.lat is not None and loc.lon is not None for loc in locations) and locations:
        road = haversine_matrix(
            [float(loc.lat or 0.0) for loc in locations], [float(loc.lon or 0.0) for loc in locations]
        )
        m = np.rint(road * GreatCircleProvider().profile.circuity).astype(np.int64)
    else:
        m = np.zeros_like(d)
    return TravelMatrix(durations=d, distances=m)


T = TypeVar("T")


def tws(windows: Sequence[tuple[int, int]]) -> tuple[TimeWindow, ...]:
    return tuple(TimeWindow(start=s, end=e) for s, e in windows)


def build(errors: list[str], path: str, cls: Callable[..., T], **kwargs: Any) -> T | None:
    """``cls(**kwargs)``, a `ValueError` of the solver's constructors recorded under ``path``."""
    try:
        return cls(**kwargs)
    except ValueError as exc:
        errors.append(f"{path}: {exc}")
        return None

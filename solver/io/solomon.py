"""Solomon (1987) VRPTW text instances.

Time and distance are Euclidean in the plane. The solver works in integers, so values are
scaled by ``scale``: travel *durations* are rounded up (a schedule feasible with them is
feasible with exact distances), travel *costs* are rounded to nearest. True distances of a
plan are recomputed from the coordinates by `exact_distance`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

from solver.model import (
    ArcCost,
    FirstSolution,
    Job,
    Location,
    Problem,
    Shift,
    SolveParams,
    TimeWindow,
    TravelMatrix,
)
from solver.travel import euclidean_matrix

DEFAULT_SCALE = 100


def solomon_params(time_limit: float = 10.0) -> SolveParams:
    """Search settings measured best on Solomon (benchmarks/tune_search.py, BENCHMARKS.md):
    distance as the cost, PATH_CHEAPEST_ARC first (field-service days prefer parallel
    cheapest insertion, the default), one model without regional decomposition, and two searches
    (PATH_CHEAPEST_ARC and PARALLEL_CHEAPEST_INSERTION starts) in half the time each: on
    clustered instances the second start reaches the optimum where one 30 s search stays 3-8 %
    above it."""
    return SolveParams(
        time_limit=time_limit,
        arc_cost=ArcCost.DISTANCE,
        first_solution=FirstSolution.PATH_CHEAPEST_ARC,
        first_solutions=(FirstSolution.PATH_CHEAPEST_ARC, FirstSolution.PARALLEL_CHEAPEST_INSERTION),
        region_jobs=0,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class SolomonInstance:
    name: str
    vehicles: int
    capacity: int
    x: tuple[float, ...]  # index 0 is the depot, then customers 1..n
    y: tuple[float, ...]
    demand: tuple[int, ...]
    ready: tuple[int, ...]
    due: tuple[int, ...]
    service: tuple[int, ...]

    def to_problem(self, scale: int = DEFAULT_SCALE) -> Problem:
        """Jobs are named by customer number; shifts ``v1..vK`` all start and end at the depot."""
        durations, costs = euclidean_matrix(self.x, self.y, scale)
        n = len(self.x)
        jobs = tuple(
            Job(
                id=str(i),
                location=i,
                service=self.service[i] * scale,
                time_windows=(TimeWindow(start=self.ready[i] * scale, end=self.due[i] * scale),),
                delivery=(self.demand[i],),
            )
            for i in range(1, n)
        )
        horizon = TimeWindow(start=self.ready[0] * scale, end=self.due[0] * scale)
        shifts = tuple(
            Shift(
                id=f"v{k}",
                engineer_id=f"v{k}",
                start=0,
                end=0,
                time_window=horizon,
                capacity=(self.capacity,),
            )
            for k in range(1, self.vehicles + 1)
        )
        return Problem(
            locations=tuple(Location(name=str(i)) for i in range(n)),
            matrix=TravelMatrix(durations=durations, distances=costs),
            jobs=jobs,
            shifts=shifts,
        )

    def exact_distance(self, routes: Sequence[Sequence[int]]) -> float:
        """Total Euclidean length of depot-to-depot routes given as customer numbers."""
        total = 0.0
        for route in routes:
            stops = [0, *route, 0]
            total += sum(math.hypot(self.x[a] - self.x[b], self.y[a] - self.y[b]) for a, b in pairwise(stops))
        return total


def parse_solomon(text: str, name: str = "") -> SolomonInstance:
    """Parse Solomon's format; a malformed file raises ValueError naming the line."""
    lines = text.splitlines()
    title = next((ln.strip() for ln in lines if ln.strip()), name)
    vehicles = capacity = None
    rows: list[list[int]] = []
    section = ""
    for lineno, raw in enumerate(lines, start=1):
        line = raw.strip()
        upper = line.upper()
        if not line:
            continue
        if upper.startswith("VEHICLE"):
            section = "vehicle"
            continue
        if upper.startswith("CUSTOMER"):
            section = "customer"
            continue
        if upper.startswith(("NUMBER", "CUST")):
            continue
        if section == "vehicle" and vehicles is None:
            parts = line.split()
            if len(parts) != 2:
                raise ValueError(f"line {lineno}: expected 'NUMBER CAPACITY', got {line!r}")
            vehicles, capacity = (_int(p, lineno, "vehicle") for p in parts)
        elif section == "customer":
            parts = line.split()
            if len(parts) != 7:
                raise ValueError(f"line {lineno}: a customer row needs 7 numbers, got {len(parts)}")
            rows.append([_int(p, lineno, "customer") for p in parts])
    if vehicles is None or capacity is None:
        raise ValueError("missing VEHICLE section (NUMBER CAPACITY)")
    if not rows:
        raise ValueError("missing CUSTOMER rows")
    for k, row in enumerate(rows):
        if row[0] != k:
            raise ValueError(f"customer rows must be numbered 0..n in order; row {k} is numbered {row[0]}")
        if row[5] < row[4]:
            raise ValueError(f"customer {k}: due date {row[5]} is before ready time {row[4]}")
    cols = list(zip(*rows, strict=True))
    return SolomonInstance(
        name=title,
        vehicles=vehicles,
        capacity=capacity,
        x=tuple(float(v) for v in cols[1]),
        y=tuple(float(v) for v in cols[2]),
        demand=tuple(cols[3]),
        ready=tuple(cols[4]),
        due=tuple(cols[5]),
        service=tuple(cols[6]),
    )


def read_solomon(path: str | Path) -> SolomonInstance:
    p = Path(path)
    return parse_solomon(p.read_text(), name=p.stem)


def _int(token: str, lineno: int, what: str) -> int:
    try:
        value = float(token)
    except ValueError:
        raise ValueError(f"line {lineno}: {what} value {token!r} is not a number") from None
    if value != int(value):
        raise ValueError(f"line {lineno}: {what} value {token!r} is not an integer")
    return int(value)

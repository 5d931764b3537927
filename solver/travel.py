"""Travel-time and distance matrices.

The default provider needs no network: great-circle distance (vectorised haversine) times a
road-circuity factor, driven at a speed that depends on trip length (short urban hops are
slow, long trips use faster roads). A road-network service (OSRM, Valhalla) plugs in by
implementing `TravelProvider`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from geopy.distance import great_circle

from solver.model import IntArray, Location, TravelMatrix

EARTH_RADIUS_M = 6_371_009.0  # geopy.distance.EARTH_RADIUS, so both agree


def great_circle_m(a: Location, b: Location) -> float:
    """Great-circle distance in metres between two located points (geopy, for single pairs)."""
    if a.lat is None or a.lon is None or b.lat is None or b.lon is None:
        raise ValueError("Both locations need coordinates.")
    return float(great_circle((a.lat, a.lon), (b.lat, b.lon)).meters)


def haversine_matrix(lat: Sequence[float], lon: Sequence[float]) -> np.ndarray:
    """All-pairs great-circle distances in metres, as floats (vectorised haversine)."""
    phi = np.radians(np.asarray(lat, dtype=np.float64))
    lam = np.radians(np.asarray(lon, dtype=np.float64))
    dphi = phi[:, None] - phi[None, :]
    dlam = lam[:, None] - lam[None, :]
    h = np.sin(dphi / 2) ** 2 + np.cos(phi)[:, None] * np.cos(phi)[None, :] * np.sin(dlam / 2) ** 2
    out: np.ndarray = 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))
    return out


@dataclass(frozen=True, slots=True, kw_only=True)
class SpeedProfile:
    """Average road speed by trip length: ``bands[i] = (up_to_metres, km_per_hour)``.

    The last band applies beyond its bound too. Defaults suit a dense metropolitan region.
    """

    bands: tuple[tuple[float, float], ...] = (
        (3_000.0, 20.0),
        (15_000.0, 32.0),
        (50_000.0, 50.0),
        (math.inf, 70.0),
    )
    circuity: float = 1.35

    def __post_init__(self) -> None:
        if not self.bands or any(kmh <= 0 for _, kmh in self.bands):
            raise ValueError("Speed profile needs bands with positive speeds.")
        if self.circuity < 1.0:
            raise ValueError("Road circuity factor must be at least 1.")

    def seconds(self, road_m: np.ndarray) -> np.ndarray:
        """Travel seconds for road distances, integrating speed piecewise over the trip."""
        remaining = road_m.astype(np.float64)
        total = np.zeros_like(remaining)
        lower = 0.0
        for upper, kmh in self.bands:
            span = min(upper, 1e18) - lower
            part = np.clip(remaining, 0.0, span)
            total += part / (kmh / 3.6)
            remaining = remaining - part
            lower = upper
        return total


class TravelProvider(Protocol):
    """Anything that turns located points into a travel matrix (e.g. an OSRM client)."""

    def matrix(self, locations: Sequence[Location]) -> TravelMatrix: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class GreatCircleProvider:
    """Offline default: great circle × circuity at the profile's speeds, rounded up to whole seconds."""

    profile: SpeedProfile = SpeedProfile()

    def matrix(self, locations: Sequence[Location]) -> TravelMatrix:
        lat, lon = [], []
        for i, loc in enumerate(locations):
            if loc.lat is None or loc.lon is None:
                raise ValueError(f"Location {i} has no coordinates; give a travel matrix instead.")
            lat.append(loc.lat)
            lon.append(loc.lon)
        road = haversine_matrix(lat, lon) * self.profile.circuity
        durations: IntArray = np.ceil(self.profile.seconds(road)).astype(np.int64)
        distances: IntArray = np.rint(road).astype(np.int64)
        return TravelMatrix(durations=durations, distances=distances)


def travel_rows(
    origins: Sequence[Location], targets: Sequence[Location], provider: GreatCircleProvider | None = None
) -> tuple[IntArray, IntArray]:
    """Durations and distances from each of ``origins`` to each of ``targets`` (one
    vectorised call for many routes at once; great-circle travel is symmetric)."""
    provider = provider or GreatCircleProvider()
    lat_o = np.radians(np.asarray([o.lat for o in origins], dtype=np.float64))
    lon_o = np.radians(np.asarray([o.lon for o in origins], dtype=np.float64))
    lat_t = np.radians(np.asarray([t.lat for t in targets], dtype=np.float64))
    lon_t = np.radians(np.asarray([t.lon for t in targets], dtype=np.float64))
    h = (
        np.sin((lat_o[:, None] - lat_t[None, :]) / 2) ** 2
        + np.cos(lat_o)[:, None] * np.cos(lat_t)[None, :] * np.sin((lon_o[:, None] - lon_t[None, :]) / 2) ** 2
    )
    road = 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0))) * provider.profile.circuity
    durations: IntArray = np.ceil(provider.profile.seconds(road)).astype(np.int64)
    distances: IntArray = np.rint(road).astype(np.int64)
    return durations, distances


def grow_matrix(
    base: TravelMatrix, to_base: tuple[IntArray, IntArray], among: tuple[IntArray, IntArray]
) -> TravelMatrix:
    """``base`` with k locations appended: ``to_base`` holds their k × n travel to the base
    locations (and back: symmetric), ``among`` their k × k travel among themselves."""
    n, k = base.size, among[0].shape[0]
    out = []
    for base_part, rows, corner in (
        (base.durations, to_base[0], among[0]),
        (base.distances, to_base[1], among[1]),
    ):
        grown = np.empty((n + k, n + k), dtype=np.int64)
        grown[:n, :n] = base_part
        grown[n:, :n] = rows
        grown[:n, n:] = rows.T
        grown[n:, n:] = corner
        out.append(grown)
    return TravelMatrix.trusted(out[0], out[1])  # square, int64, non-negative by construction


def euclidean_matrix(x: Sequence[float], y: Sequence[float], scale: int) -> tuple[IntArray, IntArray]:
    """Fixed-point Euclidean travel for planar instances (Solomon).

    Durations are rounded *up* so any schedule feasible with them is feasible with exact
    distances; costs are rounded to nearest so the objective tracks the true distance.
    """
    xs = np.asarray(x, dtype=np.float64)
    ys = np.asarray(y, dtype=np.float64)
    exact = np.hypot(xs[:, None] - xs[None, :], ys[:, None] - ys[None, :]) * scale
    durations: IntArray = np.ceil(exact - 1e-9).astype(np.int64)
    costs: IntArray = np.rint(exact).astype(np.int64)
    return durations, costs

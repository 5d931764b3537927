from __future__ import annotations

import numpy as np
import pytest

from solver import Location
from solver.travel import (
    GreatCircleProvider,
    SpeedProfile,
    euclidean_matrix,
    great_circle_m,
    haversine_matrix,
)

# Guangzhou Tianhe, Shenzhen Futian, Foshan Chancheng
CITIES = [
    Location(lat=23.1247, lon=113.3612),
    Location(lat=22.5410, lon=114.0547),
    Location(lat=23.0215, lon=113.1214),
]


def test_vectorised_haversine_matches_geopy() -> None:
    m = haversine_matrix([c.lat or 0 for c in CITIES], [c.lon or 0 for c in CITIES])
    for i, a in enumerate(CITIES):
        for j, b in enumerate(CITIES):
            assert m[i, j] == pytest.approx(great_circle_m(a, b), rel=1e-7, abs=1e-3)
    assert 90_000 < m[0, 1] < 100_000  # Guangzhou–Shenzhen is about 95 km as the crow flies


def test_provider_applies_circuity_and_speed() -> None:
    profile = SpeedProfile()
    matrix = GreatCircleProvider(profile=profile).matrix(CITIES)
    crow = great_circle_m(CITIES[0], CITIES[1])
    assert matrix.distances[0, 1] == round(crow * profile.circuity)
    hours = matrix.durations[0, 1] / 3600
    assert 1.2 < hours < 2.5  # a realistic Guangzhou–Shenzhen drive
    assert (np.diag(matrix.durations) == 0).all()


def test_longer_trips_are_faster_on_average() -> None:
    profile = SpeedProfile()
    metres = np.array([1_000.0, 10_000.0, 100_000.0])
    speeds = metres / profile.seconds(metres)
    assert speeds[0] < speeds[1] < speeds[2]


def test_provider_refuses_locations_without_coordinates() -> None:
    with pytest.raises(ValueError, match="Location 1 has no coordinates"):
        GreatCircleProvider().matrix([CITIES[0], Location()])


def test_solomon_rounding_keeps_durations_conservative() -> None:
    durations, costs = euclidean_matrix([0.0, 1.0], [0.0, 1.0], scale=100)
    assert durations[0, 1] == 142  # ceil(141.42)
    assert costs[0, 1] == 141

"""Growing a cached travel matrix by a few new points gives exactly the full matrix."""

from __future__ import annotations

import numpy as np

from solver.model import Location
from solver.travel import GreatCircleProvider, grow_matrix, travel_rows


def test_a_grown_matrix_equals_the_matrix_of_all_points() -> None:
    rng = np.random.default_rng(3)
    base = [
        Location(lat=float(a), lon=float(b))
        for a, b in zip(rng.uniform(22.5, 23.5, 7), rng.uniform(113, 114, 7), strict=True)
    ]
    extra = [Location(lat=23.1, lon=113.3), Location(lat=22.9, lon=113.9)]
    provider = GreatCircleProvider()
    rows = travel_rows(extra, [*extra, *base], provider)
    k = len(extra)
    grown = grow_matrix(
        provider.matrix(base), (rows[0][:, k:], rows[1][:, k:]), (rows[0][:, :k], rows[1][:, :k])
    )
    full = provider.matrix([*base, *extra])
    assert np.array_equal(grown.durations, full.durations)
    assert np.array_equal(grown.distances, full.distances)
    assert not grown.durations.flags.writeable

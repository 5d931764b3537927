"""Small native and VROOM documents to mutate in tests (no database needed for formats)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

DATA = Path(__file__).resolve().parents[1] / "data"
ROOT = Path(__file__).resolve().parents[2]

NATIVE: dict[str, Any] = {
    "name": "two jobs",
    "locations": [
        {"id": "depot", "lat": 23.1372, "lon": 113.3291},
        {"id": "a", "lat": 23.1290, "lon": 113.2668, "name": "Yuexiu"},
        {"id": "b", "lat": 23.0838, "lon": 113.3172},
    ],
    "jobs": [
        {
            "id": "J1",
            "location": "a",
            "service": 1800,
            "time_windows": [[28800, 36000]],
            "skills": {"aircon": 1},
        },
        {"id": "J2", "location": "b", "service": 2700, "deadline": 43200, "sla_tier": 2, "priority": 70},
    ],
    "shifts": [
        {
            "id": "chen-day",
            "engineer": "chen",
            "start": "depot",
            "end": "depot",
            "time_window": [28800, 61200],
            "skills": {"aircon": 2},
            "breaks": [{"id": "lunch", "time_windows": [[43200, 48600]], "duration": 1800}],
        }
    ],
    "options": {"time_limit": 1, "solution_limit": 50},
}


@pytest.fixture
def native() -> dict[str, Any]:
    return copy.deepcopy(NATIVE)


@pytest.fixture
def vroom_small() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DATA / "vroom_small.json").read_text())
    return data

"""Generate ``small_day.json``: one Guangzhou working day in the native problem format.

Seeded, so the committed file is reproducible (a test regenerates and compares it):

    .venv/bin/python data/samples/make_small_day.py            # rewrites small_day.json
    .venv/bin/python data/samples/make_small_day.py -o x.json

Six engineers with mixed appliance skills leave one of two depots at 08:00 and are back by
17:00 with a 30-minute lunch starting 12:00-13:30; customers across the central districts book
2-4 hour slots; a third of the jobs carry an SLA deadline. Four jobs cannot be served, each
for a different, visible reason (a skill nobody has, a level nobody reaches, an evening slot,
a far-away early slot), so the summary shows why jobs stay unassigned.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path
from typing import Any

SEED = 20250603
HOUR = 3600
OUT = Path(__file__).with_name("small_day.json")

# District centres (lat, lon), WGS84.
DISTRICTS = {
    "Tianhe": (23.1249, 113.3612),
    "Yuexiu": (23.1290, 113.2668),
    "Haizhu": (23.0838, 113.3172),
    "Liwan": (23.1259, 113.2442),
    "Baiyun": (23.1648, 113.2730),
    "Panyu": (22.9379, 113.3845),
    "Huangpu": (23.1064, 113.4599),
}
DISTRICT_WEIGHTS = {"Tianhe": 6, "Yuexiu": 5, "Haizhu": 5, "Liwan": 3, "Baiyun": 4, "Panyu": 3, "Huangpu": 3}
DEPOTS = {
    "depot-tianhe": ("Tianhe depot", 23.1372, 113.3291),
    "depot-haizhu": ("Haizhu depot", 23.0951, 113.2873),
}

ENGINEERS: dict[str, tuple[str, dict[str, int]]] = {
    "chen": ("depot-tianhe", {"aircon": 3, "fridge": 2}),
    "li": ("depot-tianhe", {"aircon": 2, "water_heater": 2}),
    "wang": ("depot-haizhu", {"washer": 2, "fridge": 2, "tv": 1}),
    "zhang": ("depot-haizhu", {"tv": 2, "washer": 1, "aircon": 1}),
    "liu": ("depot-tianhe", {"water_heater": 2, "washer": 2}),
    "huang": ("depot-haizhu", {"aircon": 2, "tv": 2, "fridge": 1}),
}

# appliance: (weight, service minutes range)
APPLIANCES = {
    "aircon": (35, (40, 75)),
    "washer": (20, (40, 60)),
    "fridge": (15, (45, 75)),
    "tv": (15, (30, 60)),
    "water_heater": (15, (40, 60)),
}
SLOTS = [(8, 10), (8, 12), (9, 12), (10, 12), (10, 13), (12, 14), (13, 15), (13, 16), (14, 16)]
# SLA tier: (name, latest on-site hour, priority)
TIERS = {1: ("Standard", 16, 50), 2: ("Gold", 14, 70), 3: ("P1", 12, 90)}
N_REGULAR = 36


def _site(rng: random.Random, district: str) -> tuple[float, float]:
    lat, lon = DISTRICTS[district]
    return round(lat + rng.uniform(-0.015, 0.015), 5), round(lon + rng.uniform(-0.015, 0.015), 5)


def build(seed: int = SEED) -> dict[str, Any]:
    rng = random.Random(seed)
    locations: list[dict[str, Any]] = [
        {"id": lid, "name": name, "lat": lat, "lon": lon} for lid, (name, lat, lon) in DEPOTS.items()
    ]
    jobs: list[dict[str, Any]] = []

    def add_job(district: str, site: tuple[float, float], what: str, level: int, **extra: Any) -> None:
        n = len(jobs) + 1
        loc_id = f"site-{n:02d}"
        locations.append(
            {"id": loc_id, "name": f"{district} customer {n:02d}", "lat": site[0], "lon": site[1]}
        )
        job: dict[str, Any] = {
            "id": f"J{n:02d}",
            "location": loc_id,
            "description": f"{district}: {what.replace('_', ' ')} repair",
            "skills": {what: level},
        }
        job.update(extra)
        jobs.append(job)

    districts = list(DISTRICT_WEIGHTS)
    appliances = list(APPLIANCES)
    for _ in range(N_REGULAR):
        district = rng.choices(districts, weights=[DISTRICT_WEIGHTS[d] for d in districts])[0]
        what = rng.choices(appliances, weights=[APPLIANCES[a][0] for a in appliances])[0]
        lo, hi = APPLIANCES[what][1]
        service = rng.randrange(lo, hi + 1, 5) * 60
        start_h, end_h = rng.choice(SLOTS)
        extra: dict[str, Any] = {"service": service, "time_windows": [[start_h * HOUR, end_h * HOUR]]}
        if rng.random() < 0.35:
            tier = rng.choice([1, 1, 2, 2, 3])
            latest = max(start_h + 1, min(end_h, TIERS[tier][1]))
            extra.update(deadline=latest * HOUR, sla_tier=tier, priority=TIERS[tier][2])
        else:
            extra["priority"] = rng.randrange(0, 45, 5)
        add_job(district, _site(rng, district), what, 2 if rng.random() < 0.3 else 1, **extra)

    # The unservable four, one per reason.
    add_job("Tianhe", _site(rng, "Tianhe"), "dishwasher", 1, service=3600, priority=30)
    add_job("Yuexiu", _site(rng, "Yuexiu"), "tv", 3, service=2700, time_windows=[[10 * HOUR, 14 * HOUR]])
    add_job("Haizhu", _site(rng, "Haizhu"), "washer", 1, service=2700, time_windows=[[19 * HOUR, 21 * HOUR]])
    add_job(
        "Conghua",
        (23.5485, 113.5865),
        "aircon",
        1,
        service=3600,
        time_windows=[[8 * HOUR, 8 * HOUR + 1800]],
        priority=40,
    )

    shifts = [
        {
            "id": f"{name}-day",
            "engineer": name,
            "start": depot,
            "end": depot,
            "time_window": [8 * HOUR, 17 * HOUR],
            "skills": skills,
            "breaks": [{"id": "lunch", "time_windows": [[12 * HOUR, 13 * HOUR + 1800]], "duration": 1800}],
        }
        for name, (depot, skills) in ENGINEERS.items()
    ]
    return {
        "name": "Guangzhou small day",
        "date": "2025-06-03",
        "locations": locations,
        "jobs": jobs,
        "shifts": shifts,
        "options": {"time_limit": 10},
    }


def render(seed: int = SEED) -> str:
    return json.dumps(build(seed), indent=2, ensure_ascii=False) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("-o", "--output", type=Path, default=OUT)
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args()
    args.output.write_text(render(args.seed), encoding="utf-8")


if __name__ == "__main__":
    main()

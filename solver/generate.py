"""Seeded synthetic field-service days for scale tests and benchmarks.

A metro region around Guangzhou and the Pearl River Delta: jobs cluster around district
centres weighted by population, engineers live spread out across the same districts, so
supply roughly follows demand as it does in a real territory. A small crew covers central
Guangzhou only; the territory takes in more districts as the crew grows (about 20 engineers
per district), up to the whole delta. Everything is drawn from one
``numpy`` generator, so a seed fixes the day exactly. Times are seconds from 00:00 of the day.

Only the standard library and numpy are used (plus `solver.travel` for the matrix), so the
generator runs wherever the solver does.
"""

from __future__ import annotations

import math

import numpy as np

from solver.model import Break, Job, Location, Problem, Shift, TimeWindow
from solver.travel import GreatCircleProvider

HOUR = 3600
MINUTE = 60

LAT_RANGE = (22.5, 23.4)
LON_RANGE = (112.9, 114.2)

# (name, lat, lon, relative weight): district centres of the Pearl River Delta metro area.
DISTRICTS: tuple[tuple[str, float, float, float], ...] = (
    ("Tianhe", 23.125, 113.361, 1.6),
    ("Yuexiu", 23.129, 113.267, 1.2),
    ("Haizhu", 23.084, 113.317, 1.4),
    ("Liwan", 23.125, 113.244, 0.9),
    ("Baiyun", 23.198, 113.273, 1.5),
    ("Huangpu", 23.106, 113.459, 0.9),
    ("Panyu", 22.938, 113.384, 1.3),
    ("Huadu", 23.375, 113.220, 0.7),
    ("Zengcheng", 23.291, 113.811, 0.6),
    ("Foshan Chancheng", 23.009, 113.122, 1.0),
    ("Foshan Nanhai", 23.029, 113.143, 1.1),
    ("Shunde", 22.806, 113.293, 1.0),
    ("Dongguan", 23.021, 113.752, 1.4),
    ("Zhongshan", 22.545, 113.392, 0.9),
    ("Shenzhen Bao'an", 22.555, 113.884, 1.2),
)

SKILLS = ("aircon", "washer", "fridge", "tv", "water_heater")
SKILL_DEMAND = (0.35, 0.2, 0.2, 0.1, 0.15)  # share of jobs needing each skill first

ENGINEERS_PER_DISTRICT = 20  # a territory grows outward from central Guangzhou with its crew
JOB_SPREAD_KM = 4.0
HOME_SPREAD_KM = 7.0
SHIFT_LENGTH = 8 * HOUR
SHIFT_STARTS = tuple(range(7 * HOUR, 10 * HOUR + 1, 30 * MINUTE))  # 07:00 .. 10:00
LUNCH = Break(
    id="lunch", time_windows=(TimeWindow(start=12 * HOUR, end=13 * HOUR + 30 * MINUTE),), duration=30 * MINUTE
)
HALF_DAYS = ((8 * HOUR, 12 * HOUR), (13 * HOUR, 18 * HOUR))
SLOTS = tuple((h * HOUR, (h + 2) * HOUR) for h in (8, 10, 13, 15, 16))

# SLA tiers: 0 none, 1 next business day, 2 Gold 12 h, 3 P1 4 h.
TIER_SHARE = (0.45, 0.33, 0.14, 0.08)
TIER_PRIORITY = ((5, 40), (30, 60), (55, 85), (80, 100))  # inclusive priority range per tier
# Latest-call ranges (seconds from 00:00; negative = the evening before) and response times.
TIER_CALL = {2: (-3 * HOUR, 6 * HOUR), 3: (6 * HOUR, 12 * HOUR)}
TIER_RESPONSE = {2: 12 * HOUR, 3: 4 * HOUR}

JOBS_PER_ENGINEER = 6.0
JOBS_PER_ENGINEER_OVERSUBSCRIBED = 10.0


def engineers_for(n_jobs: int, oversubscribed: bool = False) -> int:
    """Crew size for ``n_jobs``: about 6 jobs each (the day fits) or 10 (it does not)."""
    ratio = JOBS_PER_ENGINEER_OVERSUBSCRIBED if oversubscribed else JOBS_PER_ENGINEER
    return max(1, round(n_jobs / ratio))


def field_service_day(
    n_jobs: int, n_engineers: int | None = None, seed: int = 0, oversubscribed: bool = False
) -> Problem:
    """One territory-day: ``n_jobs`` visits and one 8-hour shift per engineer.

    ``n_engineers`` defaults to `engineers_for` (``oversubscribed`` picks the ratio); an
    explicit count overrides the ratio. Locations are the engineers' homes, then the jobs.
    """
    if n_jobs < 0:
        raise ValueError("Number of jobs cannot be negative.")
    n_eng = engineers_for(n_jobs, oversubscribed) if n_engineers is None else n_engineers
    if n_eng < 1:
        raise ValueError("Need at least one engineer.")
    rng = np.random.default_rng(seed)
    n_districts = min(len(DISTRICTS), max(3, round(n_eng / ENGINEERS_PER_DISTRICT)))
    weights = np.array([d[3] for d in DISTRICTS[:n_districts]])
    weights /= weights.sum()
    home_lat, home_lon = _scatter(rng, rng.choice(n_districts, n_eng, p=weights), HOME_SPREAD_KM)
    job_lat, job_lon = _scatter(rng, rng.choice(n_districts, n_jobs, p=weights), JOB_SPREAD_KM)
    engineer_skills = [_engineer_skills(rng) for _ in range(n_eng)]
    shifts = tuple(_shift(rng, k, engineer_skills[k]) for k in range(n_eng))
    jobs = tuple(_job(rng, i, n_eng + i, engineer_skills) for i in range(n_jobs))
    locations = tuple(
        Location(lat=float(la), lon=float(lo), name=name)
        for la, lo, name in zip(
            np.concatenate([home_lat, job_lat]),
            np.concatenate([home_lon, job_lon]),
            [f"home {s.engineer_id}" for s in shifts] + [f"site {j.id}" for j in jobs],
            strict=True,
        )
    )
    matrix = GreatCircleProvider().matrix(locations)
    return Problem(locations=locations, matrix=matrix, jobs=jobs, shifts=shifts)


def _scatter(
    rng: np.random.Generator, districts: np.ndarray, spread_km: float
) -> tuple[np.ndarray, np.ndarray]:
    """Points normally spread around their district centres, clipped to the region."""
    centre_lat = np.array([DISTRICTS[d][1] for d in districts], dtype=np.float64)
    centre_lon = np.array([DISTRICTS[d][2] for d in districts], dtype=np.float64)
    km_per_lon = 111.32 * math.cos(math.radians(23.0))
    lat = centre_lat + rng.normal(0.0, spread_km / 111.32, len(districts))
    lon = centre_lon + rng.normal(0.0, spread_km / km_per_lon, len(districts))
    return np.clip(lat, *LAT_RANGE), np.clip(lon, *LON_RANGE)


def _engineer_skills(rng: np.random.Generator) -> dict[str, int]:
    """Two to four trades, levels 1-3 (most engineers are level 1 or 2)."""
    names = rng.choice(len(SKILLS), int(rng.integers(2, 5)), replace=False)
    levels = rng.choice([1, 2, 3], len(names), p=[0.4, 0.4, 0.2])
    return {SKILLS[int(s)]: int(lv) for s, lv in zip(names, levels, strict=True)}


def _shift(rng: np.random.Generator, k: int, skills: dict[str, int]) -> Shift:
    eid = f"E{k:04d}"
    start = int(rng.choice(SHIFT_STARTS))
    return Shift(
        id=f"{eid}/day",
        engineer_id=eid,
        start=k,
        end=k,
        time_window=TimeWindow(start=start, end=start + SHIFT_LENGTH),
        skills=tuple(skills.items()),
        breaks=(LUNCH,),
    )


def _job(rng: np.random.Generator, i: int, location: int, engineer_skills: list[dict[str, int]]) -> Job:
    tier = int(rng.choice(len(TIER_SHARE), p=TIER_SHARE))
    lo, hi = TIER_PRIORITY[tier]
    deadline = None
    if tier in TIER_CALL:
        call_lo, call_hi = TIER_CALL[tier]
        deadline = int(rng.integers(call_lo, call_hi)) + TIER_RESPONSE[tier]
    return Job(
        id=f"J{i:05d}",
        location=location,
        service=_service(rng),
        time_windows=_customer_window(rng, tier),
        skills=tuple(_job_skills(rng, engineer_skills).items()),
        deadline=deadline,
        sla_tier=tier,
        priority=int(rng.integers(lo, hi + 1)),
    )


def _service(rng: np.random.Generator) -> int:
    """20-90 minutes in 5-minute steps, most visits short (triangular, mode 35 min)."""
    minutes = rng.triangular(20.0, 35.0, 90.0)
    return round(minutes / 5.0) * 5 * MINUTE


def _customer_window(rng: np.random.Generator, tier: int) -> tuple[TimeWindow, ...]:
    """None, a half day or a 2-hour slot; urgent callouts (tier >= 2) wait in all day."""
    kind = 0 if tier >= 2 else int(rng.choice(3, p=[0.4, 0.35, 0.25]))
    if kind == 0:
        return ()
    options = HALF_DAYS if kind == 1 else SLOTS
    start, end = options[int(rng.integers(len(options)))]
    return (TimeWindow(start=start, end=end),)


def _job_skills(rng: np.random.Generator, engineer_skills: list[dict[str, int]]) -> dict[str, int]:
    """One trade (sometimes two) at minimum level 1-2, drawn so at least one engineer qualifies.

    Demand follows `SKILL_DEMAND` where the crew has the trade; the second trade and the
    levels are taken from one engineer who holds the first, so the job is never unstaffable.
    """
    held = {name for skills in engineer_skills for name in skills}
    weights = np.array([w if s in held else 0.0 for s, w in zip(SKILLS, SKILL_DEMAND, strict=True)])
    first = SKILLS[int(rng.choice(len(SKILLS), p=weights / weights.sum()))]
    holders = [s for s in engineer_skills if first in s]
    model = holders[int(rng.integers(len(holders)))]
    need = {first: min(model[first], 2 if rng.random() < 0.3 else 1)}
    others = sorted(set(model) - {first})
    if others and rng.random() < 0.15:
        second = others[int(rng.integers(len(others)))]
        need[second] = 1
    return need

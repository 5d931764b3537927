"""Seeded synthetic field-service days for scale tests and benchmarks.

A metro region around Guangzhou and the Pearl River Delta: jobs cluster around district
centres weighted by population, engineers live spread out across the same districts, so
supply roughly follows demand as it does in a real territory. A small crew covers central
Guangzhou only; the territory takes in more districts as the crew grows (about 20 engineers
per district), up to the whole delta. Everything is drawn from one
``numpy`` generator, so a seed fixes the day exactly. Times are seconds from 00:00 of the day.

With ``parts=True`` the day also has spare parts (see `PART_SHARE` and below): a catalogue of
part numbers per trade with skewed popularity, jobs that use some up, van stock per engineer
and a few depots. They are drawn from a second generator seeded from the same seed, so the
day without parts is the same day, job for job; the depots' locations come after the jobs'.

Only the standard library and numpy are used (plus `solver.travel` for the matrix), so the
generator runs wherever the solver does.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from solver.model import Break, Depot, Job, Location, Problem, Shift, TimeWindow
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

# Spare parts (``parts=True``). Each trade has its own part numbers, a few of them common
# (popularity ~ 1 / rank^PART_SKEW). About PART_SHARE of jobs use a part of their trade up,
# some two units or two part numbers. A van carries its trades' most common part (two of it)
# and now and then another one of them, so about half of the part jobs find their part on a
# qualified engineer's van. Depots (one per district of the territory, 3 to 5) stock most
# parts; a part misses at a depot with DEPOT_GAP; one of the rarer half of the parts of
# NOWHERE_PARTS trades is out of stock everywhere today, so its jobs cannot be promised.
PARTS_PER_TRADE = 6
PART_SKEW = 1.2
PART_SHARE = 0.30
PART_TWO_UNITS = 0.10
PART_SECOND = 0.10
VAN_COMMON_UNITS = 2
VAN_EXTRA = 0.12  # chance a van carries one of each of its trades' other parts
DEPOTS = (3, 5)
DEPOT_SERVICE = 10 * MINUTE
DEPOT_HOURS = TimeWindow(start=7 * HOUR, end=18 * HOUR)
DEPOT_GAP = 0.15
DEPOT_COVER = 2.0  # depots together hold this many times a part's expected use on the day
NOWHERE_PARTS = 3
PARTS_SEED = 0x9A27  # second entropy word of the parts generator

JOBS_PER_ENGINEER = 6.0
JOBS_PER_ENGINEER_OVERSUBSCRIBED = 10.0


def engineers_for(n_jobs: int, oversubscribed: bool = False) -> int:
    """Crew size for ``n_jobs``: about 6 jobs each (the day fits) or 10 (it does not)."""
    ratio = JOBS_PER_ENGINEER_OVERSUBSCRIBED if oversubscribed else JOBS_PER_ENGINEER
    return max(1, round(n_jobs / ratio))


def field_service_day(
    n_jobs: int,
    n_engineers: int | None = None,
    seed: int = 0,
    oversubscribed: bool = False,
    parts: bool = False,
) -> Problem:
    """One territory-day: ``n_jobs`` visits and one 8-hour shift per engineer.

    ``n_engineers`` defaults to `engineers_for` (``oversubscribed`` picks the ratio); an
    explicit count overrides the ratio. Locations are the engineers' homes, then the jobs
    (then, with ``parts``, the depots).
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
    if parts:
        return _with_parts(n_districts, locations, jobs, shifts, np.random.default_rng([seed, PARTS_SEED]))
    matrix = GreatCircleProvider().matrix(locations)
    return Problem(locations=locations, matrix=matrix, jobs=jobs, shifts=shifts)


def part_catalogue() -> dict[str, tuple[str, ...]]:
    """Trade → its part numbers, most common first (e.g. ``aircon`` → ``AIR-01`` … ``AIR-06``)."""
    return {t: tuple(f"{t[:3].upper()}-{r:02d}" for r in range(1, PARTS_PER_TRADE + 1)) for t in SKILLS}


def _with_parts(
    n_districts: int,
    locations: tuple[Location, ...],
    jobs: tuple[Job, ...],
    shifts: tuple[Shift, ...],
    rng: np.random.Generator,
) -> Problem:
    catalogue = part_catalogue()
    popularity = 1.0 / np.arange(1, PARTS_PER_TRADE + 1) ** PART_SKEW
    popularity /= popularity.sum()
    nowhere = {
        catalogue[SKILLS[int(t)]][int(rng.integers(PARTS_PER_TRADE // 2, PARTS_PER_TRADE))]
        for t in rng.choice(len(SKILLS), NOWHERE_PARTS, replace=False)
    }
    jobs = tuple(_job_parts(rng, job, catalogue, popularity) for job in jobs)
    shifts = tuple(_van_stock(rng, s, catalogue, nowhere) for s in shifts)
    # Depots stock for the territory's trade mix, not for this day's draw of parts.
    units_per_job = 1 + PART_TWO_UNITS + PART_SECOND
    expected = {
        part: PART_SHARE * units_per_job * float(popularity[r]) * sum(1 for j in jobs if t in dict(j.skills))
        for t, numbers in catalogue.items()
        for r, part in enumerate(numbers)
    }
    depot_lat, depot_lon = _depot_sites(rng, n_districts)
    n_depots = len(depot_lat)
    held: list[dict[str, int]] = [{} for _ in range(n_depots)]
    for part in sorted(expected):
        if part in nowhere:
            continue
        stocked = [d for d in range(n_depots) if rng.random() >= DEPOT_GAP]
        if not stocked:
            stocked = [int(rng.integers(n_depots))]
        for d in stocked:
            share = DEPOT_COVER * expected[part] / len(stocked)
            held[d][part] = max(2, round(share * float(rng.uniform(0.6, 1.4))))
    first = len(locations)
    depots = tuple(
        Depot(
            id=f"D{d + 1}",
            location=first + d,
            service=DEPOT_SERVICE,
            stock=tuple(held[d].items()),
            time_window=DEPOT_HOURS,
        )
        for d in range(n_depots)
    )
    locations = locations + tuple(
        Location(lat=float(la), lon=float(lo), name=f"depot D{d + 1}")
        for d, (la, lo) in enumerate(zip(depot_lat, depot_lon, strict=True))
    )
    matrix = GreatCircleProvider().matrix(locations)
    return Problem(locations=locations, matrix=matrix, jobs=jobs, shifts=shifts, depots=depots)


def _job_parts(
    rng: np.random.Generator, job: Job, catalogue: dict[str, tuple[str, ...]], popularity: np.ndarray
) -> Job:
    """About `PART_SHARE` of jobs use up a part of one of their trades."""
    if rng.random() >= PART_SHARE:
        return job
    trades = [name for name, _ in job.skills]
    numbers = catalogue[trades[int(rng.integers(len(trades)))]]
    first, second = (int(r) for r in rng.choice(PARTS_PER_TRADE, 2, replace=False, p=popularity))
    need = {numbers[first]: 2 if rng.random() < PART_TWO_UNITS else 1}
    if rng.random() < PART_SECOND:
        need[numbers[second]] = 1
    return replace(job, parts=tuple(need.items()))


def _van_stock(
    rng: np.random.Generator, shift: Shift, catalogue: dict[str, tuple[str, ...]], nowhere: set[str]
) -> Shift:
    """Two of each trade's most common part, and now and then one of another of its parts."""
    stock: dict[str, int] = {}
    for trade, _ in shift.skills:
        common, *others = catalogue[trade]
        stock[common] = VAN_COMMON_UNITS
        for part in others:
            if rng.random() < VAN_EXTRA and part not in nowhere:
                stock[part] = 1
    return replace(shift, stock=tuple(stock.items()))


def _depot_sites(rng: np.random.Generator, n_districts: int) -> tuple[np.ndarray, np.ndarray]:
    """One depot per district of the territory, 3 to 5, spread out: farthest-first over the
    district centres from the busiest one, each a couple of kilometres off its centre."""
    n = min(max(n_districts, DEPOTS[0]), DEPOTS[1])
    centres = np.array([(d[1], d[2]) for d in DISTRICTS[:n_districts]])
    chosen = [int(np.argmax([d[3] for d in DISTRICTS[:n_districts]]))]
    while len(chosen) < min(n, n_districts):
        gap = np.min(np.linalg.norm(centres[:, None, :] - centres[chosen][None, :, :], axis=2), axis=1)
        chosen.append(int(np.argmax(gap)))
    chosen += [chosen[k % len(chosen)] for k in range(n - len(chosen))]
    return _scatter(rng, np.array(chosen), 2.0)


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

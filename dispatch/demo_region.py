"""The demo region: the Pearl River Delta on a Tuesday, as readable CSV files under data/demo/.

    python -m dispatch.demo_region [--out data/demo] [--seed 7] [--day 2026-11-24]

Seeded, so the committed files are reproducible (a test regenerates and compares them).
District centres are real; homes, sites and depots are scattered a few km around them.
"""

from __future__ import annotations

import argparse
import csv
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

import numpy as np

CST = timezone(timedelta(hours=8), "CST")  # Asia/Shanghai, no daylight saving
TZ_NAME = "Asia/Shanghai"
OUT = Path(__file__).resolve().parents[1] / "data" / "demo"
DAY = date(2026, 11, 24)

DISTRICTS: dict[str, list[tuple[str, float, float]]] = {
    "GZ": [
        ("Tianhe", 23.1247, 113.3612),
        ("Yuexiu", 23.1290, 113.2668),
        ("Haizhu", 23.0838, 113.3172),
        ("Liwan", 23.1259, 113.2442),
        ("Baiyun", 23.1647, 113.2734),
        ("Panyu", 22.9376, 113.3840),
        ("Huangpu", 23.1813, 113.4806),
        ("Huadu", 23.4037, 113.2202),
        ("Zengcheng", 23.2615, 113.8106),
    ],
    "SZ": [
        ("Futian", 22.5410, 114.0550),
        ("Luohu", 22.5484, 114.1315),
        ("Nanshan", 22.5333, 113.9304),
        ("Bao'an", 22.5550, 113.8830),
        ("Longgang", 22.7200, 114.2470),
        ("Longhua", 22.6966, 114.0448),
        ("Yantian", 22.5570, 114.2360),
        ("Guangming", 22.7487, 113.9358),
    ],
    "FD": [
        ("Chancheng", 23.0193, 113.1220),
        ("Nanhai", 23.0285, 113.1432),
        ("Shunde", 22.8050, 113.2930),
        ("Guancheng", 23.0430, 113.7530),
        ("Nancheng", 23.0200, 113.7520),
        ("Chang'an", 22.8160, 113.8040),
        ("Humen", 22.8140, 113.6730),
        ("Songshan Lake", 22.9300, 113.8900),
    ],
}
TERRITORIES = [("GZ", "Guangzhou"), ("SZ", "Shenzhen"), ("FD", "Foshan–Dongguan")]
ENGINEERS = {"GZ": 18, "SZ": 15, "FD": 12}
JOBS = {"GZ": 95, "SZ": 80, "FD": 60}
DEPOTS = [
    ("D-GZ-BY", "Baiyun parts depot", "GZ", "Baiyun"),
    ("D-GZ-PY", "Panyu parts depot", "GZ", "Panyu"),
    ("D-SZ-BA", "Bao'an parts depot", "SZ", "Bao'an"),
    ("D-SZ-LG", "Longgang parts depot", "SZ", "Longgang"),
    ("D-FD-NH", "Nanhai parts depot", "FD", "Nanhai"),
]
SKILLS = ["aircon", "washer", "fridge", "tv", "water_heater"]
PRODUCTS = {
    "aircon": ["Gree split AC 1.5 HP", "Midea inverter AC 2 HP", "Haier cassette AC 3 HP"],
    "washer": ["Haier front-load washer 10 kg", "Little Swan top-load washer 8 kg"],
    "fridge": ["Midea French-door fridge 500 L", "Haier side-by-side fridge 620 L"],
    "tv": ["TCL 65-inch QLED TV", "Hisense 75-inch laser TV", "Skyworth 55-inch OLED TV"],
    "water_heater": ["Vanward gas water heater 16 L", "A.O. Smith electric water heater 60 L"],
}
FAULTS = {
    "aircon": ["not cooling", "water leaking from indoor unit", "E1 error code", "loud outdoor fan"],
    "washer": ["drum not spinning", "door lock fault", "not draining"],
    "fridge": ["freezer warm", "ice build-up", "compressor clicks"],
    "tv": ["no picture, sound OK", "does not power on", "lines across the panel"],
    "water_heater": ["no hot water", "ignition fails", "pressure valve dripping"],
}
DURATION = {
    "aircon": (45, 120),
    "washer": (40, 90),
    "fridge": (45, 120),
    "tv": (30, 75),
    "water_heater": (30, 90),
}
PARTS = [
    ("AC-CAP-35", "Run capacitor 35 µF", "aircon", 4500),
    ("AC-FAN-OUT", "Outdoor fan motor", "aircon", 38000),
    ("AC-PCB-IN", "Indoor control board", "aircon", 52000),
    ("AC-DRAIN", "Drain pump", "aircon", 16000),
    ("WM-LOCK", "Door lock assembly", "washer", 9000),
    ("WM-PUMP", "Drain pump", "washer", 12000),
    ("WM-BELT", "Drive belt", "washer", 3500),
    ("WM-BRG", "Drum bearing kit", "washer", 21000),
    ("FR-THERM", "Defrost thermostat", "fridge", 6000),
    ("FR-FAN", "Evaporator fan", "fridge", 14000),
    ("FR-RELAY", "Start relay", "fridge", 4000),
    ("TV-PSU-55", "Power board 55 inch", "tv", 36000),
    ("TV-TCON", "T-con board", "tv", 29000),
    ("TV-LED", "LED backlight strip set", "tv", 18000),
    ("WH-IGN", "Ignition module", "water_heater", 11000),
    ("WH-VALVE", "Pressure relief valve", "water_heater", 5000),
    ("WH-ELEM", "Heating element 2 kW", "water_heater", 9500),
    ("WH-SENSOR", "Flame sensor", "water_heater", 4500),
]
SLA_POLICIES = [
    # code, name, tier, response min, resolution min, calendar
    ("P1", "P1 · 4 h on site, 24x7", 3, 240, 480, "24x7"),
    ("GOLD", "Gold · 12 business hours on site", 2, 720, 1440, "business_hours"),
    ("STD", "Standard · next business day", 1, 600, 1200, "business_hours"),
    ("BASIC", "Warranty / pay-per-visit · 2 business days", 0, 1200, 2400, "business_hours"),
]
SURNAMES = [
    "Chen",
    "Li",
    "Wang",
    "Zhang",
    "Liu",
    "Huang",
    "Lin",
    "Wu",
    "Zhou",
    "He",
    "Guo",
    "Luo",
    "Liang",
    "Xie",
    "Ye",
]
GIVEN = [
    "Wei",
    "Fang",
    "Jun",
    "Min",
    "Hao",
    "Lei",
    "Ying",
    "Qiang",
    "Jie",
    "Na",
    "Tao",
    "Xin",
    "Yan",
    "Bo",
    "Hui",
]
BRANDS = ["Lotus", "Jade", "Pearl", "Harbour", "Canton"]
TRADES = ["Trading", "Hotel", "Clinic", "Foods"]
ROADS = ["Zhongshan", "Renmin", "Jiefang", "Binhe", "Xinhua"]
SHIFT_PATTERNS = [(time(8), time(17)), (time(9), time(18)), (time(7, 30), time(16, 30)), (time(10), time(19))]


@dataclass
class Tables:
    rows: dict[str, list[dict[str, object]]]

    def add(self, table: str, **row: object) -> None:
        self.rows.setdefault(table, []).append(row)


def _near(rng: np.random.Generator, lat: float, lon: float, km: float) -> tuple[float, float]:
    dlat, dlon = rng.normal(0, km / 111.0, 2)
    return round(lat + dlat, 5), round(lon + dlon / np.cos(np.radians(lat)), 5)


def _iso(d: date, t: time) -> str:
    return datetime.combine(d, t, CST).isoformat(timespec="minutes")


def _name(rng: np.random.Generator) -> str:
    return f"{rng.choice(SURNAMES)} {rng.choice(GIVEN)}{rng.choice(['', '', 'ng', 'an'])}"


def generate(
    seed: int = 7,
    day: date = DAY,
    engineers: dict[str, int] | None = None,
    jobs: dict[str, int] | None = None,
    days: int = 1,
) -> Tables:
    """The demo region; larger ``engineers``/``jobs`` counts per territory and ``days`` > 1 make
    the scale variants the benchmarks load (the defaults give exactly the demo files)."""
    engineers = engineers or ENGINEERS
    jobs = jobs or JOBS
    rng = np.random.default_rng(seed)
    t = Tables({})
    for code, name in TERRITORIES:
        t.add("territories", code=code, name=name, timezone=TZ_NAME)
    for code, name, tier, resp, resol, cal in SLA_POLICIES:
        t.add(
            "sla_policies",
            code=code,
            name=name,
            tier=tier,
            response_minutes=resp,
            resolution_minutes=resol,
            calendar=cal,
            business_start_hour=8,
            business_end_hour=18,
            business_days="123456",
        )
    centre = {d: (lat, lon) for ds in DISTRICTS.values() for d, lat, lon in ds}
    for code, name, terr, district in DEPOTS:
        lat, lon = _near(rng, *centre[district], 1.5)
        t.add(
            "depots",
            code=code,
            name=name,
            territory=terr,
            lat=lat,
            lon=lon,
            address=f"{district} logistics park",
        )
    for sku, name, cat, cost in PARTS:
        t.add("parts", sku=sku, name=name, category=cat, unit_cost_cents=cost)
    # Overnight transfers between every two depots of different territories (a van run), a few
    # hours within one; lead times in minutes.
    for a, _, terr_a, *_ in sorted(DEPOTS):
        for b, _, terr_b, *_ in sorted(DEPOTS):
            if a != b:
                t.add("depot_lanes", from_depot=a, to_depot=b, lead_minutes=240 if terr_a == terr_b else 720)
    for code, *_ in DEPOTS:
        for sku, *_ in PARTS:
            t.add("stock", part=sku, depot=code, engineer="", quantity=int(rng.integers(0, 12)), par=0)
    n = 0
    for terr, count in engineers.items():
        for _ in range(count):
            n += 1
            code = f"E{n:03d}"
            district, dlat, dlon = DISTRICTS[terr][int(rng.integers(len(DISTRICTS[terr])))]
            lat, lon = _near(rng, dlat, dlon, 3.0)
            main = rng.choice(SKILLS, size=int(rng.integers(2, 4)), replace=False)
            skills = ";".join(f"{s}:{int(rng.choice([1, 2, 2, 3, 3]))}" for s in sorted(main))
            t.add(
                "engineers",
                code=code,
                name=_name(rng),
                territory=terr,
                home_lat=lat,
                home_lon=lon,
                phone=f"+86 139 {rng.integers(1000, 9999)} {rng.integers(1000, 9999)}",
                skills=skills,
            )
            start, end = SHIFT_PATTERNS[int(rng.choice(4, p=[0.5, 0.25, 0.15, 0.1]))]
            break_minutes = int(rng.choice([30, 45, 60]))
            for on in (day + timedelta(days=k) for k in range(days)):
                t.add(
                    "shifts",
                    engineer=code,
                    day=on.isoformat(),
                    start=_iso(on, start),
                    end=_iso(on, end),
                    break_earliest=_iso(on, time(11, 30)),
                    break_latest_end=_iso(on, time(14)),
                    break_minutes=break_minutes,
                )
            for cat in (s.split(":")[0] for s in skills.split(";")):
                for sku, _n, pcat, _c in PARTS:
                    if pcat == cat and rng.random() < 0.5:
                        units = int(rng.integers(1, 3))
                        t.add("stock", part=sku, depot="", engineer=code, quantity=units, par=units)
    site_no = asset_no = job_no = contract_no = 0
    for terr, count in jobs.items():
        for k in range(count):
            on = day + timedelta(days=k % days)  # jobs spread evenly over the horizon
            site_no += 1
            business = rng.random() < 0.2
            cust = f"C{site_no:04d}"
            t.add(
                "customers",
                code=cust,
                name=f"{rng.choice(BRANDS)} {rng.choice(TRADES)} Co."
                if business
                else f"{_name(rng)} household",
                phone=f"+86 138 {rng.integers(1000, 9999)} {rng.integers(1000, 9999)}",
            )
            district, dlat, dlon = DISTRICTS[terr][int(rng.integers(len(DISTRICTS[terr])))]
            lat, lon = _near(rng, dlat, dlon, 2.5)
            site = f"S{site_no:04d}"
            t.add(
                "sites",
                code=site,
                customer=cust,
                territory=terr,
                address=f"{int(rng.integers(1, 400))} {rng.choice(ROADS)} Rd, {district}",
                lat=lat,
                lon=lon,
            )
            policy = str(
                rng.choice(
                    ["P1", "GOLD", "STD", "BASIC"],
                    p=[0.08, 0.22, 0.35, 0.35] if business else [0.02, 0.13, 0.35, 0.5],
                )
            )
            contract = ""
            if policy != "BASIC":
                contract_no += 1
                contract = f"K{contract_no:04d}"
                t.add(
                    "contracts",
                    code=contract,
                    customer=cust,
                    sla_policy=policy,
                    starts_on=(day - timedelta(days=int(rng.integers(30, 700)))).isoformat(),
                    ends_on=(day + timedelta(days=int(rng.integers(30, 700)))).isoformat(),
                )
            cat = str(rng.choice(SKILLS, p=[0.35, 0.2, 0.15, 0.15, 0.15]))
            asset_no += 1
            serial = f"{cat[:2].upper()}{seed:02d}{asset_no:06d}"
            t.add(
                "assets",
                serial=serial,
                site=site,
                product=str(rng.choice(PRODUCTS[cat])),
                category=cat,
                warranty_end=(day + timedelta(days=int(rng.integers(-400, 700)))).isoformat(),
                contract=contract,
            )
            job_no += 1
            # Reported between yesterday morning and early today; P1 calls mostly overnight.
            # P1 calls came in overnight (due this morning); the rest yesterday 09:00-22:00.
            if policy == "P1":
                reported = datetime.combine(on, time(3), CST) + timedelta(minutes=int(rng.integers(0, 240)))
            else:
                reported = datetime.combine(on - timedelta(days=1), time(9), CST) + timedelta(
                    minutes=int(rng.integers(0, 13 * 60))
                )
            lo, hi = DURATION[cat]
            level = int(rng.choice([1, 1, 1, 2, 2, 3]))
            windows = ""
            r = rng.random()
            if r < 0.25:
                windows = f"{_iso(on, time(8))}/{_iso(on, time(12))}"
            elif r < 0.5:
                windows = f"{_iso(on, time(13))}/{_iso(on, time(18))}"
            elif r < 0.6:
                h = int(rng.integers(9, 17))
                windows = f"{_iso(on, time(h))}/{_iso(on, time(h + 2))}"
            parts = ""
            if rng.random() < 0.3:
                parts = f"{rng.choice([p[0] for p in PARTS if p[2] == cat])}:1"
            t.add(
                "jobs",
                code=f"J{job_no:05d}",
                site=site,
                asset=serial,
                description=f"{rng.choice(FAULTS[cat])}",
                duration_minutes=int(rng.integers(lo, hi + 1) // 5 * 5),
                reported_at=reported.isoformat(timespec="minutes"),
                sla_policy=policy,
                priority={"P1": 90, "GOLD": 70, "STD": 50, "BASIC": 30}[policy] + int(rng.integers(-5, 6)),
                skills=f"{cat}:{level}",
                windows=windows,
                parts=parts,
            )
    return t


def write(tables: Tables, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, rows in tables.rows.items():
        path = out / f"{name}.csv"
        with path.open("w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
        paths.append(path)
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--day", type=date.fromisoformat, default=DAY)
    args = parser.parse_args()
    for path in write(generate(args.seed, args.day), args.out):
        print(path)


if __name__ == "__main__":
    main()

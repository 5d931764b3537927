"""Import engineers, shifts, customers, sites, jobs (and the rest of a region) from CSV or JSON.

All or nothing: every row of every file is validated first, including references between
files and to rows already in the database; any bad row rejects the whole import, with every
problem listed by file, line and field, and nothing is written.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch import models as m
from dispatch import sla
from dispatch.errors import InvalidInputError
from dispatch.lifecycle import record_creation
from dispatch.records import TABLES, Row, parse_skills, parse_windows


@dataclass(frozen=True, slots=True)
class ImportIssue:
    file: str
    line: int  # CSV: the line in the file (header = 1); JSON: the item number, from 1
    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.field}: {self.reason}"


class ImportRejectedError(InvalidInputError):
    def __init__(self, issues: list[ImportIssue]) -> None:
        first = issues[0]
        more = f" (and {len(issues) - 1} more)" if len(issues) > 1 else ""
        super().__init__(f"{first.file}:{first.line}: {first.field}", f"{first.reason}{more}")
        self.issues = issues


@dataclass(frozen=True, slots=True)
class Counts:
    rows: dict[str, int]


def read_rows(path: Path) -> list[tuple[int, dict[str, Any]]]:
    """(line, raw row) pairs; blank CSV cells become absent fields so defaults apply."""
    if path.suffix == ".json":
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
            raise ImportRejectedError(
                [ImportIssue(path.name, 1, "(file)", "expected a JSON array of objects")]
            )
        return [(i, r) for i, r in enumerate(data, start=1)]
    with path.open(newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        rows = []
        for row in reader:
            if None in row:
                rows.append((reader.line_num, {"(extra columns)": row.pop(None)}))
                continue
            rows.append((reader.line_num, {k: v for k, v in row.items() if v not in ("", None)}))
        return rows


def find_files(directory: Path) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for stem in TABLES:
        for suffix in (".csv", ".json"):
            if (directory / f"{stem}{suffix}").exists():
                found[stem] = directory / f"{stem}{suffix}"
    return found


class _Validator:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.issues: list[ImportIssue] = []
        self.codes: dict[str, set[str]] = {}

    def existing(self, table: str) -> set[str]:
        column = {
            "territories": m.Territory.code,
            "sla_policies": m.SlaPolicy.code,
            "depots": m.Depot.code,
            "parts": m.Part.sku,
            "engineers": m.Engineer.code,
            "customers": m.Customer.code,
            "sites": m.Site.code,
            "contracts": m.Contract.code,
            "assets": m.Asset.serial,
            "jobs": m.Job.code,
        }[table]
        return set(self.session.scalars(select(column)))

    def known(self, table: str) -> set[str]:
        if table not in self.codes:
            self.codes[table] = self.existing(table)
        return self.codes[table]

    def issue(self, file: str, line: int, field: str, reason: str) -> None:
        self.issues.append(ImportIssue(file, line, field, reason))


KEY = {"assets": "serial", "parts": "sku"}
REFS: dict[str, list[tuple[str, str]]] = {
    "depots": [("territory", "territories")],
    "depot_lanes": [("from_depot", "depots"), ("to_depot", "depots")],
    "engineers": [("territory", "territories")],
    "stock": [("part", "parts"), ("depot", "depots"), ("engineer", "engineers")],
    "shifts": [("engineer", "engineers")],
    "sites": [("customer", "customers"), ("territory", "territories")],
    "contracts": [("customer", "customers"), ("sla_policy", "sla_policies")],
    "assets": [("site", "sites"), ("contract", "contracts")],
    "jobs": [
        ("site", "sites"),
        ("asset", "assets"),
        ("sla_policy", "sla_policies"),
        ("contract", "contracts"),
    ],
}


def validate(session: Session, files: dict[str, Path]) -> dict[str, list[Row]]:
    """Every problem of every row. A row that fails its own checks still registers its code and
    has its references checked, so a bad engineer row is reported once, not again by each of
    its shifts, and a bad row with a dangling reference gets both reported."""
    v = _Validator(session)
    parsed: dict[str, list[tuple[int, Row]]] = {}
    raws: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    for table, schema in TABLES.items():
        if table not in files:
            continue
        name = files[table].name
        parsed[table] = []
        raw_rows = raws[table] = read_rows(files[table])
        for line, raw in raw_rows:
            try:
                parsed[table].append((line, schema.model_validate(raw)))
            except ValidationError as exc:
                for err in exc.errors():
                    field = ".".join(str(p) for p in err["loc"]) or _field_of(err["msg"])
                    v.issue(name, line, field, _reason(err["msg"]))
        key = KEY.get(table, "code")
        if key in schema.model_fields:
            seen: set[str] = set()
            known = v.known(table)
            for line, raw in raw_rows:
                code = str(raw.get(key, "")).strip()
                if not code:
                    continue
                if code in seen:
                    v.issue(name, line, key, f"{code!r} appears twice in this file")
                elif code in known:
                    v.issue(name, line, key, f"{code!r} already exists")
                seen.add(code)
            known |= seen
        for line, raw in raw_rows:
            for field, target in REFS.get(table, []):
                ref = str(raw.get(field, "")).strip()
                if ref and ref not in v.known(target):
                    v.issue(name, line, field, f"no {target.rstrip('s').replace('_', ' ')} {ref!r}")
        if table == "jobs":
            skus = v.known("parts")
            for line, row in parsed[table]:
                for sku, _ in _part_pairs(row.parts):  # type: ignore[attr-defined]
                    if sku not in skus:
                        v.issue(name, line, "parts", f"no part {sku!r}")
    _check_contract_owners(v, files, raws)
    if v.issues:
        raise ImportRejectedError(
            sorted(v.issues, key=lambda i: (list(TABLES).index(i.file.rsplit(".", 1)[0]), i.line))
        )
    return {t: [r for _, r in rows] for t, rows in parsed.items()}


def _check_contract_owners(
    v: _Validator, files: dict[str, Path], raws: dict[str, list[tuple[int, dict[str, Any]]]]
) -> None:
    """An asset (or a job) may only name a contract of the customer whose site it is at: another
    customer's contract would give it cover nobody pays for."""
    linking = [
        t for t in ("assets", "jobs") if any(str(r.get("contract", "")).strip() for _, r in raws.get(t, []))
    ]
    if not linking:
        return
    site_owner: dict[str, str] = dict(
        v.session.execute(
            select(m.Site.code, m.Customer.code).join(m.Customer, m.Customer.id == m.Site.customer_id)
        ).all()
    )
    contract_owner: dict[str, str] = dict(
        v.session.execute(
            select(m.Contract.code, m.Customer.code).join(m.Customer, m.Customer.id == m.Contract.customer_id)
        ).all()
    )
    for table, owners in (("sites", site_owner), ("contracts", contract_owner)):
        for _, raw in raws.get(table, []):
            code, customer = str(raw.get("code", "")).strip(), str(raw.get("customer", "")).strip()
            if code and customer:
                owners.setdefault(code, customer)
    for table in linking:
        for line, raw in raws[table]:
            site, contract = str(raw.get("site", "")).strip(), str(raw.get("contract", "")).strip()
            at, of = site_owner.get(site), contract_owner.get(contract)
            if at is not None and of is not None and at != of:
                v.issue(
                    files[table].name,
                    line,
                    "contract",
                    f"contract {contract} is customer {of}'s; site {site} is customer {at}'s",
                )


def _field_of(msg: str) -> str:
    head, sep, _ = msg.removeprefix("Value error, ").partition(":")
    return head if sep and " " not in head else "(row)"


def _reason(msg: str) -> str:
    text = msg.removeprefix("Value error, ")
    head, sep, rest = text.partition(": ")
    return rest if sep and " " not in head else text


def _part_pairs(text: str) -> Iterable[tuple[str, int]]:
    for item in filter(None, (p.strip() for p in text.split(";"))):
        sku, _, qty = item.partition(":")
        yield sku.strip(), int(qty)


def import_directory(session: Session, directory: Path, *, actor: str = "import") -> Counts:
    """Validate every file under ``directory``, then write all rows in the caller's transaction."""
    files = find_files(directory)
    if not files:
        raise InvalidInputError(
            "directory", f"{directory} holds none of {', '.join(f'{t}.csv' for t in TABLES)}"
        )
    rows = validate(session, files)
    _write(session, rows, actor)
    return Counts({t: len(r) for t, r in rows.items()})


def _lookup(session: Session, model: Any, column: Any) -> dict[str, Any]:
    return {getattr(o, column.key): o for o in session.scalars(select(model))}


def _write(session: Session, rows: dict[str, list[Row]], actor: str) -> None:
    def get(model: Any, column: Any) -> dict[str, Any]:
        return _lookup(session, model, column)

    for r in rows.get("territories", []):
        session.add(m.Territory(**r.model_dump()))
    for r in rows.get("sla_policies", []):
        session.add(m.SlaPolicy(**r.model_dump()))
    for r in rows.get("parts", []):
        session.add(m.Part(**r.model_dump()))
    for r in rows.get("customers", []):
        session.add(m.Customer(**r.model_dump()))
    session.flush()
    territories = get(m.Territory, m.Territory.code)
    for r in rows.get("depots", []):
        d = r.model_dump()
        session.add(m.Depot(**{**d, "territory": territories[d.pop("territory")]}))
    for r in rows.get("engineers", []):
        d = r.model_dump()
        skills = parse_skills(d.pop("skills"))
        e = m.Engineer(**{**d, "territory": territories[d.pop("territory")]})
        e.skills = [m.EngineerSkill(skill=s, level=lv) for s, lv in skills]
        session.add(e)
    session.flush()
    engineers, parts = get(m.Engineer, m.Engineer.code), get(m.Part, m.Part.sku)
    depots = get(m.Depot, m.Depot.code)
    for r in rows.get("shifts", []):
        d = r.model_dump()
        session.add(m.Shift(**{**d, "engineer": engineers[d.pop("engineer")]}))
    for r in rows.get("depot_lanes", []):
        d = r.model_dump()
        session.add(
            m.DepotLane(
                from_depot_id=depots[d["from_depot"]].id,
                to_depot_id=depots[d["to_depot"]].id,
                lead_minutes=d["lead_minutes"],
            )
        )
    for r in rows.get("stock", []):
        d = r.model_dump()
        session.add(
            m.Stock(
                part_id=parts[d["part"]].id,
                depot_id=depots[d["depot"]].id if d["depot"] else None,
                engineer_id=engineers[d["engineer"]].id if d["engineer"] else None,
                quantity=d["quantity"],
                par=d["par"],
            )
        )
    customers, policies = get(m.Customer, m.Customer.code), get(m.SlaPolicy, m.SlaPolicy.code)
    for r in rows.get("sites", []):
        d = r.model_dump()
        customer, territory = customers[d.pop("customer")], territories[d.pop("territory")]
        session.add(m.Site(**d, customer=customer, territory_id=territory.id))
    for r in rows.get("contracts", []):
        d = r.model_dump()
        session.add(
            m.Contract(
                **{**d, "customer": customers[d.pop("customer")], "sla_policy": policies[d.pop("sla_policy")]}
            )
        )
    session.flush()
    sites, contracts = get(m.Site, m.Site.code), get(m.Contract, m.Contract.code)
    for r in rows.get("assets", []):
        d = r.model_dump()
        contract = d.pop("contract")
        session.add(
            m.Asset(
                **{**d, "site": sites[d.pop("site")], "contract": contracts[contract] if contract else None}
            )
        )
    session.flush()
    assets = get(m.Asset, m.Asset.serial)
    zones = {t.id: t.timezone for t in territories.values()}
    for r in rows.get("jobs", []):
        d = r.model_dump()
        site = sites[d.pop("site")]
        asset_code = d.pop("asset")
        policy = policies[d.pop("sla_policy")] if d.get("sla_policy") else None
        d.pop("sla_policy", None)
        skills, windows = parse_skills(d.pop("skills")), parse_windows(d.pop("windows"))
        needed = list(_part_pairs(d.pop("parts")))
        contract_code = d.pop("contract")
        d["cover"] = d["cover"] or None
        job = m.Job(
            **d,
            site_id=site.id,
            asset_id=assets[asset_code].id if asset_code else None,
            contract_id=contracts[contract_code].id if contract_code else None,
        )
        job.created_at = m.utcnow()
        if policy is not None:
            tz = zones[site.territory_id]
            job.sla_policy_id = policy.id
            job.response_deadline = sla.response_deadline(policy, job.reported_at, tz)
            job.resolution_deadline = sla.resolution_deadline(policy, job.reported_at, tz)
        job.skills = [m.JobSkill(skill=s, min_level=lv) for s, lv in skills]
        job.windows = [m.JobWindow(start=a, end=b) for a, b in windows]
        job.parts = [m.JobPart(part_id=parts[sku].id, quantity=q) for sku, q in needed]
        session.add(job)
        record_creation(session, job, actor=actor)
    session.flush()

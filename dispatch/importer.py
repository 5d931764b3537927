"""Import engineers, shifts, customers, sites, jobs (and the rest of a region) from CSV or JSON.

All or nothing: every row of every file is validated first, including references between
files and to rows already in the database; any bad row rejects the whole import, with every
problem listed by file, line and field, and nothing is written. That includes the bytes
themselves: a byte that is not UTF-8, a NUL (PostgreSQL cannot store one in text, SQLite would)
or a lone surrogate from a JSON escape is reported at its row and field, never raised.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
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
    # CSV: the line in the file (header = 1); JSON: the item number, from 1 (the text line for a
    # file that is not valid JSON)
    line: int
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


Raw = dict[str, Any]


@dataclass(slots=True)
class FileRows:
    """What one file holds: (line, raw row) pairs, the problems found reading it (bad bytes,
    NUL, lone surrogates, unparsable JSON), and the (line, field) pairs those problems name,
    so validation does not report the same field again for its mangled value."""

    rows: list[tuple[int, Raw]]
    issues: list[ImportIssue]
    flagged: set[tuple[int, str]]


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
"""NUL (PostgreSQL text refuses it; SQLite would store it) and surrogates: a byte that is not
UTF-8 (decoded as U+DC80..U+DCFF) or a lone surrogate from a JSON ``\\udXXX`` escape."""


def _visible(text: str, undecodable: bool) -> str:
    """``text`` with every unstorable character spelled out (``\\x00``, ``\\xff`` for a byte
    that is not UTF-8, ``\\ud800``), so messages and the validation that follows only ever
    see printable text."""

    def spelled(c: re.Match[str]) -> str:
        code = ord(c.group())
        return (
            f"\\x{code - 0xDC00:02x}" if undecodable and 0xDC80 <= code <= 0xDCFF else repr(c.group())[1:-1]
        )

    return _UNSTORABLE.sub(spelled, text)


def _unstorable(text: str, undecodable: bool) -> str | None:
    """Why ``text`` cannot be imported as text, or None. ``undecodable``: the file had bytes
    that are not UTF-8, which decoding turned into surrogates U+DC80..U+DCFF."""
    found = dict.fromkeys(_UNSTORABLE.findall(text))
    if not found:
        return None
    why = []
    if "\x00" in found:
        why.append("a NUL byte (\\x00) is not allowed in text")
    raw = [c for c in found if undecodable and "\udc80" <= c <= "\udcff"]
    if raw:
        listed = ", ".join(f"0x{ord(c) - 0xDC00:02x}" for c in raw)
        why.append(f"invalid UTF-8 byte{'s' * (len(raw) > 1)} {listed} (the file must be UTF-8)")
    lone = [c for c in found if c != "\x00" and c not in raw]
    if lone:
        listed = ", ".join(repr(c)[1:-1] for c in lone)
        why.append(f"lone surrogate{'s' * (len(lone) > 1)} {listed} (not Unicode text)")
    return "; ".join(why)


def _decode(data: bytes) -> tuple[str, bool]:
    """The file's text (a UTF-8 BOM dropped) and whether it held bytes that are not UTF-8:
    those are kept as surrogates, so each is reported where it is rather than failing the file."""
    data = data.removeprefix(codecs.BOM_UTF8)
    try:
        return data.decode("utf-8"), False
    except UnicodeDecodeError:
        return data.decode("utf-8", "surrogateescape"), True


def _field_name(name: str, undecodable: bool) -> str:
    """A field name with its unstorable characters left out (reported apart), so the field
    still means what it was meant to and its value is validated as usual."""
    return _UNSTORABLE.sub("", name) or _visible(name, undecodable)


def _checked(out: FileRows, name: str, line: int, raw: Raw, undecodable: bool) -> Raw:
    """``raw`` with every unstorable field name or text value reported, and spelled out."""
    clean: Raw = {}
    for key, value in raw.items():
        field = _field_name(key, undecodable)
        if (why := _unstorable(key, undecodable)) is not None:
            out.issues.append(ImportIssue(name, line, _visible(key, undecodable), f"field name: {why}"))
        if isinstance(value, str) and (why := _unstorable(value, undecodable)) is not None:
            out.issues.append(ImportIssue(name, line, field, why))
            out.flagged.add((line, field))
            value = _visible(value, undecodable)
        clean[field] = value
    return clean


def read_rows(path: Path) -> FileRows:
    """(line, raw row) pairs; blank CSV cells become absent fields so defaults apply. Nothing in
    a file raises: an unreadable file, invalid JSON, a byte that is not UTF-8 or a NUL becomes
    an issue at its line (and field, where there is one), so all of them are listed at once."""
    out = FileRows([], [], set())
    name = path.name
    try:
        text, undecodable = _decode(path.read_bytes())
    except OSError as exc:
        out.issues.append(ImportIssue(name, 1, "(file)", f"cannot read ({exc.strerror})"))
        return out
    if path.suffix == ".json":
        _read_json(out, name, text, undecodable)
    else:
        _read_csv(out, name, text, undecodable)
    return out


def _read_json(out: FileRows, name: str, text: str, undecodable: bool) -> None:
    """Items are numbered from 1. ``strict=False`` admits raw control characters in strings, so
    a raw NUL is reported at its item and field like an escaped one; a file that does not
    parse is reported at its text line."""
    try:
        data = json.loads(text, strict=False)
    except json.JSONDecodeError as exc:
        at = text[exc.pos : exc.pos + 1]
        why = _unstorable(at, undecodable) if at else None
        reason = f"{why} (at column {exc.colno})" if why else f"invalid JSON at column {exc.colno}: {exc.msg}"
        out.issues.append(ImportIssue(name, exc.lineno, "(file)", reason))
        return
    except RecursionError:
        out.issues.append(ImportIssue(name, 1, "(file)", "invalid JSON: nested too deeply"))
        return
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        out.issues.append(ImportIssue(name, 1, "(file)", "expected a JSON array of objects"))
        return
    out.rows = [(i, _checked(out, name, i, r, undecodable)) for i, r in enumerate(data, start=1)]


def _read_csv(out: FileRows, name: str, text: str, undecodable: bool) -> None:
    """A row's line is the file line it ends on (header = 1). A header cell with a bad byte is
    reported once and read without it, so its column still means what it was meant to."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, [])
        columns = []
        for cell in header:
            if (why := _unstorable(cell, undecodable)) is not None:
                out.issues.append(
                    ImportIssue(name, reader.line_num, _visible(cell, undecodable), f"column name: {why}")
                )
            columns.append(_field_name(cell, undecodable))
        for cells in reader:
            line = reader.line_num
            if not cells:
                continue
            raw = _checked(
                out, name, line, {k: v for k, v in zip(columns, cells, strict=False) if v != ""}, undecodable
            )
            extra = cells[len(columns) :]
            for cell in extra:
                if (why := _unstorable(cell, undecodable)) is not None:
                    out.issues.append(ImportIssue(name, line, "(extra columns)", why))
            out.rows.append(
                (line, {"(extra columns)": [_visible(c, undecodable) for c in extra]} if extra else raw)
            )
    except csv.Error as exc:
        out.issues.append(ImportIssue(name, reader.line_num, "(file)", f"unreadable CSV: {exc}"))


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
        self.flagged: set[tuple[str, int, str]] = set()  # (file, line, field) holding bad text

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
        if (file, line, field) not in self.flagged:  # its bad text is the problem to report
            self.issues.append(ImportIssue(file, line, field, reason))

    def read(self, path: Path) -> list[tuple[int, Raw]]:
        found = read_rows(path)
        self.issues += found.issues
        self.flagged |= {(path.name, line, field) for line, field in found.flagged}
        return found.rows


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
        raw_rows = raws[table] = v.read(files[table])
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

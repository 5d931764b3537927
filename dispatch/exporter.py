"""Export the region to the same CSV/JSON files the importer reads, so data can round-trip
between installations and spreadsheets."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch import models as m
from dispatch.records import TABLES


def _t(value: datetime | None, zone: ZoneInfo) -> str:
    return value.astimezone(zone).isoformat(timespec="minutes") if value else ""


def _d(value: date | None) -> str:
    return value.isoformat() if value else ""


def _cell(value: Any) -> Any:
    """A CSV cell: booleans as ``true``/``false`` (what a spreadsheet user types), None empty."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else value


def rows(session: Session, table: str) -> Iterator[dict[str, Any]]:
    territories = {t.id: t for t in session.scalars(select(m.Territory))}
    zone_of = {t.id: ZoneInfo(t.timezone) for t in territories.values()}

    def codes(model: Any, col: str = "code") -> dict[int, str]:
        return {o.id: getattr(o, col) for o in session.scalars(select(model))}

    if table == "territories":
        for t in territories.values():
            yield {"code": t.code, "name": t.name, "timezone": t.timezone}
    elif table == "sla_policies":
        for p in session.scalars(select(m.SlaPolicy).order_by(m.SlaPolicy.code)):
            yield {k: getattr(p, k) for k in TABLES[table].model_fields} | {"calendar": p.calendar.value}
    elif table == "depots":
        for d in session.scalars(select(m.Depot).order_by(m.Depot.code)):
            yield {
                "code": d.code,
                "name": d.name,
                "territory": territories[d.territory_id].code,
                "lat": d.lat,
                "lon": d.lon,
                "address": d.address,
            }
    elif table == "depot_lanes":
        depots = codes(m.Depot)
        lanes = [
            (depots[lane.from_depot_id], depots[lane.to_depot_id], lane.lead_minutes)
            for lane in session.scalars(select(m.DepotLane))
        ]
        for src, dst, lead in sorted(lanes):
            yield {"from_depot": src, "to_depot": dst, "lead_minutes": lead}
    elif table == "parts":
        for part in session.scalars(select(m.Part).order_by(m.Part.sku)):
            yield {
                "sku": part.sku,
                "name": part.name,
                "category": part.category,
                "unit_cost_cents": part.unit_cost_cents,
            }
    elif table == "engineers":
        for e in session.scalars(select(m.Engineer).order_by(m.Engineer.code)):
            yield {
                "code": e.code,
                "name": e.name,
                "territory": territories[e.territory_id].code,
                "home_lat": e.home_lat,
                "home_lon": e.home_lon,
                "phone": e.phone,
                "skills": ";".join(f"{s.skill}:{s.level}" for s in e.skills),
            }
    elif table == "stock":
        parts, depots, engineers = codes(m.Part, "sku"), codes(m.Depot), codes(m.Engineer)
        for s in session.scalars(select(m.Stock).order_by(m.Stock.id)):
            yield {
                "part": parts[s.part_id],
                "depot": depots.get(s.depot_id, "") if s.depot_id else "",
                "engineer": engineers[s.engineer_id] if s.engineer_id else "",
                "quantity": s.quantity,
                "par": s.par,
            }
    elif table == "shifts":
        for sh in session.scalars(select(m.Shift).join(m.Engineer).order_by(m.Engineer.code, m.Shift.day)):
            zone = zone_of[sh.engineer.territory_id]
            yield {
                "engineer": sh.engineer.code,
                "day": _d(sh.day),
                "start": _t(sh.start, zone),
                "end": _t(sh.end, zone),
                "break_earliest": _t(sh.break_earliest, zone),
                "break_latest_end": _t(sh.break_latest_end, zone),
                "break_minutes": sh.break_minutes,
            }
    elif table == "customers":
        for c in session.scalars(select(m.Customer).order_by(m.Customer.code)):
            yield {"code": c.code, "name": c.name, "phone": c.phone, "on_credit_hold": c.on_credit_hold}
    elif table == "sites":
        customers = codes(m.Customer)
        for site in session.scalars(select(m.Site).order_by(m.Site.code)):
            yield {
                "code": site.code,
                "customer": customers[site.customer_id],
                "territory": territories[site.territory_id].code,
                "address": site.address,
                "lat": site.lat,
                "lon": site.lon,
            }
    elif table == "contracts":
        customers, policies = codes(m.Customer), codes(m.SlaPolicy)
        for k in session.scalars(select(m.Contract).order_by(m.Contract.code)):
            yield {
                "code": k.code,
                "customer": customers[k.customer_id],
                "sla_policy": policies[k.sla_policy_id],
                "starts_on": _d(k.starts_on),
                "ends_on": _d(k.ends_on),
            }
    elif table == "assets":
        sites, contracts = codes(m.Site), codes(m.Contract)
        for a in session.scalars(select(m.Asset).order_by(m.Asset.serial)):
            yield {
                "serial": a.serial,
                "site": sites[a.site_id],
                "product": a.product,
                "category": a.category,
                "warranty_end": _d(a.warranty_end),
                "contract": contracts[a.contract_id] if a.contract_id else "",
            }
    elif table == "jobs":
        sites_rows = {s.id: s for s in session.scalars(select(m.Site))}
        assets, policies, parts = codes(m.Asset, "serial"), codes(m.SlaPolicy), codes(m.Part, "sku")
        contracts = codes(m.Contract)
        for j in session.scalars(select(m.Job).order_by(m.Job.code)):
            zone = zone_of[sites_rows[j.site_id].territory_id]
            yield {
                "code": j.code,
                "site": sites_rows[j.site_id].code,
                "asset": assets[j.asset_id] if j.asset_id else "",
                "description": j.description,
                "duration_minutes": j.duration_minutes,
                "reported_at": _t(j.reported_at, zone),
                "sla_policy": policies[j.sla_policy_id] if j.sla_policy_id else "",
                "priority": j.priority,
                "skills": ";".join(f"{s.skill}:{s.min_level}" for s in j.skills),
                "windows": ";".join(f"{_t(w.start, zone)}/{_t(w.end, zone)}" for w in j.windows),
                "parts": ";".join(f"{parts[p.part_id]}:{p.quantity}" for p in j.parts),
                "cover": j.cover or "",
                "contract": contracts[j.contract_id] if j.contract_id else "",
                "billable": j.billable,
            }


def export_directory(session: Session, directory: Path, fmt: str = "csv") -> dict[str, int]:
    if fmt not in ("csv", "json"):
        raise ValueError("format: csv or json")
    directory.mkdir(parents=True, exist_ok=True)
    counts = {}
    for table, schema in TABLES.items():
        data = list(rows(session, table))
        counts[table] = len(data)
        path = directory / f"{table}.{fmt}"
        if fmt == "json":
            path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
            continue
        with path.open("w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=list(schema.model_fields), lineterminator="\n")
            writer.writeheader()
            writer.writerows({k: _cell(v) for k, v in row.items()} for row in data)
    return counts

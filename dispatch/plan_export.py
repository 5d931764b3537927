"""A stored plan as one JSON document: what an engineer's phone or a dispatcher's export reads."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from dispatch import models as m
from dispatch.errors import NotFoundError


def load_plan(session: Session, plan_id: int) -> m.Plan:
    """A stored plan with its routes, visits and unassigned jobs, or 404 naming ``plan``."""
    plan = session.scalars(
        select(m.Plan)
        .where(m.Plan.id == plan_id)
        .options(selectinload(m.Plan.routes).selectinload(m.Route.visits), selectinload(m.Plan.unassigned))
    ).one_or_none()
    if plan is None:
        raise NotFoundError("plan", f"no plan {plan_id}")
    return plan


def plan_document(session: Session, plan_id: int) -> dict[str, Any]:
    plan = load_plan(session, plan_id)
    territory = session.get_one(m.Territory, plan.territory_id)
    zone = ZoneInfo(territory.timezone)
    engineers = {
        e.id: e for e in session.scalars(select(m.Engineer).where(m.Engineer.territory_id == territory.id))
    }
    jobs = {
        j.id: j
        for j in session.scalars(
            select(m.Job).where(
                m.Job.id.in_(
                    [v.job_id for r in plan.routes for v in r.visits if v.job_id]
                    + [u.job_id for u in plan.unassigned]
                )
            )
        )
    }

    depots = {
        d.id: d.code for d in session.scalars(select(m.Depot).where(m.Depot.territory_id == territory.id))
    }

    def local(t: Any) -> str:
        return str(t.astimezone(zone).isoformat(timespec="minutes"))

    return {
        "plan": plan.id,
        "territory": territory.code,
        "day": plan.day.isoformat(),
        "status": plan.status.value,
        "created_at": plan.created_at.isoformat(timespec="seconds"),
        "kpis": plan.kpis,
        "routes": [
            {
                "engineer": engineers[r.engineer_id].code,
                "engineer_name": engineers[r.engineer_id].name,
                "version": r.version,  # send it back with a manual move: a stale view is refused
                "start": local(r.start),
                "end": local(r.end),
                "travel_minutes": round(r.travel_seconds / 60),
                "distance_km": round(r.distance_m / 1000, 1),
                "visits": [
                    {
                        "seq": v.seq,
                        "kind": v.kind,
                        "job": jobs[v.job_id].code if v.job_id else None,
                        "pinned": jobs[v.job_id].pinned if v.job_id else False,
                        "eta": local(v.arrival),
                        "start": local(v.start),
                        "end": local(v.end),
                        "late_minutes": round(v.late_seconds / 60),
                        **(
                            {
                                "depot": depots.get(v.depot_id),
                                "loads": (v.loads or {}).get("parts", {}),
                            }
                            if v.kind == "depot" and v.depot_id is not None
                            else {}
                        ),
                    }
                    for v in r.visits
                ],
            }
            for r in plan.routes
        ],
        "unassigned": [
            {"job": jobs[u.job_id].code, "reason": u.reason, "detail": u.detail} for u in plan.unassigned
        ],
    }

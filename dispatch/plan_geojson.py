"""A stored plan as GeoJSON (RFC 7946, lon/lat order): what a map draws without knowing our model.
Each route is a LineString from home through its visits back home; each stop, each unassigned
job and each depot is a Point whose properties say what it is."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch import models as m
from dispatch.plan_export import load_plan


def _point(lat: float, lon: float, **props: Any) -> dict[str, Any]:
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]}, "properties": props}


def plan_geojson(session: Session, plan_id: int) -> dict[str, Any]:
    plan = load_plan(session, plan_id)
    engineers = {
        e.id: e
        for e in session.scalars(select(m.Engineer).where(m.Engineer.territory_id == plan.territory_id))
    }
    job_ids = [v.job_id for r in plan.routes for v in r.visits if v.job_id] + [
        u.job_id for u in plan.unassigned
    ]
    jobs = {j.id: j for j in session.scalars(select(m.Job).where(m.Job.id.in_(job_ids)))}
    sites = {
        s.id: s
        for s in session.scalars(select(m.Site).where(m.Site.id.in_({j.site_id for j in jobs.values()})))
    }
    features: list[dict[str, Any]] = []
    for route in plan.routes:
        eng = engineers[route.engineer_id]
        line = [[eng.home_lon, eng.home_lat]]
        for v in route.visits:
            if v.job_id is None:
                continue
            job = jobs[v.job_id]
            site = sites[job.site_id]
            line.append([site.lon, site.lat])
            features.append(
                _point(
                    site.lat,
                    site.lon,
                    kind="visit",
                    engineer=eng.code,
                    seq=v.seq,
                    job=job.code,
                    address=site.address,
                    eta=v.arrival.isoformat(),
                    start=v.start.isoformat(),
                    end=v.end.isoformat(),
                    late_minutes=round(v.late_seconds / 60),
                )
            )
        line.append([eng.home_lon, eng.home_lat])
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "LineString", "coordinates": line},
                "properties": {
                    "kind": "route",
                    "engineer": eng.code,
                    "engineer_name": eng.name,
                    "visits": sum(1 for v in route.visits if v.job_id),
                    "travel_minutes": round(route.travel_seconds / 60),
                    "distance_km": round(route.distance_m / 1000, 1),
                },
            }
        )
    for u in plan.unassigned:
        job = jobs[u.job_id]
        site = sites[job.site_id]
        features.append(
            _point(site.lat, site.lon, kind="unassigned", job=job.code, reason=u.reason, detail=u.detail)
        )
    for depot in session.scalars(select(m.Depot).where(m.Depot.territory_id == plan.territory_id)):
        features.append(_point(depot.lat, depot.lon, kind="depot", depot=depot.code, name=depot.name))
    return {
        "type": "FeatureCollection",
        "properties": {"plan": plan.id, "status": plan.status.value},
        "features": features,
    }

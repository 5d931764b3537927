"""Parts: availability near a place, reservations made by publishing, stock that never goes
negative under concurrent reservations (PostgreSQL), reservations per job through the API."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from dispatch import models as m
from dispatch.parts import reserve_for_job
from tests.api.conftest import Api
from tests.api.plans_helper import make_plan

postgres_only = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


def _reserved_matches_reservations(s: Session) -> None:
    """The invariant: each stock row's reserved count is the sum of its open reservations."""
    held = dict(
        s.execute(
            select(m.PartReservation.stock_id, func.sum(m.PartReservation.quantity))
            .where(m.PartReservation.status == m.ReservationStatus.RESERVED)
            .group_by(m.PartReservation.stock_id)
        ).all()
    )
    for stock in s.scalars(select(m.Stock)):
        assert stock.reserved == held.get(stock.id, 0), stock.id
        assert 0 <= stock.reserved <= stock.quantity


def test_availability_lists_free_stock_nearest_first(api: Api) -> None:
    r = api.get("/parts/AC-CAP-35/availability", who="agent", params={"lat": 23.13, "lon": 113.33})
    assert r.status_code == 200, r.text
    places = r.json()
    assert places and all(p["free"] > 0 for p in places)
    minutes = [p["travel_minutes"] for p in places]
    assert minutes == sorted(minutes)
    gz = api.get("/parts/AC-CAP-35/availability", who="engineer", params={"territory": "GZ"}).json()
    with api.sessions() as s:
        gz_depots = set(s.scalars(select(m.Depot.code).join(m.Territory).where(m.Territory.code == "GZ")))
    assert {p["code"] for p in gz if p["kind"] == "depot"} <= gz_depots
    assert api.get("/parts/AC-CAP-35/availability", params={"lat": 23.1}).status_code == 422
    assert api.get("/parts/NOPE/availability").status_code == 404
    assert api.get("/depots/D-GZ-BY/stock").json()[0]["sku"]


def test_publishing_reserves_the_parts_of_planned_jobs(api: Api) -> None:
    plan_id = make_plan(api, publish_it=True)
    with api.sessions() as s:
        planned = [
            v.job_id for r in s.get_one(m.Plan, plan_id).routes for v in r.visits if v.job_id is not None
        ]
        needing = s.scalars(select(m.JobPart.job_id).where(m.JobPart.job_id.in_(planned))).all()
        held = set(s.scalars(select(m.PartReservation.job_id)))
        assert needing and held <= set(needing)
        assert len(held) >= len(set(needing)) // 2  # most are found on a van or in a depot
        _reserved_matches_reservations(s)
        code = s.get_one(m.Job, next(iter(held))).code
    rows = api.get(f"/jobs/{code}/reservations", who="agent").json()
    assert rows and rows[0]["status"] == "reserved" and rows[0]["place"] in ("van", "depot")


@postgres_only
def test_concurrent_reservations_never_overdraw_a_depot(sessions: sessionmaker[Session]) -> None:
    from tests.persistence.factories import job as make_job

    with sessions.begin() as s:
        first = make_job(s, "J0")
        site = s.get_one(m.Site, first.site_id)
        part = m.Part(sku="VALVE", name="valve", category="water_heater")
        depot = m.Depot(code="D1", name="depot", territory_id=site.territory_id, lat=23.1, lon=113.3)
        eng = m.Engineer(code="E1", name="Li", territory_id=site.territory_id, home_lat=23.1, home_lon=113.3)
        s.add_all([part, depot, eng])
        s.flush()
        s.add(m.Stock(part_id=part.id, depot_id=depot.id, quantity=5, reserved=0))
        ids = [first.id] + [make_job(s, f"J{i}").id for i in range(1, 20)]
        for job_id in ids:
            s.add(m.JobPart(job_id=job_id, part_id=part.id, quantity=1))
        engineer_id = eng.id

    def reserve(job_id: int) -> int:
        with sessions.begin() as s:
            job = s.get_one(m.Job, job_id)
            return len(reserve_for_job(s, job, engineer_id))

    with ThreadPoolExecutor(max_workers=20) as pool:
        made = list(pool.map(reserve, ids))
    assert sum(made) == 5 and sorted(set(made)) == [0, 1]
    with sessions() as s:
        stock = s.scalars(select(m.Stock)).one()
        assert (stock.quantity, stock.reserved) == (5, 5)
        _reserved_matches_reservations(s)
    # Cancelling one frees exactly one unit.
    with sessions.begin() as s:
        held = s.scalars(select(m.PartReservation)).first()
        assert held is not None
        s.execute(update(m.Job).where(m.Job.id == held.job_id).values(status=m.JobStatus.NEW))
    with sessions.begin() as s:
        from dispatch.parts import release_for_job

        assert release_for_job(s, s.get_one(m.Job, held.job_id)) == 1
    with sessions() as s:
        assert s.scalars(select(m.Stock)).one().reserved == 4
        _reserved_matches_reservations(s)

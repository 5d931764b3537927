"""Spare parts: where a part is free near a place, stock per depot, what a job holds."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import BOOKERS, STAFF, Sessions, User, guard
from api.schemas.common import Code, Out, Sku
from dispatch import models as m
from dispatch import parts as svc
from dispatch.jobs import get_job

router = APIRouter(tags=["parts"])


class PlaceOut(Out):
    kind: str
    code: str
    name: str
    lat: float
    lon: float
    free: int
    quantity: int
    travel_minutes: int | None


class DepotStockOut(Out):
    sku: str
    name: str
    quantity: int
    reserved: int


class ReservationOut(Out):
    sku: str
    quantity: int
    status: m.ReservationStatus
    place: str
    place_code: str


@router.get(
    "/parts/{sku}/availability",
    response_model=list[PlaceOut],
    **guard(*BOOKERS, m.Role.ENGINEER, errors=[404]),
)
def availability(
    sku: Sku,
    sessions: Sessions,
    lat: Annotated[float | None, Query(ge=-90, le=90, allow_inf_nan=False)] = None,
    lon: Annotated[float | None, Query(ge=-180, le=180, allow_inf_nan=False)] = None,
    territory: Code | None = None,
) -> list[PlaceOut]:
    """Depots and vans with free units of a part, nearest first when lat/lon are given."""
    with sessions() as s:
        return [PlaceOut.model_validate(p) for p in svc.availability(s, sku, lat, lon, territory)]


@router.get("/depots/{code}/stock", response_model=list[DepotStockOut], **guard(*STAFF, errors=[404]))
def depot_stock(code: Code, sessions: Sessions) -> list[DepotStockOut]:
    with sessions() as s:
        return [
            DepotStockOut(sku=p.sku, name=p.name, quantity=st.quantity, reserved=st.reserved)
            for st, p in svc.depot_stock(s, code)
        ]


@router.get("/jobs/{code}/reservations", response_model=list[ReservationOut], **guard(*BOOKERS, errors=[404]))
def job_reservations(code: Code, sessions: Sessions, user: User) -> list[ReservationOut]:
    with sessions() as s:
        job = get_job(s, code, user)
        return [
            ReservationOut(sku=p.sku, quantity=r.quantity, status=r.status, place=kind, place_code=place)
            for r, p, kind, place in svc.reservations(s, job)
        ]

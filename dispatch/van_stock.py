"""What happens to stock when an engineer stops at a depot: the parts the plan loads there for
later visits (or, at a booking's pick-up, the parts held for the visit it was booked with) move
from the depot's shelf to the van (their reservations move with them), and the van is refilled
to its standard level (``Stock.par``) from what the depot has free.

Until the stop is made, units stay on the depot's books, reserved; afterwards the van holds
them, so a service report consumes from the van and a re-plan sees them on board. Every change
is a guarded UPDATE (``quantity - reserved`` never below zero), so concurrent collections or
bookings cannot overdraw a depot.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from dispatch import models as m
from dispatch.errors import ConflictError, NotFoundError
from dispatch.users import Principal

R = m.ReservationStatus


@dataclass(frozen=True, slots=True)
class Collected:
    depot: str
    for_jobs: dict[str, int]  # sku → units moved to the van for planned visits
    refilled: dict[str, int]  # sku → units taken to bring the van back to its standard stock
    at: datetime


def collect(session: Session, who: Principal, visit_id: int, now: datetime | None = None) -> Collected:
    """The engineer has made depot stop ``visit_id`` of their published route. Once only."""
    if who.engineer_id is None:
        raise NotFoundError("visit", "only an engineer's own depot stops can be collected")
    engineer = session.get_one(m.Engineer, who.engineer_id)
    now = now or m.utcnow()
    visit = session.scalars(
        select(m.Visit)
        .join(m.Route)
        .join(m.Plan)
        .where(
            m.Visit.id == visit_id,
            m.Visit.kind == "depot",
            m.Route.engineer_id == engineer.id,
            m.Plan.status == m.PlanStatus.PUBLISHED,
        )
        .with_for_update()
    ).one_or_none()
    if visit is None or visit.depot_id is None:
        raise NotFoundError("visit", f"no depot stop {visit_id} on {engineer.code}'s published route")
    if visit.collected_at is not None:
        when = visit.collected_at.isoformat(timespec="minutes")
        raise ConflictError("visit", f"depot stop {visit_id} was already collected at {when}")
    depot = session.get_one(m.Depot, visit.depot_id)
    later_jobs = list(
        session.scalars(
            select(m.Visit.job_id)
            .where(m.Visit.route_id == visit.route_id, m.Visit.seq > visit.seq, m.Visit.job_id.is_not(None))
            .order_by(m.Visit.seq)
        )
    )
    booked = visit.loads is None  # a booking's pick-up: for the next visit, wherever it is held
    if booked:
        later_jobs = later_jobs[:1]
    moved: dict[str, int] = {}
    for r, stock, part in session.execute(
        select(m.PartReservation, m.Stock, m.Part)
        .join(m.Stock, m.Stock.id == m.PartReservation.stock_id)
        .join(m.Part, m.Part.id == m.Stock.part_id)
        .where(
            m.PartReservation.job_id.in_(later_jobs),
            m.PartReservation.status == R.RESERVED,
            m.Stock.depot_id.is_not(None),
        )
        .with_for_update()
    ).all():
        # Reserved here, or at the depot a transfer to this one leaves from (a booking's
        # pick-up names no source: its job's depot reservations are what it collects).
        source = (visit.loads or {}).get("transfer_from") or depot.id
        if not booked and stock.depot_id != source:
            continue
        van = _van_row(session, engineer.id, part.id)
        session.execute(
            update(m.Stock)
            .where(m.Stock.id == stock.id)
            .values(quantity=m.Stock.quantity - r.quantity, reserved=m.Stock.reserved - r.quantity)
            .execution_options(synchronize_session=False)
        )
        session.execute(
            update(m.Stock)
            .where(m.Stock.id == van.id)
            .values(quantity=m.Stock.quantity + r.quantity, reserved=m.Stock.reserved + r.quantity)
            .execution_options(synchronize_session=False)
        )
        r.stock_id = van.id
        moved[part.sku] = moved.get(part.sku, 0) + r.quantity
    refilled: dict[str, int] = {}
    for van, part in session.execute(
        select(m.Stock, m.Part)
        .join(m.Part, m.Part.id == m.Stock.part_id)
        .where(m.Stock.engineer_id == engineer.id, m.Stock.par > 0)
        .order_by(m.Part.sku)
        .with_for_update(of=m.Stock)
        .execution_options(populate_existing=True)  # the moves above updated rows in SQL
    ).all():
        short = van.par - (van.quantity - van.reserved)
        if short <= 0:
            continue
        shelf = session.scalars(
            select(m.Stock).where(m.Stock.depot_id == depot.id, m.Stock.part_id == part.id).with_for_update()
        ).one_or_none()
        take = min(short, shelf.quantity - shelf.reserved) if shelf is not None else 0
        if shelf is None or take <= 0:
            continue
        done = session.execute(
            update(m.Stock)
            .where(m.Stock.id == shelf.id, m.Stock.quantity - take >= m.Stock.reserved)
            .values(quantity=m.Stock.quantity - take)
            .execution_options(synchronize_session=False)
        )
        if done.rowcount != 1:  # type: ignore[attr-defined]
            continue  # taken by someone else meanwhile: no refill rather than an overdraw
        session.execute(
            update(m.Stock)
            .where(m.Stock.id == van.id)
            .values(quantity=m.Stock.quantity + take)
            .execution_options(synchronize_session=False)
        )
        refilled[part.sku] = take
    visit.collected_at = now
    session.flush()
    return Collected(depot.code, moved, refilled, now)


def _van_row(session: Session, engineer_id: int, part_id: int) -> m.Stock:
    row = session.scalars(
        select(m.Stock).where(m.Stock.engineer_id == engineer_id, m.Stock.part_id == part_id)
    ).one_or_none()
    if row is None:
        row = m.Stock(part_id=part_id, engineer_id=engineer_id, quantity=0, reserved=0, par=0)
        session.add(row)
        session.flush()
    return row

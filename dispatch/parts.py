"""Spare parts: where a part is free to take, what is held for which job, and what was used.

Stock rows carry ``quantity`` and ``reserved``; the database keeps ``0 <= reserved <=
quantity``. Every change is a conditional UPDATE (``... WHERE reserved + q <= quantity``), so
concurrent bookings, publications and reports can never take the same unit twice or drive a
count below zero, with or without row locks.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from dispatch import models as m
from dispatch.errors import ConflictError, InvalidInputError, NotFoundError
from solver.model import Location
from solver.travel import GreatCircleProvider

R = m.ReservationStatus


def part_by_sku(session: Session, sku: str) -> m.Part:
    part = session.scalars(select(m.Part).where(m.Part.sku == sku)).one_or_none()
    if part is None:
        raise NotFoundError("sku", f"no part {sku!r} in the catalogue")
    return part


@dataclass(frozen=True, slots=True)
class Place:
    kind: str  # depot | van
    code: str  # depot or engineer code
    name: str
    lat: float
    lon: float
    free: int
    quantity: int
    travel_minutes: int | None  # from the asked-about point


def availability(
    session: Session,
    sku: str,
    lat: float | None = None,
    lon: float | None = None,
    territory: str | None = None,
) -> list[Place]:
    """Every depot and van holding free units of ``sku``, nearest first when a point is given."""
    if (lat is None) != (lon is None):
        raise InvalidInputError("lat" if lat is None else "lon", "give both lat and lon, or neither")
    part = part_by_sku(session, sku)
    rows = session.execute(
        select(m.Stock, m.Depot, m.Engineer)
        .outerjoin(m.Depot, m.Depot.id == m.Stock.depot_id)
        .outerjoin(m.Engineer, m.Engineer.id == m.Stock.engineer_id)
        .where(m.Stock.part_id == part.id, m.Stock.quantity > m.Stock.reserved)
    ).all()
    territory_id = None
    if territory is not None:
        from dispatch.planning import territory_by_code

        territory_id = territory_by_code(session, territory).id
    places: list[tuple[Place, int]] = []
    for stock, depot, eng in rows:
        if depot is not None:
            where = (depot.territory_id, "depot", depot.code, depot.name, depot.lat, depot.lon)
        elif eng is not None and eng.active:
            where = (eng.territory_id, "van", eng.code, eng.name, eng.home_lat, eng.home_lon)
        else:
            continue
        if territory_id is not None and where[0] != territory_id:
            continue
        place = Place(
            where[1],
            where[2],
            where[3],
            where[4],
            where[5],
            stock.quantity - stock.reserved,
            stock.quantity,
            None,
        )
        places.append((place, 0))
    if lat is None or lon is None or not places:
        return sorted((p for p, _ in places), key=lambda p: (p.kind, p.code))
    points = [Location(lat=lat, lon=lon), *(Location(lat=p.lat, lon=p.lon) for p, _ in places)]
    seconds = GreatCircleProvider().matrix(points).durations[0]
    timed = [
        Place(p.kind, p.code, p.name, p.lat, p.lon, p.free, p.quantity, round(int(seconds[i + 1]) / 60))
        for i, (p, _) in enumerate(places)
    ]
    return sorted(timed, key=lambda p: (p.travel_minutes or 0, p.code))


def take(session: Session, stock_id: int, quantity: int) -> bool:
    """Reserve ``quantity`` of a stock row if that many are free; False if not."""
    done = session.execute(
        update(m.Stock)
        .where(m.Stock.id == stock_id, m.Stock.reserved + quantity <= m.Stock.quantity)
        .values(reserved=m.Stock.reserved + quantity)
        .execution_options(synchronize_session=False)
    )
    return bool(done.rowcount == 1)  # type: ignore[attr-defined]


def reserve_for_job(
    session: Session, job: m.Job, engineer_id: int, depot_id: int | None = None
) -> list[m.PartReservation]:
    """Hold the job's parts: from ``depot_id`` when given (the plan loads them there, or has
    them sent there from it), else from the engineer's van when it has them all free, else from
    the nearest depot of the territory that has them all. Nothing is held if none can supply
    every part (the plan shows it; the dispatcher decides). Idempotent per job and place: units
    already held where this engineer's visit gets them stay held; units held anywhere else (on
    another engineer's van, at another depot than the plan's) are released and taken afresh,
    so the reservation follows the job, not whoever had it last."""
    held = session.execute(
        select(m.Stock.engineer_id, m.Stock.depot_id)
        .join(m.PartReservation, m.PartReservation.stock_id == m.Stock.id)
        .where(m.PartReservation.job_id == job.id, m.PartReservation.status == R.RESERVED)
    ).all()
    if held:
        serves = all(
            (depot == depot_id) if depot_id is not None else (van == engineer_id or depot is not None)
            for van, depot in held
        )
        if serves:
            return []
        release_for_job(session, job)
    needs = {
        jp.part_id: jp.quantity for jp in session.scalars(select(m.JobPart).where(m.JobPart.job_id == job.id))
    }
    if not needs:
        return []
    site = session.get_one(m.Site, job.site_id)
    van = {
        s.part_id: s
        for s in session.scalars(
            select(m.Stock).where(m.Stock.engineer_id == engineer_id, m.Stock.part_id.in_(needs))
        )
    }
    sources: list[dict[int, m.Stock]] = []
    if depot_id is not None:
        planned = {
            s.part_id: s
            for s in session.scalars(
                select(m.Stock).where(m.Stock.depot_id == depot_id, m.Stock.part_id.in_(needs))
            )
        }
        if all(p in planned for p in needs):
            sources.append(planned)
    if all(p in van for p in needs):
        sources.append(van)
    depots = session.scalars(select(m.Depot).where(m.Depot.territory_id == site.territory_id)).all()
    if depots:
        points = [Location(lat=site.lat, lon=site.lon), *(Location(lat=d.lat, lon=d.lon) for d in depots)]
        seconds = GreatCircleProvider().matrix(points).durations[0]
        for _, depot in sorted(zip(seconds[1:], depots, strict=True), key=lambda x: (int(x[0]), x[1].code)):
            stock = {
                s.part_id: s
                for s in session.scalars(
                    select(m.Stock).where(m.Stock.depot_id == depot.id, m.Stock.part_id.in_(needs))
                )
            }
            if all(p in stock for p in needs):
                sources.append(stock)
    for source in sources:
        with session.begin_nested() as savepoint:
            made = []
            for part_id, qty in sorted(needs.items()):
                if not take(session, source[part_id].id, qty):
                    savepoint.rollback()
                    break
                made.append(m.PartReservation(job_id=job.id, stock_id=source[part_id].id, quantity=qty))
            else:
                session.add_all(made)
                session.flush()
                return made
    return []


def release_for_job(session: Session, job: m.Job) -> int:
    """Give back what the job holds (cancelled, or taken off the plan); returns units freed."""
    freed = 0
    for r in session.scalars(
        select(m.PartReservation)
        .where(m.PartReservation.job_id == job.id, m.PartReservation.status == R.RESERVED)
        .with_for_update()
    ):
        freed += _release(session, r)
    return freed


def _release(session: Session, r: m.PartReservation) -> int:
    session.execute(
        update(m.Stock)
        .where(m.Stock.id == r.stock_id)
        .values(reserved=m.Stock.reserved - r.quantity)
        .execution_options(synchronize_session=False)
    )
    r.status = R.RELEASED
    return r.quantity


def consume(session: Session, job: m.Job, engineer_id: int, used: dict[str, int]) -> None:
    """Take what the engineer reports used out of stock: from what was reserved for the job on
    this engineer's van or at a depot first, the rest from the van. Units held for the job on
    another engineer's van were never in this engineer's hands: they are released, not taken.
    A van that does not hold the rest is refused (409 naming the part): stock never goes below
    zero; the van needs a stock count first."""
    parts = {p.sku: p for p in session.scalars(select(m.Part).where(m.Part.sku.in_(used)))}
    reserved = {
        r.stock_id: r
        for r in session.scalars(
            select(m.PartReservation)
            .where(m.PartReservation.job_id == job.id, m.PartReservation.status == R.RESERVED)
            .with_for_update()
        )
    }
    rows = {s.id: s for s in session.scalars(select(m.Stock).where(m.Stock.id.in_(reserved)))}
    held = {}
    for stock_id, r in reserved.items():
        if rows[stock_id].engineer_id not in (None, engineer_id):
            _release(session, r)
        else:
            held[stock_id] = r
    stock_of = {i: s.part_id for i, s in rows.items()}
    for sku, qty in sorted(used.items()):
        part = parts[sku]
        left = qty
        for stock_id, r in held.items():
            if stock_of[stock_id] != part.id or left == 0:
                continue
            take = min(left, r.quantity)
            session.execute(
                update(m.Stock)
                .where(m.Stock.id == stock_id)
                .values(quantity=m.Stock.quantity - take, reserved=m.Stock.reserved - r.quantity)
                .execution_options(synchronize_session=False)
            )
            r.status = R.CONSUMED
            left -= take
        if left:
            done = session.execute(
                update(m.Stock)
                .where(
                    m.Stock.engineer_id == engineer_id,
                    m.Stock.part_id == part.id,
                    m.Stock.quantity - left >= m.Stock.reserved,
                )
                .values(quantity=m.Stock.quantity - left)
                .execution_options(synchronize_session=False)
            )
            if done.rowcount != 1:  # type: ignore[attr-defined]
                raise ConflictError(
                    f"parts_used.{sku}",
                    f"the van holds no {left} free unit(s) of {sku}; count the van's stock first",
                )


def reservations(session: Session, job: m.Job) -> list[tuple[m.PartReservation, m.Part, str, str]]:
    """(reservation, part, place kind, place code) for a job, oldest first."""
    out = []
    for r, _stock, part, depot, eng in session.execute(
        select(m.PartReservation, m.Stock, m.Part, m.Depot, m.Engineer)
        .join(m.Stock, m.Stock.id == m.PartReservation.stock_id)
        .join(m.Part, m.Part.id == m.Stock.part_id)
        .outerjoin(m.Depot, m.Depot.id == m.Stock.depot_id)
        .outerjoin(m.Engineer, m.Engineer.id == m.Stock.engineer_id)
        .where(m.PartReservation.job_id == job.id)
        .order_by(m.PartReservation.id)
    ):
        kind, code = ("depot", depot.code) if depot is not None else ("van", eng.code)
        out.append((r, part, kind, code))
    return out


def depot_stock(session: Session, code: str) -> list[tuple[m.Stock, m.Part]]:
    depot = session.scalars(select(m.Depot).where(m.Depot.code == code)).one_or_none()
    if depot is None:
        raise NotFoundError("depot", f"no depot {code!r}")
    rows = session.execute(
        select(m.Stock, m.Part).join(m.Part).where(m.Stock.depot_id == depot.id).order_by(m.Part.sku)
    )
    return [(stock, part) for stock, part in rows]

"""Engineers as the dispatcher maintains them: details, skills, shifts and van stock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from dispatch import models as m
from dispatch.errors import ConflictError, InvalidInputError, NotFoundError
from dispatch.planning import territory_by_code


def get_engineer(session: Session, code: str) -> m.Engineer:
    engineer = session.scalars(
        select(m.Engineer).where(m.Engineer.code == code).options(selectinload(m.Engineer.skills))
    ).one_or_none()
    if engineer is None:
        raise NotFoundError("engineer", f"no engineer {code!r}")
    return engineer


def list_engineers(
    session: Session, territory: str | None = None, active_only: bool = False
) -> list[m.Engineer]:
    q = select(m.Engineer).options(selectinload(m.Engineer.skills)).order_by(m.Engineer.code)
    if territory is not None:
        q = q.where(m.Engineer.territory_id == territory_by_code(session, territory).id)
    if active_only:
        q = q.where(m.Engineer.active)
    return list(session.scalars(q))


def _check_skills(skills: dict[str, int]) -> None:
    for name, level in skills.items():
        if not name.strip():
            raise InvalidInputError("skills", "a skill needs a name")
        if not 1 <= level <= 5:
            raise InvalidInputError(f"skills.{name}", f"level must be 1 to 5 (got {level})")


@dataclass(frozen=True, slots=True)
class EngineerFields:
    name: str | None = None
    territory: str | None = None
    home_lat: float | None = None
    home_lon: float | None = None
    phone: str | None = None
    active: bool | None = None
    skills: dict[str, int] | None = None


def create_engineer(session: Session, code: str, fields: EngineerFields) -> m.Engineer:
    if session.scalars(select(m.Engineer.id).where(m.Engineer.code == code)).first() is not None:
        raise ConflictError("code", f"engineer {code} exists")
    if fields.name is None or fields.territory is None or fields.home_lat is None or fields.home_lon is None:
        raise InvalidInputError("name", "name, territory, home_lat and home_lon are required")
    engineer = m.Engineer(
        code=code,
        name=fields.name,
        territory_id=territory_by_code(session, fields.territory).id,
        home_lat=fields.home_lat,
        home_lon=fields.home_lon,
        phone=fields.phone or "",
        active=True if fields.active is None else fields.active,
    )
    _check_skills(fields.skills or {})
    engineer.skills = [m.EngineerSkill(skill=s, level=lv) for s, lv in sorted((fields.skills or {}).items())]
    session.add(engineer)
    session.flush()
    return engineer


def update_engineer(session: Session, code: str, fields: EngineerFields) -> m.Engineer:
    engineer = get_engineer(session, code)
    if fields.name is not None:
        engineer.name = fields.name
    if fields.territory is not None:
        engineer.territory_id = territory_by_code(session, fields.territory).id
    if fields.home_lat is not None:
        engineer.home_lat = fields.home_lat
    if fields.home_lon is not None:
        engineer.home_lon = fields.home_lon
    if fields.phone is not None:
        engineer.phone = fields.phone
    if fields.active is not None:
        engineer.active = fields.active
    if fields.skills is not None:
        _check_skills(fields.skills)
        engineer.skills = [m.EngineerSkill(skill=s, level=lv) for s, lv in sorted(fields.skills.items())]
    session.flush()
    return engineer


def shifts(session: Session, code: str, start: date | None = None, end: date | None = None) -> list[m.Shift]:
    engineer = get_engineer(session, code)
    q = select(m.Shift).where(m.Shift.engineer_id == engineer.id).order_by(m.Shift.day)
    if start is not None:
        q = q.where(m.Shift.day >= start)
    if end is not None:
        q = q.where(m.Shift.day <= end)
    return list(session.scalars(q))


@dataclass(frozen=True, slots=True)
class ShiftFields:
    start: datetime
    end: datetime
    break_earliest: datetime | None = None
    break_latest_end: datetime | None = None
    break_minutes: int = 0
    max_jobs: int | None = None


def put_shift(session: Session, code: str, day: date, fields: ShiftFields) -> tuple[m.Shift, bool]:
    """Create or replace the engineer's shift on ``day``; returns (shift, created).

    A shift belongs to the day it starts on, in the territory's time zone (planning finds it by
    that day), and lasts at most 24 hours, so a night shift may end the next morning; its break
    window lies inside it."""
    engineer = get_engineer(session, code)
    if fields.end <= fields.start:
        raise InvalidInputError("end", "a shift must end after it starts")
    zone = session.get_one(m.Territory, engineer.territory_id).timezone
    starts_on = fields.start.astimezone(ZoneInfo(zone)).date()
    if starts_on != day:
        raise InvalidInputError("start", f"the shift of {day} starts on {starts_on} ({zone} time)")
    if (fields.end - fields.start).total_seconds() > 24 * 3600:
        raise InvalidInputError("end", "a shift lasts at most 24 hours")
    for name in ("break_earliest", "break_latest_end"):
        moment = getattr(fields, name)
        if moment is not None and not fields.start <= moment <= fields.end:
            raise InvalidInputError(name, "the break window lies inside the shift")
    if fields.break_minutes:
        if fields.break_earliest is None or fields.break_latest_end is None:
            raise InvalidInputError("break_earliest", "a break needs its window")
        if (fields.break_latest_end - fields.break_earliest).total_seconds() < fields.break_minutes * 60:
            raise InvalidInputError("break_latest_end", "the break window is shorter than the break")
    shift = session.scalars(
        select(m.Shift).where(m.Shift.engineer_id == engineer.id, m.Shift.day == day)
    ).one_or_none()
    created = shift is None
    if shift is None:
        shift = m.Shift(engineer_id=engineer.id, day=day)
        session.add(shift)
    shift.start, shift.end = fields.start, fields.end
    shift.break_earliest, shift.break_latest_end = fields.break_earliest, fields.break_latest_end
    shift.break_minutes, shift.max_jobs = fields.break_minutes, fields.max_jobs
    session.flush()
    return shift, created


def delete_shift(session: Session, code: str, day: date) -> None:
    engineer = get_engineer(session, code)
    shift = session.scalars(
        select(m.Shift).where(m.Shift.engineer_id == engineer.id, m.Shift.day == day)
    ).one_or_none()
    if shift is None:
        raise NotFoundError("day", f"{code} has no shift on {day}")
    used = session.scalar(
        select(func.count())
        .select_from(m.Route)
        .join(m.Plan)
        .where(m.Route.shift_id == shift.id, m.Plan.status != m.PlanStatus.SUPERSEDED)
    )
    if used:
        raise ConflictError("day", f"{code}'s shift on {day} is in a live plan; re-plan without it first")
    session.delete(shift)
    session.flush()


def van_stock(session: Session, code: str) -> list[tuple[m.Stock, m.Part]]:
    engineer = get_engineer(session, code)
    rows = session.execute(
        select(m.Stock, m.Part).join(m.Part).where(m.Stock.engineer_id == engineer.id).order_by(m.Part.sku)
    )
    return [(stock, part) for stock, part in rows]


def set_van_stock(session: Session, code: str, sku: str, quantity: int) -> m.Stock:
    """Set what the van holds of one part (a stock count); never below what is reserved."""
    engineer = get_engineer(session, code)
    if quantity < 0:
        raise InvalidInputError("quantity", "stock cannot be negative")
    part = session.scalars(select(m.Part).where(m.Part.sku == sku)).one_or_none()
    if part is None:
        raise NotFoundError("sku", f"no part {sku!r} in the catalogue")
    stock = session.scalars(
        select(m.Stock)
        .where(m.Stock.engineer_id == engineer.id, m.Stock.part_id == part.id)
        .with_for_update()
    ).one_or_none()
    if stock is None:
        stock = m.Stock(part_id=part.id, engineer_id=engineer.id, quantity=0, reserved=0)
        session.add(stock)
    if quantity < stock.reserved:
        raise ConflictError("quantity", f"{stock.reserved} of {sku} are reserved for jobs on this van")
    stock.quantity = quantity
    session.flush()
    return stock

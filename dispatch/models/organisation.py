"""Who plans and who works: territories, depots, engineers with skills, and their shifts."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dispatch.models.base import Base


class Territory(Base):
    """Planned as one unit, in its own time zone."""

    __tablename__ = "territory"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    timezone: Mapped[str] = mapped_column(String(64))

    depots: Mapped[list[Depot]] = relationship(back_populates="territory")
    engineers: Mapped[list[Engineer]] = relationship(back_populates="territory")


class Depot(Base):
    __tablename__ = "depot"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    territory_id: Mapped[int] = mapped_column(ForeignKey("territory.id"), index=True)
    lat: Mapped[float]
    lon: Mapped[float]
    address: Mapped[str] = mapped_column(String(240), default="")

    territory: Mapped[Territory] = relationship(back_populates="depots")


class DepotLane(Base):
    """A transfer route for parts between two depots and how long a transfer takes: stock held
    elsewhere can still serve a job if the transfer arrives before the engineer comes by."""

    __tablename__ = "depot_lane"
    __table_args__ = (CheckConstraint("lead_minutes >= 0", name="lead_not_negative"),)
    from_depot_id: Mapped[int] = mapped_column(ForeignKey("depot.id", ondelete="CASCADE"), primary_key=True)
    to_depot_id: Mapped[int] = mapped_column(ForeignKey("depot.id", ondelete="CASCADE"), primary_key=True)
    lead_minutes: Mapped[int]


class Engineer(Base):
    __tablename__ = "engineer"
    __table_args__ = (
        CheckConstraint(
            "home_lat BETWEEN -90 AND 90 AND home_lon BETWEEN -180 AND 180", name="home_on_earth"
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    territory_id: Mapped[int] = mapped_column(ForeignKey("territory.id"), index=True)
    home_lat: Mapped[float]
    home_lon: Mapped[float]
    phone: Mapped[str] = mapped_column(String(40), default="")
    active: Mapped[bool] = mapped_column(default=True)

    territory: Mapped[Territory] = relationship(back_populates="engineers")
    skills: Mapped[list[EngineerSkill]] = relationship(
        back_populates="engineer", cascade="all, delete-orphan", order_by="EngineerSkill.skill"
    )
    shifts: Mapped[list[Shift]] = relationship(
        back_populates="engineer", cascade="all, delete-orphan", order_by="Shift.start"
    )

    def skill_levels(self) -> dict[str, int]:
        return {s.skill: s.level for s in self.skills}


class EngineerSkill(Base):
    __tablename__ = "engineer_skill"
    __table_args__ = (CheckConstraint("level BETWEEN 1 AND 5", name="level_range"),)
    engineer_id: Mapped[int] = mapped_column(ForeignKey("engineer.id", ondelete="CASCADE"), primary_key=True)
    skill: Mapped[str] = mapped_column(String(40), primary_key=True)
    level: Mapped[int]

    engineer: Mapped[Engineer] = relationship(back_populates="skills")


class Shift(Base):
    """One working day of one engineer. The lunch break may be taken anywhere inside its window."""

    __tablename__ = "shift"
    __table_args__ = (
        UniqueConstraint("engineer_id", "day", name="one_per_day"),
        CheckConstraint('"end" > start', name="ends_after_start"),
        CheckConstraint("break_minutes >= 0", name="break_not_negative"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    engineer_id: Mapped[int] = mapped_column(ForeignKey("engineer.id", ondelete="CASCADE"), index=True)
    day: Mapped[date]
    start: Mapped[datetime]
    end: Mapped[datetime]
    break_earliest: Mapped[datetime | None]
    break_latest_end: Mapped[datetime | None]
    break_minutes: Mapped[int] = mapped_column(default=0)
    max_jobs: Mapped[int | None]

    engineer: Mapped[Engineer] = relationship(back_populates="shifts")

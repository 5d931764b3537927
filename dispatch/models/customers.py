"""Who is served and what is promised: customers, sites, assets, contracts and SLA policies."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dispatch.models.base import Base, str_enum


class Calendar(StrEnum):
    ALWAYS = "24x7"
    BUSINESS_HOURS = "business_hours"


class SlaPolicy(Base):
    """A promise tier, e.g. ``P1``: on site within 4 h, round the clock."""

    __tablename__ = "sla_policy"
    __table_args__ = (
        CheckConstraint("response_minutes > 0 AND resolution_minutes >= response_minutes", name="targets"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    tier: Mapped[int]  # 3 = most urgent; drives the lateness penalty in the solver
    response_minutes: Mapped[int]  # reported-at → on site
    resolution_minutes: Mapped[int]  # reported-at → fixed
    calendar: Mapped[Calendar] = mapped_column(str_enum(Calendar))
    business_start_hour: Mapped[int] = mapped_column(default=8)
    business_end_hour: Mapped[int] = mapped_column(default=18)
    business_days: Mapped[str] = mapped_column(String(20), default="12345")  # ISO weekdays
    # Optional per-weekday hours overriding the three fields above, e.g. "1=08:00-18:00;6=09:00-13:00",
    # and days off, "2026-12-25;2027-01-01" (see dispatch.sla; same compact form as the CSV files).
    weekly_hours: Mapped[str] = mapped_column(String(200), default="", server_default="")
    holidays: Mapped[str] = mapped_column(Text, default="", server_default="")


class Customer(Base):
    __tablename__ = "customer"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(160))
    phone: Mapped[str] = mapped_column(String(40), default="")
    on_credit_hold: Mapped[bool] = mapped_column(default=False)

    sites: Mapped[list[Site]] = relationship(back_populates="customer")
    contracts: Mapped[list[Contract]] = relationship(back_populates="customer")


class Site(Base):
    __tablename__ = "site"
    __table_args__ = (
        CheckConstraint("lat BETWEEN -90 AND 90 AND lon BETWEEN -180 AND 180", name="on_earth"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    territory_id: Mapped[int] = mapped_column(ForeignKey("territory.id"), index=True)
    address: Mapped[str] = mapped_column(String(240))
    lat: Mapped[float]
    lon: Mapped[float]

    customer: Mapped[Customer] = relationship(back_populates="sites")
    assets: Mapped[list[Asset]] = relationship(back_populates="site")


class Contract(Base):
    __tablename__ = "contract"
    __table_args__ = (CheckConstraint("ends_on >= starts_on", name="dates"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    sla_policy_id: Mapped[int] = mapped_column(ForeignKey("sla_policy.id"))
    starts_on: Mapped[date]
    ends_on: Mapped[date]

    customer: Mapped[Customer] = relationship(back_populates="contracts")
    sla_policy: Mapped[SlaPolicy] = relationship()


class Asset(Base):
    """An appliance or machine at a site; under warranty until ``warranty_end``, or a contract."""

    __tablename__ = "asset"
    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    product: Mapped[str] = mapped_column(String(120))
    category: Mapped[str] = mapped_column(String(40))  # the skill it needs, e.g. "hvac"
    serial: Mapped[str] = mapped_column(String(64), unique=True)
    warranty_end: Mapped[date | None]
    contract_id: Mapped[int | None] = mapped_column(ForeignKey("contract.id"), index=True)

    site: Mapped[Site] = relationship(back_populates="assets")
    contract: Mapped[Contract | None] = relationship()

"""Row schemas of the import/export files (CSV or JSON, same field names as the demo's CSVs).

Rows refer to each other by code (an engineer's ``territory`` is a territory code). Compound
fields are compact strings a spreadsheet user can type: skills ``aircon:2;tv:1``, windows
``START/END;START/END`` in ISO 8601 with offset, parts ``SKU:QTY;SKU:QTY``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from dispatch.models import Calendar


class Row(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


def _pairs(text: str, what: str) -> list[tuple[str, int]]:
    out = []
    for item in filter(None, (p.strip() for p in text.split(";"))):
        name, sep, number = item.partition(":")
        if not sep or not name or not number.strip().isdigit():
            raise ValueError(f"{item!r} is not {what}")
        out.append((name.strip(), int(number)))
    return out


def parse_skills(text: str) -> list[tuple[str, int]]:
    skills = _pairs(text, "skill:level (e.g. aircon:2)")
    for name, level in skills:
        if not 1 <= level <= 5:
            raise ValueError(f"level of {name} must be 1 to 5")
    if len({n for n, _ in skills}) != len(skills):
        raise ValueError("a skill is listed twice")
    return skills


def parse_windows(text: str) -> list[tuple[datetime, datetime]]:
    windows = []
    for item in filter(None, (p.strip() for p in text.split(";"))):
        start, sep, end = item.partition("/")
        if not sep:
            raise ValueError(f"{item!r} is not START/END")
        a, b = datetime.fromisoformat(start), datetime.fromisoformat(end)
        if a.tzinfo is None or b.tzinfo is None:
            raise ValueError(f"{item!r} needs a UTC offset, e.g. 2026-11-24T08:00+08:00")
        if b <= a:
            raise ValueError(f"window {item!r} ends before it starts")
        windows.append((a, b))
    return windows


def _checked_skills(v: str) -> str:
    parse_skills(v)
    return v


Skills = Annotated[str, AfterValidator(_checked_skills)]
"""``skill:level;skill:level``, checked when the row is read."""


class TerritoryRow(Row):
    code: str = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1)
    timezone: str

    @field_validator("timezone")
    @classmethod
    def known_zone(cls, v: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {v!r}") from None
        return v


class SlaPolicyRow(Row):
    code: str = Field(min_length=1, max_length=32)
    name: str
    tier: int = Field(ge=0, le=3)
    response_minutes: int = Field(gt=0)
    resolution_minutes: int = Field(gt=0)
    calendar: Calendar
    business_start_hour: int = Field(default=8, ge=0, le=23)
    business_end_hour: int = Field(default=18, ge=1, le=24)
    business_days: str = Field(default="12345", pattern=r"^[1-7]{1,7}$")
    weekly_hours: str = Field(default="", description="1=08:00-18:00;6=09:00-13:00 (overrides the above)")
    holidays: str = Field(default="", description="2026-12-25;2027-01-01: no business hours")

    @field_validator("weekly_hours")
    @classmethod
    def valid_hours(cls, v: str) -> str:
        from dispatch.sla import parse_weekly_hours

        parse_weekly_hours(v)
        return v

    @field_validator("holidays")
    @classmethod
    def valid_holidays(cls, v: str) -> str:
        from dispatch.sla import parse_holidays

        try:
            parse_holidays(v)
        except ValueError:
            raise ValueError(f"{v!r} is not YYYY-MM-DD;YYYY-MM-DD") from None
        return v

    @model_validator(mode="after")
    def consistent(self) -> SlaPolicyRow:
        if self.resolution_minutes < self.response_minutes:
            raise ValueError("resolution_minutes: must not be shorter than response_minutes")
        if self.business_end_hour <= self.business_start_hour:
            raise ValueError("business_end_hour: must be after business_start_hour")
        return self


class DepotRow(Row):
    code: str = Field(min_length=1, max_length=32)
    name: str
    territory: str
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    address: str = ""


class PartRow(Row):
    sku: str = Field(min_length=1, max_length=40)
    name: str
    category: str
    unit_cost_cents: int = Field(default=0, ge=0)


class StockRow(Row):
    part: str
    depot: str = ""
    engineer: str = ""
    quantity: int = Field(ge=0)
    par: int = Field(default=0, ge=0)  # a van's standard level, topped up at depot stops

    @model_validator(mode="after")
    def one_place(self) -> StockRow:
        if bool(self.depot) == bool(self.engineer):
            raise ValueError("depot: give exactly one of depot and engineer")
        return self


class DepotLaneRow(Row):
    """A transfer route between two depots and its lead time in minutes."""

    from_depot: str = Field(min_length=1)
    to_depot: str = Field(min_length=1)
    lead_minutes: int = Field(ge=0, le=60 * 24 * 30)

    @model_validator(mode="after")
    def two_depots(self) -> DepotLaneRow:
        if self.from_depot == self.to_depot:
            raise ValueError("to_depot: a lane joins two different depots")
        return self


class EngineerRow(Row):
    code: str = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1)
    territory: str
    home_lat: float = Field(ge=-90, le=90)
    home_lon: float = Field(ge=-180, le=180)
    phone: str = ""
    skills: Skills = ""


class ShiftRow(Row):
    engineer: str
    day: date
    start: AwareDatetime
    end: AwareDatetime
    break_earliest: AwareDatetime | None = None
    break_latest_end: AwareDatetime | None = None
    break_minutes: int = Field(default=0, ge=0, le=240)

    @model_validator(mode="after")
    def consistent(self) -> ShiftRow:
        if self.end <= self.start:
            raise ValueError("end: must be after start")
        if (self.end - self.start).total_seconds() > 24 * 3600:
            raise ValueError("end: a shift lasts at most 24 hours")
        if self.break_minutes:
            if self.break_earliest is None or self.break_latest_end is None:
                raise ValueError(
                    "break_earliest: a break needs its window (break_earliest, break_latest_end)"
                )
            if (self.break_latest_end - self.break_earliest).total_seconds() < self.break_minutes * 60:
                raise ValueError("break_latest_end: the break window is shorter than the break")
        return self


class CustomerRow(Row):
    code: str = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1)
    phone: str = ""
    # Accounts stopped service: no quote or booking until released. Absent (older files): false.
    on_credit_hold: bool = False


class SiteRow(Row):
    code: str = Field(min_length=1, max_length=32)
    customer: str
    territory: str
    address: str
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class ContractRow(Row):
    code: str = Field(min_length=1, max_length=32)
    customer: str
    sla_policy: str
    starts_on: date
    ends_on: date

    @model_validator(mode="after")
    def ordered(self) -> ContractRow:
        if self.ends_on < self.starts_on:
            raise ValueError("ends_on: must not be before starts_on")
        return self


class AssetRow(Row):
    serial: str = Field(min_length=1, max_length=64)
    site: str
    product: str
    category: str
    warranty_end: date | None = None
    contract: str = ""


class JobRow(Row):
    code: str = Field(min_length=1, max_length=32)
    site: str
    asset: str = ""
    description: str = ""
    duration_minutes: int = Field(gt=0, le=24 * 60)
    reported_at: AwareDatetime
    sla_policy: str = ""
    priority: int = Field(default=50, ge=0, le=100)
    skills: Skills = ""
    windows: str = ""
    parts: str = ""
    # The cover decided when the call was logged, kept for billing (absent: not known).
    cover: Literal["", "contract", "warranty", "chargeable"] = ""
    contract: str = ""
    billable: bool | None = None

    @model_validator(mode="after")
    def contract_cover(self) -> JobRow:
        if bool(self.contract) != (self.cover == "contract"):
            raise ValueError("contract: give a contract exactly when cover is contract")
        return self

    @field_validator("windows")
    @classmethod
    def valid_windows(cls, v: str) -> str:
        parse_windows(v)
        return v

    @field_validator("parts")
    @classmethod
    def valid_parts(cls, v: str) -> str:
        for sku, qty in _pairs(v, "SKU:quantity (e.g. AC-CAP-35:1)"):
            if qty < 1:
                raise ValueError(f"quantity of {sku} must be at least 1")
        return v


TABLES: dict[str, type[Row]] = {
    "territories": TerritoryRow,
    "sla_policies": SlaPolicyRow,
    "depots": DepotRow,
    "depot_lanes": DepotLaneRow,
    "parts": PartRow,
    "engineers": EngineerRow,
    "stock": StockRow,
    "shifts": ShiftRow,
    "customers": CustomerRow,
    "sites": SiteRow,
    "contracts": ContractRow,
    "assets": AssetRow,
    "jobs": JobRow,
}
"""File stem → row schema, in the order rows must be written (references point backwards)."""

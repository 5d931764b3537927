"""Engineer, shift and van-stock bodies."""

from __future__ import annotations

from datetime import date

from pydantic import AwareDatetime, Field, model_validator

from api.schemas.common import Body, Code, Latitude, Level, Longitude, Out, SkillName
from dispatch import models as m


class EngineerIn(Body):
    code: Code
    name: str = Field(min_length=1, max_length=120)
    territory: Code
    home_lat: Latitude
    home_lon: Longitude
    phone: str = Field(default="", max_length=40)
    skills: dict[SkillName, Level] = Field(default_factory=dict, examples=[{"aircon": 2, "fridge": 1}])


class EngineerPatch(Body):
    name: str | None = Field(default=None, min_length=1, max_length=120)
    territory: Code | None = None
    home_lat: Latitude | None = None
    home_lon: Longitude | None = None
    phone: str | None = Field(default=None, max_length=40)
    active: bool | None = None
    skills: dict[SkillName, Level] | None = None


class EngineerOut(Out):
    code: str
    name: str
    territory: str
    home_lat: float
    home_lon: float
    phone: str
    active: bool
    skills: dict[str, int]

    @classmethod
    def of(cls, e: m.Engineer, territory: str) -> EngineerOut:
        return cls(
            code=e.code,
            name=e.name,
            territory=territory,
            home_lat=e.home_lat,
            home_lon=e.home_lon,
            phone=e.phone,
            active=e.active,
            skills=e.skill_levels(),
        )


class ShiftIn(Body):
    start: AwareDatetime
    end: AwareDatetime
    break_earliest: AwareDatetime | None = None
    break_latest_end: AwareDatetime | None = None
    break_minutes: int = Field(default=0, ge=0, le=240)
    max_jobs: int | None = Field(default=None, ge=0, le=100)

    @model_validator(mode="after")
    def consistent(self) -> ShiftIn:
        if self.end <= self.start:
            raise ValueError("end must be after start")
        if self.break_minutes and (self.break_earliest is None or self.break_latest_end is None):
            raise ValueError("a break needs break_earliest and break_latest_end")
        return self


class ShiftOut(Out):
    day: date
    start: AwareDatetime
    end: AwareDatetime
    break_earliest: AwareDatetime | None
    break_latest_end: AwareDatetime | None
    break_minutes: int
    max_jobs: int | None


class StockIn(Body):
    quantity: int = Field(ge=0, le=100_000)


class StockOut(Out):
    sku: str
    name: str
    quantity: int
    reserved: int

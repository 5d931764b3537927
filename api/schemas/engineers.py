"""Engineer, shift and van-stock bodies."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import AwareDatetime, Field, model_validator
from pydantic_core import PydanticCustomError

from api.schemas.common import (
    JSON_INT,
    Body,
    Bool,
    Code,
    Latitude,
    Longitude,
    Moment,
    Name,
    Out,
    Phone,
    Skills,
)
from dispatch import models as m


class EngineerIn(Body):
    code: Code
    name: Name
    territory: Code
    home_lat: Latitude
    home_lon: Longitude
    phone: Phone = ""
    skills: Skills = Field(default_factory=dict, examples=[{"aircon": 2, "fridge": 1}])


class EngineerPatch(Body):
    name: Name | None = None
    territory: Code | None = None
    home_lat: Latitude | None = None
    home_lon: Longitude | None = None
    phone: Phone | None = None
    active: Bool | None = None
    skills: Skills | None = None


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
    """A shift starts on its day (the territory's local date) and lasts at most 24 hours, so a
    night shift may end the next morning; its break window lies inside it (checked with the
    territory's zone in `dispatch.engineers.put_shift`)."""

    start: Moment
    end: Moment
    break_earliest: Moment | None = None
    break_latest_end: Moment | None = None
    break_minutes: Annotated[int, Field(ge=0, le=240), JSON_INT] = 0
    max_jobs: Annotated[int, Field(ge=0, le=100), JSON_INT] | None = None

    @model_validator(mode="after")
    def consistent(self) -> ShiftIn:
        if self.end <= self.start:
            raise PydanticCustomError("invalid", "end must be after start")
        if self.break_minutes and (self.break_earliest is None or self.break_latest_end is None):
            raise PydanticCustomError("invalid", "a break needs break_earliest and break_latest_end")
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
    quantity: Annotated[int, Field(ge=0, le=100_000), JSON_INT]


class StockOut(Out):
    sku: str
    name: str
    quantity: int
    reserved: int

"""Building blocks shared by the request and response bodies."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

Code = Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_.-]+$")]
SkillName = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[a-z0-9_]+$")]
Level = Annotated[int, Field(ge=1, le=5)]
Latitude = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]
Longitude = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]
# Ids and paging stay inside a 32-bit signed integer, which every database column holds.
PlanId = Annotated[int, Path(ge=1, le=2_147_483_647)]
VisitId = Annotated[int, Path(ge=1, le=2_147_483_647)]
Limit = Annotated[int, Query(ge=1, le=1000)]
Offset = Annotated[int, Query(ge=0, le=2_147_483_647)]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Window(Body):
    start: AwareDatetime
    end: AwareDatetime

    @model_validator(mode="after")
    def ends_after_start(self) -> Window:
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self


class WindowOut(Out):
    start: AwareDatetime
    end: AwareDatetime

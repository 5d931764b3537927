"""Bodies of manual plan edits."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import Field

from api.schemas.common import Body, Code


class MoveIn(Body):
    job: Code
    engineer: Code = Field(description="The engineer whose route takes the job.")
    position: int | None = Field(
        default=None,
        ge=1,
        le=1000,
        description="1-based place among the engineer's job visits; default: the least added travel.",
    )
    pin: bool = Field(default=True, description="Keep the job with this engineer in later re-plans.")
    day: date | None = Field(
        default=None, description="Multi-day plans: the route's day (default: the job's current day)."
    )
    versions: dict[Code, Annotated[int, Field(ge=0, le=2_147_483_647)]] | None = Field(
        default=None,
        description="Route versions (engineer → version) from the plan you saw; a changed route is a 409.",
    )

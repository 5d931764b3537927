"""Bodies of manual plan edits."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from api.schemas.common import CLOSED_MAP, INT32, JSON_INT, Body, Bool, Code, Day


class MoveIn(Body):
    job: Code
    engineer: Code = Field(description="The engineer whose route takes the job.")
    position: Annotated[int, Field(ge=1, le=1000), JSON_INT] | None = Field(
        default=None,
        description="1-based place among the engineer's job visits; default: the least added travel.",
    )
    pin: Bool = Field(default=True, description="Keep the job with this engineer in later re-plans.")
    day: Day | None = Field(
        default=None, description="Multi-day plans: the route's day (default: the job's current day)."
    )
    versions: (
        Annotated[
            dict[Code, Annotated[int, Field(ge=0, le=INT32), JSON_INT]],
            Field(max_length=1000, json_schema_extra=CLOSED_MAP),
        ]
        | None
    ) = Field(
        default=None,
        description="Route versions (engineer → version) from the plan you saw; a changed route is a 409.",
    )

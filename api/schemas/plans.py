"""Plan-run and plan bodies."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import Field

from api.schemas.common import JSON_INT, Body, Bool, Code, Day, Moment, Out, Seconds
from dispatch import models as m


class RunIn(Body):
    territory: Code
    day: Day
    days: Annotated[int, Field(ge=1, le=14, description="Horizon: day, day + 1, …"), JSON_INT] = 1
    time_limit: Seconds | None = Field(default=None, description="Solver seconds.")


class ReplanIn(Body):
    territory: Code
    day: Day
    as_of: Moment | None = Field(default=None, description="Default: now.")
    time_limit: Seconds | None = None


class RunOut(Out):
    id: str
    territory: str
    day: date
    days: int
    as_of: datetime | None
    status: m.RunStatus
    progress: float
    best_objective: int | None
    message: str
    plan_id: int | None
    created_at: datetime
    finished_at: datetime | None


class PlanSummary(Out):
    id: int
    territory: str
    day: date
    days: int
    status: m.PlanStatus
    created_at: datetime
    published_at: datetime | None
    kpis: dict[str, Any]


class PublishIn(Body):
    dispatch_now: Bool = Field(default=False, description="Move jobs straight to dispatched.")

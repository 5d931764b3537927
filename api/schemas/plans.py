"""Plan-run and plan bodies."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import AwareDatetime, Field

from api.schemas.common import Body, Code, Out
from dispatch import models as m


class RunIn(Body):
    territory: Code
    day: date
    days: int = Field(default=1, ge=1, le=14, description="Horizon: day, day + 1, …")
    time_limit: float | None = Field(default=None, gt=0, le=600, description="Solver seconds.")


class ReplanIn(Body):
    territory: Code
    day: date
    as_of: AwareDatetime | None = Field(default=None, description="Default: now.")
    time_limit: float | None = Field(default=None, gt=0, le=600)


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
    dispatch_now: bool = Field(default=False, description="Move jobs straight to dispatched.")

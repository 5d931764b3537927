"""SLA: promises at risk, for the dispatcher's board and the escalation desk."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import Field

from api.deps import STAFF, Now, Sessions, guard
from api.schemas.common import Code, Out
from dispatch import models as m
from dispatch.escalation import DEFAULT_RETURN_WAIT, Promise, at_risk

router = APIRouter(prefix="/sla", tags=["sla"])

WEEK_MINUTES = 7 * 24 * 60


class AtRiskOut(Out):
    job: str
    territory: str
    status: m.JobStatus
    kind: Promise = Field(
        description="The promise raised: response (on site by the deadline), resolution (completed "
        "by the deadline) or return_visit (an incomplete job no plan visits again)."
    )
    deadline: datetime = Field(
        description="The promise's deadline; for a return visit, when the wait becomes too long."
    )
    eta: datetime | None = Field(description="Planned start of the job's visit in the live plan.")
    planned_end: datetime | None = Field(description="Planned end of that visit.")
    engineer: str | None
    level: int = Field(description="1 at risk (the dispatcher acts), 2 breached (a manager is told).")
    reason: str
    minutes: int = Field(description="Late by, or left before the deadline (level 1 without a late plan).")
    detail: str = Field(description="For people: which promise, and why it is raised.")


@router.get("/at-risk", response_model=list[AtRiskOut], **guard(*STAFF, errors=[404]))
def list_at_risk(
    sessions: Sessions,
    now: Now,
    territory: Code | None = None,
    kind: Annotated[Promise | None, Query(description="Only this promise.")] = None,
    threshold_minutes: Annotated[int, Query(ge=0, le=WEEK_MINUTES)] = 120,
    return_wait_minutes: Annotated[
        int,
        Query(ge=0, le=WEEK_MINUTES, description="How long an incomplete job may wait for a return visit."),
    ] = DEFAULT_RETURN_WAIT // timedelta(minutes=1),
) -> list[AtRiskOut]:
    """Open promises planned late, unplanned near their deadline, or already breached; and
    incomplete jobs waiting for a return visit."""
    with sessions() as s:
        found = at_risk(
            s,
            now,
            territory=territory,
            threshold=timedelta(minutes=threshold_minutes),
            return_wait=timedelta(minutes=return_wait_minutes),
            kinds=tuple(Promise) if kind is None else (kind,),
        )
    return [AtRiskOut.model_validate(a) for a in found]

"""SLA: promises at risk, for the dispatcher's board and the escalation desk."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import STAFF, Sessions, guard
from api.routers.bookings import Now
from api.schemas.common import Out
from dispatch import models as m
from dispatch.escalation import at_risk

router = APIRouter(prefix="/sla", tags=["sla"])


class AtRiskOut(Out):
    job: str
    territory: str
    status: m.JobStatus
    deadline: datetime
    eta: datetime | None
    engineer: str | None
    level: int
    reason: str
    minutes: int
    detail: str


@router.get("/at-risk", response_model=list[AtRiskOut], **guard(*STAFF))
def list_at_risk(
    sessions: Sessions,
    now: Now,
    territory: str | None = None,
    threshold_minutes: Annotated[int, Query(ge=0, le=7 * 24 * 60)] = 120,
) -> list[AtRiskOut]:
    """Open promises planned late, unplanned near their deadline, or already breached."""
    with sessions() as s:
        found = at_risk(s, now, territory=territory, threshold=timedelta(minutes=threshold_minutes))
    return [
        AtRiskOut(
            job=a.job,
            territory=a.territory,
            status=a.status,
            deadline=a.deadline,
            eta=a.eta,
            engineer=a.engineer,
            level=a.level,
            reason=a.reason,
            minutes=a.minutes,
            detail=a.detail,
        )
        for a in found
    ]

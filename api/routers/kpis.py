"""Measured service: KPIs per territory and date range, and the follow-up survey."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, status
from pydantic import Field

from api.deps import BOOKERS, STAFF, Now, Sessions, User, guard
from api.schemas.common import Body
from api.schemas.kpis import KpisOut
from dispatch import kpi
from dispatch.db import transaction

router = APIRouter(tags=["kpis"])


class SurveyIn(Body):
    csat: int = Field(ge=1, le=5, description="Satisfaction, 1 (poor) to 5 (excellent).")
    nps: int = Field(ge=0, le=10, description="How likely to recommend us, 0 to 10.")
    comment: str = Field(default="", max_length=2000, pattern=r"^[^\x00]*$")


@router.get("/kpis", response_model=KpisOut, **guard(*STAFF))
def get_kpis(
    sessions: Sessions,
    now: Now,
    start: Annotated[date, Query(description="First reported-on day (local).")],
    end: Annotated[date, Query(description="Last reported-on day (local).")],
    territory: str | None = None,
) -> KpisOut:
    """SLA attainment, first-time fix, response time, travel, utilisation, CSAT and NPS."""
    with sessions() as s:
        return KpisOut.model_validate(kpi.kpis(s, start, end, territory=territory, now=now).as_dict())


@router.post("/jobs/{code}/survey", status_code=status.HTTP_201_CREATED, **guard(*BOOKERS))
def record_survey(code: str, body: SurveyIn, sessions: Sessions, user: User) -> dict[str, Any]:
    """The follow-up call's answers for a finished visit (once per job)."""
    with transaction(sessions) as s:
        survey = kpi.record_survey(s, code, body.csat, body.nps, body.comment, actor=user.actor)
        return {"job": code, "csat": survey.csat, "nps": survey.nps}

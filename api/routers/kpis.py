"""Measured service: KPIs per territory and date range, and the follow-up survey."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, status
from pydantic import Field

from api.deps import BOOKERS, STAFF, Now, Sessions, User, guard
from api.schemas.common import JSON_INT, Body, Code, Day, Note
from api.schemas.kpis import KpisOut
from dispatch import kpi
from dispatch.db import transaction

router = APIRouter(tags=["kpis"])


class SurveyIn(Body):
    csat: Annotated[int, Field(ge=1, le=5, description="Satisfaction, 1 (poor) to 5 (excellent)."), JSON_INT]
    nps: Annotated[int, Field(ge=0, le=10, description="How likely to recommend us, 0 to 10."), JSON_INT]
    comment: Note = ""


@router.get("/kpis", response_model=KpisOut, **guard(*STAFF, errors=[404]))
def get_kpis(
    sessions: Sessions,
    now: Now,
    start: Annotated[Day, Query(description="First reported-on day (local).")],
    end: Annotated[Day, Query(description="Last reported-on day (local).")],
    territory: Code | None = None,
) -> KpisOut:
    """SLA attainment, first-time fix, response time, travel, utilisation, CSAT and NPS."""
    with sessions() as s:
        return KpisOut.model_validate(kpi.kpis(s, start, end, territory=territory, now=now).as_dict())


@router.post("/jobs/{code}/survey", status_code=status.HTTP_201_CREATED, **guard(*BOOKERS, errors=[404, 409]))
def record_survey(code: Code, body: SurveyIn, sessions: Sessions, user: User) -> dict[str, Any]:
    """The follow-up call's answers for a finished visit (once per job)."""
    with transaction(sessions) as s:
        survey = kpi.record_survey(s, code, body.csat, body.nps, body.comment, actor=user.actor)
        return {"job": code, "csat": survey.csat, "nps": survey.nps}

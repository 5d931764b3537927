"""The engineer's phone (``/me``): today's route, en route / on site, and the visit report.
Engineers only, and only their own jobs: another engineer's job code answers 404."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import Now, Sessions, User, guard
from api.schemas.common import Code, Day, VisitId
from api.schemas.engineer_app import CollectedOut, MyRouteOut, MyStatusIn, MyStatusOut, ReportIn, ReportOut
from dispatch import engineer_day as svc
from dispatch import models as m
from dispatch import service_reports, van_stock
from dispatch.db import transaction

router = APIRouter(prefix="/me", tags=["me"])


@router.get("/route", response_model=MyRouteOut, **guard(m.Role.ENGINEER, errors=[404]))
def my_route(
    sessions: Sessions,
    user: User,
    date: Annotated[Day | None, Query(description="The day, local to the territory; default: today.")] = None,
) -> MyRouteOut:
    """The day's visits in order with ETAs, contacts and parts to collect (default: today)."""
    with sessions() as s:
        return MyRouteOut.model_validate(svc.engineer_day(s, user, date))


@router.post("/jobs/{code}/status", response_model=MyStatusOut, **guard(m.Role.ENGINEER, errors=[404, 409]))
def my_status(code: Code, body: MyStatusIn, sessions: Sessions, user: User, now: Now) -> MyStatusOut:
    """Report en route or on site (finishing a visit is the report): a job on today's route,
    or one already under way; 409 naming ``status`` otherwise."""
    with transaction(sessions) as s:
        event = svc.step(s, user, code, body.status, body.note, now=now)
        return MyStatusOut(job=code, status=event.to_status, at=event.at)


@router.post("/jobs/{code}/report", response_model=ReportOut, **guard(m.Role.ENGINEER, errors=[404, 409]))
def my_report(code: Code, body: ReportIn, sessions: Sessions, user: User, now: Now) -> ReportOut:
    """Finish the visit: completed (customer signs) or incomplete with a reason, in one step."""
    visit = service_reports.VisitReport(**body.model_dump())
    with transaction(sessions) as s:
        return ReportOut.of(*service_reports.submit_report(s, user, code, visit, now=now))


@router.post(
    "/depot-stops/{visit}/collect", response_model=CollectedOut, **guard(m.Role.ENGINEER, errors=[404, 409])
)
def my_depot_stop(visit: VisitId, sessions: Sessions, user: User) -> CollectedOut:
    """At a planned depot stop: the parts loaded for later visits move to the van, and the van
    is topped up to its standard stock from what the depot has free. Once per stop."""
    with transaction(sessions) as s:
        done = van_stock.collect(s, user, visit)
        return CollectedOut(depot=done.depot, for_jobs=done.for_jobs, refilled=done.refilled, at=done.at)

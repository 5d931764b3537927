"""The engineer's phone (``/me``): today's route, en route / on site, and the visit report.
Engineers only, and only their own jobs: another engineer's job code answers 404."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter

from api.deps import Sessions, User, guard
from api.schemas.common import Code, VisitId
from api.schemas.engineer_app import CollectedOut, MyRouteOut, MyStatusIn, MyStatusOut, ReportIn, ReportOut
from dispatch import engineer_day as svc
from dispatch import models as m
from dispatch import service_reports, van_stock
from dispatch.db import transaction

router = APIRouter(prefix="/me", tags=["me"])


@router.get("/route", response_model=MyRouteOut, **guard(m.Role.ENGINEER))
def my_route(sessions: Sessions, user: User, date: date | None = None) -> MyRouteOut:
    """The day's visits in order with ETAs, contacts and parts to collect (default: today)."""
    with sessions() as s:
        return MyRouteOut.model_validate(svc.engineer_day(s, user, date))


@router.post("/jobs/{code}/status", response_model=MyStatusOut, **guard(m.Role.ENGINEER))
def my_status(code: Code, body: MyStatusIn, sessions: Sessions, user: User) -> MyStatusOut:
    """Report en route or on site (finishing a visit is the report)."""
    with transaction(sessions) as s:
        event = svc.step(s, user, code, body.status, body.note)
        return MyStatusOut(job=code, status=event.to_status, at=event.at)


@router.post("/jobs/{code}/report", response_model=ReportOut, **guard(m.Role.ENGINEER))
def my_report(code: Code, body: ReportIn, sessions: Sessions, user: User) -> ReportOut:
    """Finish the visit: completed (customer signs) or incomplete with a reason, in one step."""
    visit = service_reports.VisitReport(**body.model_dump())
    with transaction(sessions) as s:
        return ReportOut.of(*service_reports.submit_report(s, user, code, visit))


@router.post("/depot-stops/{visit}/collect", response_model=CollectedOut, **guard(m.Role.ENGINEER))
def my_depot_stop(visit: VisitId, sessions: Sessions, user: User) -> CollectedOut:
    """At a planned depot stop: the parts loaded for later visits move to the van, and the van
    is topped up to its standard stock from what the depot has free. Once per stop."""
    with transaction(sessions) as s:
        done = van_stock.collect(s, user, visit)
        return CollectedOut(depot=done.depot, for_jobs=done.for_jobs, refilled=done.refilled, at=done.at)

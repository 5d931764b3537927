"""Plans: start a run (202, then poll), read plans as JSON or GeoJSON, publish, re-plan."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response, status
from sqlalchemy.orm import Session

from api.deps import STAFF, Sessions, User, guard
from api.runner import PlanRunner
from api.schemas.common import Code, Day, PlanId, RunId
from api.schemas.plans import PlanSummary, PublishIn, ReplanIn, RunIn, RunOut
from dispatch import models as m
from dispatch import planning
from dispatch.db import transaction
from dispatch.plan_export import plan_document
from dispatch.plan_geojson import plan_geojson

router = APIRouter(prefix="/plans", tags=["plans"])


def _run_out(s: Session, run: m.PlanRun) -> RunOut:
    return RunOut(
        id=run.id,
        territory=s.get_one(m.Territory, run.territory_id).code,
        day=run.day,
        days=run.days,
        as_of=run.as_of,
        status=run.status,
        progress=run.progress,
        best_objective=run.best_objective,
        message=run.message,
        plan_id=run.plan_id,
        created_at=run.created_at,
        finished_at=run.finished_at,
    )


def _summary(s: Session, plan: m.Plan) -> PlanSummary:
    return PlanSummary(
        id=plan.id,
        territory=s.get_one(m.Territory, plan.territory_id).code,
        day=plan.day,
        days=plan.days,
        status=plan.status,
        created_at=plan.created_at,
        published_at=plan.published_at,
        kpis=plan.kpis,
    )


def _start(request: Request, response: Response, run: RunOut, time_limit: float | None) -> RunOut:
    runner: PlanRunner = request.app.state.runner
    runner.submit(run.id, time_limit)
    response.headers["Location"] = f"{request.url.path.rsplit('/plans', 1)[0]}/plans/runs/{run.id}"
    return run


@router.post(
    "/runs", response_model=RunOut, status_code=status.HTTP_202_ACCEPTED, **guard(*STAFF, errors=[404, 409])
)
def start_run(body: RunIn, request: Request, response: Response, sessions: Sessions, user: User) -> RunOut:
    """Queue a plan for a territory and day (or horizon); poll the run until it has a plan."""
    with transaction(sessions) as s:
        territory = planning.territory_by_code(s, body.territory)
        run = _run_out(s, planning.create_run(s, territory, body.day, user.actor, days=body.days))
    return _start(request, response, run, body.time_limit)


@router.post(
    "/replan", response_model=RunOut, status_code=status.HTTP_202_ACCEPTED, **guard(*STAFF, errors=[404, 409])
)
def replan(body: ReplanIn, request: Request, response: Response, sessions: Sessions, user: User) -> RunOut:
    """Re-plan the rest of a day from ``as_of``: work in progress stays, pins hold."""
    with transaction(sessions) as s:
        territory = planning.territory_by_code(s, body.territory)
        as_of = body.as_of or m.utcnow()
        run = _run_out(s, planning.create_run(s, territory, body.day, user.actor, as_of=as_of))
    return _start(request, response, run, body.time_limit)


@router.get("/runs/{run_id}", response_model=RunOut, **guard(*STAFF, errors=[404]))
def get_run(run_id: RunId, sessions: Sessions) -> RunOut:
    with sessions() as s:
        return _run_out(s, planning.get_run(s, run_id))


@router.get("", response_model=list[PlanSummary], **guard(*STAFF, errors=[404]))
def list_plans(
    sessions: Sessions,
    territory: Code | None = None,
    day: Day | None = None,
    status: m.PlanStatus | None = None,
) -> list[PlanSummary]:
    with sessions() as s:
        return [_summary(s, p) for p in planning.list_plans(s, territory, day, status)]


@router.get("/{plan_id:int}", **guard(*STAFF, errors=[404]))
def get_plan(plan_id: PlanId, sessions: Sessions) -> dict[str, Any]:
    """Routes with visits and ETAs (territory local time), unassigned jobs with reasons, KPIs."""
    with sessions() as s:
        return plan_document(s, plan_id)


@router.get(
    "/{plan_id:int}/geojson",
    **guard(*STAFF, errors=[404], responses={200: {"content": {"application/geo+json": {}}}}),
    response_class=Response,
)
def get_plan_geojson(plan_id: PlanId, sessions: Sessions) -> Response:
    """The plan as a GeoJSON FeatureCollection: one LineString per route, a Point per stop."""
    import json

    with sessions() as s:
        doc = plan_geojson(s, plan_id)
    return Response(json.dumps(doc), media_type="application/geo+json")


@router.post("/{plan_id:int}/publish", response_model=PlanSummary, **guard(*STAFF, errors=[404, 409]))
def publish(plan_id: PlanId, sessions: Sessions, user: User, body: PublishIn | None = None) -> PlanSummary:
    """Make a draft the plan of record: its jobs become scheduled (or dispatched)."""
    with transaction(sessions) as s:
        plan = planning.publish(s, plan_id, actor=user.actor, dispatch_now=bool(body and body.dispatch_now))
        return _summary(s, plan)

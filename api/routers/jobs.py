"""Work orders. Agents and dispatchers create and read them; engineers read their own."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status
from sqlalchemy.orm import Session

from api.deps import BOOKERS, STAFF, Now, Sessions, User, guard
from api.schemas.common import Code, Limit, Note, Offset, WindowOut
from api.schemas.jobs import EventOut, JobIn, JobOut, JobPatch, StatusIn
from dispatch import jobs as svc
from dispatch import models as m
from dispatch.db import transaction

router = APIRouter(prefix="/jobs", tags=["jobs"])
ALL = (*BOOKERS, m.Role.ENGINEER)


def job_out(s: Session, job: m.Job) -> JobOut:
    site = s.get_one(m.Site, job.site_id)
    asset = s.get(m.Asset, job.asset_id) if job.asset_id else None
    policy = s.get(m.SlaPolicy, job.sla_policy_id) if job.sla_policy_id else None
    contract = s.get(m.Contract, job.contract_id) if job.contract_id else None
    engineer = s.get(m.Engineer, job.engineer_id) if job.engineer_id else None
    return JobOut(
        code=job.code,
        site=site.code,
        asset=asset.serial if asset else None,
        description=job.description,
        status=job.status,
        incomplete_reason=job.incomplete_reason,
        duration_minutes=job.duration_minutes,
        priority=job.priority,
        reported_at=job.reported_at,
        sla_policy=policy.code if policy else None,
        cover=job.cover,
        contract=contract.code if contract else None,
        billable=job.billable,
        response_deadline=job.response_deadline,
        resolution_deadline=job.resolution_deadline,
        skills={sk.skill: sk.min_level for sk in job.skills},
        windows=[WindowOut(start=w.start, end=w.end) for w in job.windows],
        parts=svc.part_skus(s, job),
        engineer=engineer.code if engineer else None,
        pinned=job.pinned,
    )


@router.get("", response_model=list[JobOut], **guard(*BOOKERS, errors=[404]))
def list_jobs(
    sessions: Sessions,
    territory: Code | None = None,
    status: m.JobStatus | None = None,
    site: Code | None = None,
    limit: Limit = 200,
    offset: Offset = 0,
) -> list[JobOut]:
    with sessions() as s:
        rows = svc.list_jobs(s, territory, status, site, limit, offset)
        return [job_out(s, j) for j in rows]


@router.post(
    "", response_model=JobOut, status_code=status.HTTP_201_CREATED, **guard(*BOOKERS, errors=[404, 409])
)
def create_job(body: JobIn, sessions: Sessions, user: User, now: Now) -> JobOut:
    new = svc.NewJob(
        **body.model_dump(exclude={"windows"}),
        windows=[(w.start, w.end) for w in body.windows],
    )
    with transaction(sessions) as s:
        return job_out(s, svc.create_job(s, new, actor=user.actor, now=now))


@router.get("/{code}", response_model=JobOut, **guard(*ALL, errors=[404]))
def get_job(code: Code, sessions: Sessions, user: User) -> JobOut:
    with sessions() as s:
        return job_out(s, svc.get_job(s, code, user))


@router.patch("/{code}", response_model=JobOut, **guard(*STAFF, errors=[404, 409]))
def update_job(code: Code, body: JobPatch, sessions: Sessions, user: User) -> JobOut:
    fields = body.model_dump(exclude_unset=True, exclude={"windows"})
    if body.windows is not None:
        fields["windows"] = [(w.start, w.end) for w in body.windows]
    with transaction(sessions) as s:
        return job_out(s, svc.update_job(s, code, svc.JobChanges(**fields), actor=user.actor))


@router.post("/{code}/status", response_model=JobOut, **guard(*STAFF, errors=[404, 409]))
def change_status(code: Code, body: StatusIn, sessions: Sessions, user: User) -> JobOut:
    """Any lifecycle step, by a dispatcher (engineers use ``/me/jobs/{code}/status``)."""
    with transaction(sessions) as s:
        job = svc.change_status(s, code, body.status, user, note=body.note, reason=body.reason)
        return job_out(s, job)


@router.post("/{code}/cancel", response_model=JobOut, **guard(*BOOKERS, errors=[404, 409]))
def cancel_job(code: Code, sessions: Sessions, user: User, note: Annotated[Note, Query()] = "") -> JobOut:
    """The customer called it off (agents may do this; it frees the visit in the plan)."""
    with transaction(sessions) as s:
        return job_out(s, svc.change_status(s, code, m.JobStatus.CANCELLED, user, note=note))


@router.get("/{code}/events", response_model=list[EventOut], **guard(*ALL, errors=[404]))
def job_events(code: Code, sessions: Sessions, user: User) -> list[EventOut]:
    with sessions() as s:
        return [EventOut.model_validate(e) for e in svc.events(s, code, user)]

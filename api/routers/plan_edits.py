"""Manual plan edits by dispatchers: move a job to another engineer or place (checked by the
independent plan checker before it is stored), and unpin a job for later re-plans."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api.deps import STAFF, Now, Sessions, User, guard
from api.schemas.common import Code, PlanId
from api.schemas.plan_edits import MoveIn
from dispatch import plan_edits as svc
from dispatch.db import transaction

router = APIRouter(prefix="/plans", tags=["plans"])


@router.post("/{plan_id:int}/moves", **guard(*STAFF, errors=[404, 409]))
def move_job(plan_id: PlanId, body: MoveIn, sessions: Sessions, user: User, now: Now) -> dict[str, Any]:
    """Move a job; refused (409) with the violated rules if the two routes would break one.
    Answers the updated plan document."""
    move = svc.Move(**body.model_dump())
    with transaction(sessions) as s:
        return svc.move_job(s, plan_id, move, actor=user.actor, now=now)


@router.post("/{plan_id:int}/jobs/{code}/unpin", **guard(*STAFF, errors=[404, 409]))
def unpin_job(plan_id: PlanId, code: Code, sessions: Sessions) -> dict[str, Any]:
    """Let later re-plans move the job to whichever engineer suits best."""
    with transaction(sessions) as s:
        return svc.unpin(s, plan_id, code)

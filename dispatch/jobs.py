"""Work orders through the API: created with their SLA deadlines derived from the entitlement,
edited while still unplanned or planned, moved only along the lifecycle."""

from __future__ import annotations

import secrets
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from dispatch import models as m
from dispatch import sla
from dispatch.entitlement import asset_by_serial, check_entitlement, local_date, site_by_code
from dispatch.errors import ConflictError, InvalidInputError, NotFoundError
from dispatch.lifecycle import record_creation, transition
from dispatch.users import Principal

EDITABLE = frozenset({m.JobStatus.NEW, m.JobStatus.SCHEDULED})


@dataclass(frozen=True, slots=True)
class NewJob:
    site: str
    duration_minutes: int
    skills: dict[str, int]
    description: str = ""
    asset: str | None = None
    reported_at: datetime | None = None
    priority: int = 50
    windows: list[tuple[datetime, datetime]] = field(default_factory=list)
    parts: dict[str, int] = field(default_factory=dict)
    code: str | None = None


def new_code() -> str:
    return "J-" + secrets.token_hex(4).upper()


def known_skills(session: Session) -> set[str]:
    return set(session.scalars(select(m.EngineerSkill.skill).distinct()))


def check_skills(session: Session, skills: dict[str, int], field_name: str = "skills") -> None:
    known = known_skills(session)
    for name, level in skills.items():
        if name not in known:
            raise InvalidInputError(
                f"{field_name}.{name}", f"no engineer has skill {name!r}; known: {', '.join(sorted(known))}"
            )
        if not 1 <= level <= 5:
            raise InvalidInputError(f"{field_name}.{name}", f"level must be 1 to 5 (got {level})")


def parts_by_sku(session: Session, parts: dict[str, int], field_name: str = "parts") -> dict[str, m.Part]:
    found = {p.sku: p for p in session.scalars(select(m.Part).where(m.Part.sku.in_(parts)))}
    for sku in parts:
        if sku not in found:
            raise InvalidInputError(f"{field_name}.{sku}", f"no part {sku!r} in the catalogue")
    return found


def create_job(session: Session, new: NewJob, *, actor: str, now: datetime | None = None) -> m.Job:
    """A new work order. Its cover (contract, warranty or chargeable; the contract; billable) is
    decided on the territory's local date of the call and kept on the job, for billing."""
    now = now or m.utcnow()
    site = site_by_code(session, new.site)
    asset = asset_by_serial(session, new.asset) if new.asset else None
    reported = new.reported_at or now
    if reported > now:
        raise InvalidInputError("reported_at", "a call cannot be reported in the future")
    check_skills(session, new.skills)
    parts = parts_by_sku(session, new.parts)
    cover = check_entitlement(session, site, asset, local_date(session, site, reported))
    code = new.code or new_code()
    if session.scalars(select(m.Job.id).where(m.Job.code == code)).first() is not None:
        raise ConflictError("code", f"job {code} exists")
    job = m.Job(
        code=code,
        site_id=site.id,
        asset_id=asset.id if asset else None,
        description=new.description,
        duration_minutes=new.duration_minutes,
        reported_at=reported,
        priority=new.priority,
        created_at=now,
        cover=cover.cover.value,
        contract_id=cover.contract_id,
        billable=cover.billable,
    )
    if cover.policy is not None:
        tz = session.get_one(m.Territory, site.territory_id).timezone
        job.sla_policy_id = cover.policy.id
        job.response_deadline = sla.response_deadline(cover.policy, reported, tz)
        job.resolution_deadline = sla.resolution_deadline(cover.policy, reported, tz)
    job.skills = [m.JobSkill(skill=s, min_level=lv) for s, lv in sorted(new.skills.items())]
    windows = _windows(new.windows)
    for k, (_a, b) in enumerate(windows):
        if b <= now:
            raise InvalidInputError(f"windows.{k}.end", f"the window ended {b.isoformat()}, in the past")
    job.windows = [m.JobWindow(start=a, end=b) for a, b in windows]
    job.parts = [m.JobPart(part_id=parts[s].id, quantity=q) for s, q in sorted(new.parts.items())]
    session.add(job)
    record_creation(session, job, actor=actor, note=cover.note)
    session.flush()
    return job


def _windows(windows: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    ordered = sorted(windows)
    for k, (a, b) in enumerate(ordered):
        if b <= a:
            raise InvalidInputError(f"windows.{k}.end", "a window must end after it starts")
        if k and a < ordered[k - 1][1]:
            raise InvalidInputError(f"windows.{k}.start", "windows overlap")
    return ordered


def get_job(session: Session, code: str, who: Principal | None = None) -> m.Job:
    """The job, if ``who`` may see it: an engineer sees only jobs assigned to them (404 otherwise,
    so codes of other engineers' jobs cannot be probed)."""
    job = session.scalars(
        select(m.Job)
        .where(m.Job.code == code)
        .options(selectinload(m.Job.skills), selectinload(m.Job.windows), selectinload(m.Job.parts))
    ).one_or_none()
    if job is None or (
        who is not None and who.role is m.Role.ENGINEER and job.engineer_id != who.engineer_id
    ):
        raise NotFoundError("job", f"no job {code!r}")
    return job


def list_jobs(
    session: Session,
    territory: str | None = None,
    status: m.JobStatus | None = None,
    site: str | None = None,
    limit: int = 200,
    offset: int = 0,
) -> list[m.Job]:
    q = (
        select(m.Job)
        .join(m.Site)
        .options(selectinload(m.Job.skills), selectinload(m.Job.windows), selectinload(m.Job.parts))
        .order_by(m.Job.id)
    )
    if territory is not None:
        q = q.join(m.Territory, m.Territory.id == m.Site.territory_id).where(m.Territory.code == territory)
    if status is not None:
        q = q.where(m.Job.status == status)
    if site is not None:
        q = q.where(m.Site.code == site)
    return list(session.scalars(q.limit(limit).offset(offset)))


@dataclass(frozen=True, slots=True)
class JobChanges:
    description: str | None = None
    duration_minutes: int | None = None
    priority: int | None = None
    skills: dict[str, int] | None = None
    windows: list[tuple[datetime, datetime]] | None = None


def update_job(session: Session, code: str, changes: JobChanges, *, actor: str) -> m.Job:
    job = get_job(session, code)
    if job.status not in EDITABLE:
        raise ConflictError("status", f"job {code} is {job.status}; only new or scheduled jobs can be edited")
    if changes.description is not None:
        job.description = changes.description
    if changes.duration_minutes is not None:
        job.duration_minutes = changes.duration_minutes
    if changes.priority is not None:
        job.priority = changes.priority
    if changes.skills is not None:
        check_skills(session, changes.skills)
        job.skills = [m.JobSkill(skill=s, min_level=lv) for s, lv in sorted(changes.skills.items())]
    if changes.windows is not None:
        job.windows = [m.JobWindow(start=a, end=b) for a, b in _windows(changes.windows)]
    session.flush()
    return job


def change_status(
    session: Session,
    code: str,
    target: m.JobStatus,
    who: Principal,
    *,
    note: str = "",
    reason: str | None = None,
) -> m.Job:
    job = get_job(session, code, who)
    session.refresh(job, with_for_update=True)  # two updates of one job never interleave
    transition(session, job, target, actor=who.actor, note=note, reason=reason)
    if target is m.JobStatus.CANCELLED:
        free_cancelled(session, job)
    session.flush()
    return job


def free_cancelled(session: Session, job: m.Job) -> None:
    """A cancelled job gives back what it held: its reserved parts, and its place on the routes
    of live plans (with the depot pick-up made for it), so the next caller can be offered that
    time. The other visits keep their times: travel times obey the triangle inequality, so
    skipping a stop never makes a later arrival late; the next plan run tightens the day."""
    from dispatch.parts import release_for_job

    release_for_job(session, job)
    take_off_routes(session, job)


def take_off_routes(session: Session, job: m.Job, plan_ids: Collection[int] | None = None) -> None:
    """Remove ``job``'s visits (and the pick-up booked with it) from the routes of live plans
    (of ``plan_ids`` only, if given), renumbering each route and bumping its version so quotes
    re-read it and a racing booking or move retries."""
    q = (
        select(m.Route)
        .join(m.Visit, m.Visit.route_id == m.Route.id)
        .join(m.Plan, m.Plan.id == m.Route.plan_id)
        .where(m.Visit.job_id == job.id, m.Plan.status != m.PlanStatus.SUPERSEDED)
    )
    if plan_ids is not None:
        q = q.where(m.Plan.id.in_(list(plan_ids)))
    for route in session.scalars(q.with_for_update()).unique().all():
        visits = list(
            session.scalars(select(m.Visit).where(m.Visit.route_id == route.id).order_by(m.Visit.seq))
        )
        gone = set()
        for k, v in enumerate(visits):
            if v.job_id == job.id:
                gone.add(v.id)
                # The pick-up booked with this job goes too; a planned stop (with loads) may
                # serve later visits and stays.
                if k and visits[k - 1].kind == "depot" and visits[k - 1].loads is None:
                    gone.add(visits[k - 1].id)
        kept = [v for v in visits if v.id not in gone]
        for v in visits:
            if v.id in gone:
                session.delete(v)
        session.flush()
        for n, v in enumerate(kept, start=1):
            v.seq = -n  # out of the way of the unique (route, seq) while renumbering
        session.flush()
        for n, v in enumerate(kept, start=1):
            v.seq = n
        route.version += 1  # quotes re-read the route; a racing booking or move retries


def events(session: Session, code: str, who: Principal | None = None) -> list[m.JobEvent]:
    job = get_job(session, code, who)
    return list(
        session.scalars(select(m.JobEvent).where(m.JobEvent.job_id == job.id).order_by(m.JobEvent.id))
    )


def part_skus(session: Session, job: m.Job) -> dict[str, int]:
    """The job's parts as sku → quantity."""
    ids = [p.part_id for p in job.parts]
    if not ids:
        return {}
    skus = {p.id: p.sku for p in session.scalars(select(m.Part).where(m.Part.id.in_(ids)))}
    return {skus[p.part_id]: p.quantity for p in job.parts}

"""Measured service, per territory and date range: did we keep our promises, fix things the
first time, drive sensibly, and do customers say so?

Definitions (what a service manager reads them as):
- a response promise is *decided* once the engineer is on site, or the deadline has passed
  without it; attainment = met / decided. Same for resolution, with completion. Jobs still
  open before their deadline, and cancelled jobs, are not counted yet.
- mean response = reported → first on site, over the jobs reached.
- first-time fix = completed jobs whose report says fixed on the first visit / completed jobs.
- travel per job and jobs per engineer-day come from the routes of the published plans that
  start on a day in the range (every day such a plan covers).
- utilisation = time on site planned on those routes / shift time of *every* engineer on shift
  in the territory-days those plans cover (an active engineer of the territory with a shift that
  day, or any shift a route was planned on), with or without a route. An engineer left idle
  lowers it: 1 of 18 engineers busy all day is 0.056, not 1.0.
- CSAT = mean of the 1–5 scores; NPS = % promoters (9–10) − % detractors (0–6).
Jobs are in the range by the local date they were reported on.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from dispatch import models as m
from dispatch.errors import InvalidInputError
from dispatch.planning import territory_by_code


@dataclass(frozen=True, slots=True)
class Kpis:
    territory: str | None
    start: date
    end: date
    jobs: int
    response_decided: int
    response_met: int
    response_attainment: float | None
    resolution_decided: int
    resolution_met: int
    resolution_attainment: float | None
    mean_response_minutes: float | None
    completed: int
    first_time_fix_rate: float | None
    planned_visits: int
    travel_km_per_job: float | None
    utilisation: float | None
    jobs_per_engineer_day: float | None
    surveys: int
    csat: float | None
    nps: float | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _ratio(a: float, b: float, digits: int = 3) -> float | None:
    return round(a / b, digits) if b else None


def kpis(session: Session, start: date, end: date, *, territory: str | None = None, now: datetime) -> Kpis:
    if end < start:
        raise InvalidInputError("end", "the range ends before it starts")
    if (end - start).days > 366:
        raise InvalidInputError("end", "a range is at most a year")
    q = (
        select(m.Job, m.Territory.timezone)
        .join(m.Site, m.Site.id == m.Job.site_id)
        .join(m.Territory, m.Territory.id == m.Site.territory_id)
        .where(m.Job.status != m.JobStatus.CANCELLED)
        # a day of margin each side for time zones; the exact local date is checked below
        .where(
            m.Job.reported_at >= datetime.combine(start - timedelta(days=1), datetime.min.time(), now.tzinfo),
            m.Job.reported_at < datetime.combine(end + timedelta(days=2), datetime.min.time(), now.tzinfo),
        )
    )
    territory_id = None
    if territory is not None:
        territory_id = territory_by_code(session, territory).id
        q = q.where(m.Territory.id == territory_id)
    jobs = [
        j for j, tz in session.execute(q) if start <= j.reported_at.astimezone(ZoneInfo(tz)).date() <= end
    ]
    ids = [j.id for j in jobs]
    first_on_site = dict(
        session.execute(
            select(m.JobEvent.job_id, func.min(m.JobEvent.at))
            .where(m.JobEvent.job_id.in_(ids), m.JobEvent.to_status == m.JobStatus.ON_SITE)
            .group_by(m.JobEvent.job_id)
        ).all()
    )
    completed_at = dict(
        session.execute(
            select(m.JobEvent.job_id, func.max(m.JobEvent.at))
            .where(m.JobEvent.job_id.in_(ids), m.JobEvent.to_status == m.JobStatus.COMPLETED)
            .group_by(m.JobEvent.job_id)
        ).all()
    )
    r_dec = r_met = s_dec = s_met = 0
    response_minutes: list[float] = []
    for j in jobs:
        reached = first_on_site.get(j.id)
        if reached is not None:
            response_minutes.append((reached - j.reported_at).total_seconds() / 60)
        if j.response_deadline is not None and (reached is not None or now > j.response_deadline):
            r_dec += 1
            r_met += reached is not None and reached <= j.response_deadline
        done = completed_at.get(j.id)
        if j.resolution_deadline is not None and (done is not None or now > j.resolution_deadline):
            s_dec += 1
            s_met += done is not None and done <= j.resolution_deadline
    reports = session.scalars(
        select(m.ServiceReport).where(
            m.ServiceReport.job_id.in_(ids), m.ServiceReport.outcome == m.JobStatus.COMPLETED
        )
    ).all()
    completed = [j for j in jobs if j.status is m.JobStatus.COMPLETED]
    ftf = sum(1 for r in reports if r.first_time_fix)
    plans_q = (
        select(m.Plan)
        .where(m.Plan.status == m.PlanStatus.PUBLISHED, m.Plan.day >= start, m.Plan.day <= end)
        .options(selectinload(m.Plan.routes).selectinload(m.Route.visits))
    )
    if territory_id is not None:
        plans_q = plans_q.where(m.Plan.territory_id == territory_id)
    plans = list(session.scalars(plans_q))
    routes = [r for p in plans for r in p.routes]
    visits = [v for r in routes for v in r.visits if v.kind == "job"]
    shift_seconds = _shift_seconds(session, plans, {r.shift_id for r in routes})
    on_site_seconds = sum((v.end - v.start).total_seconds() for v in visits)
    surveys = session.scalars(select(m.SurveyResponse).where(m.SurveyResponse.job_id.in_(ids))).all()
    promoters = sum(1 for s in surveys if s.nps >= 9)
    detractors = sum(1 for s in surveys if s.nps <= 6)
    return Kpis(
        territory=territory,
        start=start,
        end=end,
        jobs=len(jobs),
        response_decided=r_dec,
        response_met=r_met,
        response_attainment=_ratio(r_met, r_dec),
        resolution_decided=s_dec,
        resolution_met=s_met,
        resolution_attainment=_ratio(s_met, s_dec),
        mean_response_minutes=round(sum(response_minutes) / len(response_minutes), 1)
        if response_minutes
        else None,
        completed=len(completed),
        first_time_fix_rate=_ratio(ftf, len(reports)),
        planned_visits=len(visits),
        travel_km_per_job=_ratio(sum(r.distance_m for r in routes) / 1000, len(visits), 2),
        utilisation=_ratio(on_site_seconds, shift_seconds),
        jobs_per_engineer_day=_ratio(len(visits), len(routes), 2),
        surveys=len(surveys),
        csat=_ratio(sum(s.csat for s in surveys), len(surveys), 2),
        nps=round(100 * (promoters - detractors) / len(surveys), 1) if surveys else None,
    )


def _shift_seconds(session: Session, plans: list[m.Plan], routed: set[int]) -> float:
    """Shift time of every engineer on shift in the territory-days ``plans`` cover: the capacity
    utilisation is measured against, whether the plan gave the engineer a route or not."""
    covered = {(p.territory_id, p.day + timedelta(days=k)) for p in plans for k in range(p.days)}
    if not covered:
        return 0.0
    days = [d for _, d in covered]
    on_shift = {
        sh.id: sh
        for sh, territory_id in session.execute(
            select(m.Shift, m.Engineer.territory_id)
            .join(m.Engineer, m.Engineer.id == m.Shift.engineer_id)
            .where(
                m.Engineer.active,
                m.Engineer.territory_id.in_({t for t, _ in covered}),
                m.Shift.day >= min(days),
                m.Shift.day <= max(days),
            )
        ).all()
        if (territory_id, sh.day) in covered
    }
    missing = routed - on_shift.keys()  # e.g. an engineer made inactive since
    if missing:
        on_shift |= {sh.id: sh for sh in session.scalars(select(m.Shift).where(m.Shift.id.in_(missing)))}
    return sum((sh.end - sh.start).total_seconds() for sh in on_shift.values())


def record_survey(
    session: Session, code: str, csat: int, nps: int, comment: str, *, actor: str
) -> m.SurveyResponse:
    """The follow-up call's answers, once per finished job."""
    from dispatch.errors import ConflictError
    from dispatch.jobs import get_job

    job = get_job(session, code)
    if job.status not in (m.JobStatus.COMPLETED, m.JobStatus.INCOMPLETE):
        raise ConflictError("status", f"job {code} is {job.status}; survey a visit once it is over")
    if session.get(m.SurveyResponse, job.id) is not None:
        raise ConflictError("job", f"job {code} already has a survey response")
    if not 1 <= csat <= 5:
        raise InvalidInputError("csat", "satisfaction is 1 to 5")
    if not 0 <= nps <= 10:
        raise InvalidInputError("nps", "likelihood to recommend is 0 to 10")
    survey = m.SurveyResponse(job_id=job.id, csat=csat, nps=nps, comment=comment, recorded_by=actor)
    session.add(survey)
    session.flush()
    return survey

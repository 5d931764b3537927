"""SLA promises at risk: found by rule, raised once per level, and customer-facing changes
written to the outbox in the same transaction. Both databases."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from dispatch import models as m
from dispatch.demo import DEMO_DATA
from dispatch.escalation import Promise, at_risk, escalate
from dispatch.importer import import_directory
from dispatch.lifecycle import transition
from dispatch.planning import create_run, publish, run_plan, territory_by_code

CST = timezone(timedelta(hours=8))
DAY = date(2026, 11, 24)


@pytest.fixture
def published(sessions: sessionmaker[Session], database_url: str) -> int:
    with sessions.begin() as s:
        import_directory(s, DEMO_DATA, actor="demo")
        run_id = create_run(s, territory_by_code(s, "GZ"), DAY).id
    assert run_plan(database_url, run_id, time_limit=2) == "succeeded"
    with sessions.begin() as s:
        plan_id = s.get_one(m.PlanRun, run_id).plan_id
        assert plan_id is not None
        # published the evening before the day, so what it raises does not depend on the clock
        publish(s, plan_id, actor="dispatcher:test", now=datetime(2026, 11, 23, 20, 0, tzinfo=CST))
    return plan_id


RESPONSE = (Promise.RESPONSE,)


def _expected(s: Session, plan_id: int, now: datetime, threshold: timedelta) -> dict[str, tuple[int, str]]:
    """The response rule, recomputed from the rows: job code → (level, reason)."""
    gz = territory_by_code(s, "GZ")
    starts = {
        v.job_id: v.start for r in s.get_one(m.Plan, plan_id).routes for v in r.visits if v.job_id is not None
    }
    out: dict[str, tuple[int, str]] = {}
    for job in s.scalars(select(m.Job).join(m.Site).where(m.Site.territory_id == gz.id)):
        waiting = job.status not in (m.JobStatus.ON_SITE, m.JobStatus.COMPLETED, m.JobStatus.CANCELLED)
        if job.response_deadline is None or not waiting or job.status is m.JobStatus.INCOMPLETE:
            continue
        eta = starts.get(job.id)
        if now > job.response_deadline:
            out[job.code] = (2, "breached")
        elif eta is not None and eta > job.response_deadline:
            out[job.code] = (1, "eta_after_deadline")
        elif eta is None and job.response_deadline - now <= threshold:
            out[job.code] = (1, "unplanned_near_deadline")
    return out


def test_promises_at_risk_follow_the_rule_and_are_raised_once_per_level(
    sessions: sessionmaker[Session], published: int
) -> None:
    early = datetime(2026, 11, 24, 7, 0, tzinfo=CST)
    threshold = timedelta(hours=2)
    with sessions() as s:
        found = {
            a.job: (a.level, a.reason)
            for a in at_risk(s, early, territory="GZ", threshold=threshold, kinds=RESPONSE)
        }
        assert found == _expected(s, published, early, threshold)
    assert any(reason == "eta_after_deadline" for _, reason in found.values())
    with sessions() as s:  # publishing raised the promises the new plan breaks, at once
        on_publish = set(
            s.scalars(
                select(m.Job.code)
                .join(m.Escalation, m.Escalation.job_id == m.Job.id)
                .where(m.Escalation.kind == "response")
            )
        )
    assert on_publish == {j for j, (_, reason) in found.items() if reason == "eta_after_deadline"}
    with sessions.begin() as s:
        first = escalate(s, early, territory="GZ")
    assert {a.job for a in first if a.kind is Promise.RESPONSE} == set(found) - on_publish
    with sessions.begin() as s:
        assert escalate(s, early, territory="GZ") == []  # idempotent
        responses = select(func.count()).select_from(m.Escalation).where(m.Escalation.kind == "response")
        assert s.scalar(responses) == sum(lv for lv, _ in found.values())
    # Late in the day, deadlines have passed: level 2, and level 1 is on record for each.
    late = datetime(2026, 11, 24, 20, 0, tzinfo=CST)
    with sessions.begin() as s:
        second = escalate(s, late, territory="GZ")
        breached = {a.job for a in second if a.level == 2 and a.kind is Promise.RESPONSE}
        assert breached and breached == {
            j for j, (lv, _) in _expected(s, published, late, threshold).items() if lv == 2
        }
        levels = s.execute(
            select(m.Job.code, func.count(m.Escalation.id))
            .join(m.Escalation, m.Escalation.job_id == m.Job.id)
            .where(m.Job.code.in_(breached), m.Escalation.kind == "response")
            .group_by(m.Job.code)
        ).all()
        assert all(n == 2 for _, n in levels)


def test_a_visit_on_site_is_no_longer_at_risk(sessions: sessionmaker[Session], published: int) -> None:
    late = datetime(2026, 11, 24, 20, 0, tzinfo=CST)
    with sessions.begin() as s:
        victim = at_risk(s, late, territory="GZ", kinds=RESPONSE)[0]
        job = s.get_one(m.Job, victim.job_id)
        for step in (m.JobStatus.DISPATCHED, m.JobStatus.EN_ROUTE, m.JobStatus.ON_SITE):
            if job.status is m.JobStatus.NEW and step is m.JobStatus.DISPATCHED:
                transition(s, job, m.JobStatus.SCHEDULED, actor="t")
            transition(s, job, step, actor="t")
    with sessions() as s:
        assert victim.job not in {a.job for a in at_risk(s, late, territory="GZ", kinds=RESPONSE)}


def test_publishing_writes_etas_and_statuses_to_the_outbox(
    sessions: sessionmaker[Session], published: int
) -> None:
    with sessions() as s:
        planned = {
            v.job_id for r in s.get_one(m.Plan, published).routes for v in r.visits if v.job_id is not None
        }
        etas = s.scalars(select(m.OutboxMessage).where(m.OutboxMessage.topic == "job.eta")).all()
        assert {e.job_id for e in etas} == planned and len(etas) == len(planned)
        for e in etas:
            assert e.payload["eta_from"] < e.payload["eta_to"] and e.sent_at is None
        statuses = s.scalars(select(m.OutboxMessage).where(m.OutboxMessage.topic == "job.status")).all()
        assert {e.job_id for e in statuses} == planned  # each became scheduled, and was told so
        assert {e.payload["status"] for e in statuses} == {"scheduled"}


def test_sla_watch_once_raises_and_prints(
    sessions: sessionmaker[Session], published: int, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dispatch import cli
    from dispatch.settings import get_settings

    monkeypatch.setenv("DISPATCH_DATABASE_URL", database_url)
    monkeypatch.setattr(m, "utcnow", lambda: datetime(2026, 11, 24, 20, 0, tzinfo=CST).astimezone(UTC))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli.app, ["sla", "watch", "--once", "--territory", "GZ"])
        assert result.exit_code == 0, result.output
        assert "breached" in result.output and "new escalation(s)" in result.output
        assert "response breached" in result.output and "resolution" in result.output  # names the promise
        again = CliRunner().invoke(cli.app, ["sla", "watch", "--once", "--territory", "GZ"])
        assert "0 new escalation(s)" in again.output
        bad = CliRunner().invoke(cli.app, ["sla", "watch", "--interval", "0"])
        assert bad.exit_code == 2 and "--interval" in bad.output
        bad = CliRunner().invoke(cli.app, ["sla", "watch", "--return-wait-minutes", "-1"])
        assert bad.exit_code == 2 and "--return-wait-minutes" in bad.output
        bad = CliRunner().invoke(cli.app, ["sla", "watch", "--once", "--territory", "XX"])
        assert bad.exit_code == 2 and "--territory" in bad.output and "XX" in bad.output
        assert bad.exception is None or isinstance(bad.exception, SystemExit)  # no traceback
    finally:
        get_settings.cache_clear()

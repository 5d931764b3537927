"""KPIs on a small fixed history whose answers are worked out by hand. Both databases."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from dispatch import models as m
from dispatch.errors import ConflictError, InvalidInputError
from dispatch.kpi import kpis, record_survey
from dispatch.lifecycle import record_creation, transition

CST = timezone(timedelta(hours=8))
DAY = date(2026, 11, 10)
NOW = datetime(2026, 11, 11, 12, 0, tzinfo=CST)
S = m.JobStatus


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=CST)


def walk(
    s: Session, job: m.Job, steps: list[tuple[m.JobStatus, datetime]], reason: str | None = None
) -> None:
    for status, when in steps:
        transition(
            s, job, status, actor="t", at=when, reason=reason if status is m.JobStatus.INCOMPLETE else None
        )


@pytest.fixture
def history(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    with sessions.begin() as s:
        t = m.Territory(code="GZ", name="Guangzhou", timezone="Asia/Shanghai")
        fast = m.SlaPolicy(
            code="FAST",
            name="4 h",
            tier=2,
            response_minutes=240,
            resolution_minutes=480,
            calendar=m.Calendar.ALWAYS,
        )
        slow = m.SlaPolicy(
            code="SLOW",
            name="2 d",
            tier=0,
            response_minutes=2880,
            resolution_minutes=5760,
            calendar=m.Calendar.ALWAYS,
        )
        s.add_all([t, fast, slow])
        s.flush()
        site = m.Site(
            code="S1",
            customer=m.Customer(code="C1", name="Chen"),
            territory_id=t.id,
            address="1 Tianhe Rd",
            lat=23.13,
            lon=113.33,
        )
        eng = m.Engineer(code="E1", name="Li Wei", territory_id=t.id, home_lat=23.1, home_lon=113.3)
        s.add_all([site, eng])
        s.flush()

        def job(code: str, reported: datetime, policy: m.SlaPolicy) -> m.Job:
            j = m.Job(
                code=code,
                site_id=site.id,
                duration_minutes=60,
                reported_at=reported,
                created_at=reported,
                sla_policy_id=policy.id,
                engineer_id=eng.id,
                response_deadline=reported + timedelta(minutes=policy.response_minutes),
                resolution_deadline=reported + timedelta(minutes=policy.resolution_minutes),
            )
            s.add(j)
            record_creation(s, j, actor="t")
            s.flush()
            return j

        j1, j2 = job("J1", at(10, 8), fast), job("J2", at(10, 9), fast)
        job("J3", at(10, 10), fast)  # never reached
        job("J4", at(10, 22), slow)  # its promises are still open at NOW
        job("J5", at(9, 12), fast)  # reported the day before: outside the range
        j6 = job("J6", at(10, 11), fast)
        walk(s, j6, [(S.CANCELLED, at(10, 11, 30))])  # cancelled: never counted
        go = [(S.SCHEDULED, at(10, 7)), (S.DISPATCHED, at(10, 7)), (S.EN_ROUTE, at(10, 9))]
        walk(s, j1, [*go, (S.ON_SITE, at(10, 10)), (S.COMPLETED, at(10, 11))])
        walk(s, j2, [*go, (S.ON_SITE, at(10, 14)), (S.INCOMPLETE, at(10, 15))], reason="needs_part")
        walk(
            s,
            j2,
            [
                (S.NEW, at(10, 16)),
                *[(st, at(11, 8)) for st, _ in go],
                (S.ON_SITE, at(11, 9)),
                (S.COMPLETED, at(11, 10)),
            ],
        )
        for j, ftf in ((j1, True), (j2, False)):
            s.add(
                m.ServiceReport(
                    job_id=j.id,
                    engineer_id=eng.id,
                    outcome=S.COMPLETED,
                    minutes_on_site=60,
                    first_time_fix=ftf,
                )
            )
        shift = m.Shift(engineer_id=eng.id, day=DAY, start=at(10, 8), end=at(10, 18))
        s.add(shift)
        s.flush()
        plan = m.Plan(territory_id=t.id, day=DAY, status=m.PlanStatus.PUBLISHED, kpis={})
        route = m.Route(
            shift_id=shift.id,
            engineer_id=eng.id,
            start=at(10, 8),
            end=at(10, 18),
            travel_seconds=3600,
            distance_m=30_000,
        )
        route.visits = [
            m.Visit(seq=1, kind="job", job_id=j1.id, arrival=at(10, 10), start=at(10, 10), end=at(10, 11)),
            m.Visit(seq=2, kind="break", arrival=at(10, 12), start=at(10, 12), end=at(10, 13)),
            m.Visit(seq=3, kind="job", job_id=j2.id, arrival=at(10, 14), start=at(10, 14), end=at(10, 15)),
        ]
        plan.routes.append(route)
        s.add(plan)
        s.flush()
        record_survey(s, "J1", 5, 10, "quick and tidy", actor="agent:x")
        record_survey(s, "J2", 3, 6, "", actor="agent:x")
    return sessions


def test_kpis_of_a_known_day(history: sessionmaker[Session]) -> None:
    with history() as s:
        k = kpis(s, DAY, DAY, territory="GZ", now=NOW)
    assert k.jobs == 4  # J1-J4: J5 is from the day before, J6 was cancelled
    # Response: J1 met (10:00 <= 12:00), J2 late (14:00 > 13:00), J3 never reached (due 14:00).
    assert (k.response_decided, k.response_met, k.response_attainment) == (3, 1, 0.333)
    # Resolution: J1 met (11:00 <= 16:00), J2 done next day (> 17:00), J3 past 18:00; J4 still open.
    assert (k.resolution_decided, k.resolution_met, k.resolution_attainment) == (3, 1, 0.333)
    assert k.mean_response_minutes == 210.0  # J1 120 min, J2 300 min to the first on-site
    assert (k.completed, k.first_time_fix_rate) == (2, 0.5)
    assert k.planned_visits == 2 and k.travel_km_per_job == 15.0  # 30 km, 2 visits
    assert k.utilisation == 0.2 and k.jobs_per_engineer_day == 2.0  # 2 h on site of a 10 h shift
    assert (k.surveys, k.csat, k.nps) == (2, 4.0, 0.0)  # one promoter, one detractor


def test_utilisation_counts_every_engineer_on_shift_not_only_those_on_the_plan(
    history: sessionmaker[Session],
) -> None:
    """E1's route holds 2 h on site in a 10 h shift. E2 is on shift that day too, with no route:
    capacity the plan left idle, so utilisation is 2 h of 20 h. Shifts outside the plan's
    territory-days (another territory; a day no published plan covers) and of inactive
    engineers do not count."""
    with history.begin() as s:
        gz = s.scalars(select(m.Territory).where(m.Territory.code == "GZ")).one()
        sz = m.Territory(code="SZ", name="Shenzhen", timezone="Asia/Shanghai")
        s.add(sz)
        s.flush()

        def engineer(code: str, territory: m.Territory, *, active: bool = True) -> m.Engineer:
            e = m.Engineer(
                code=code, name=code, territory_id=territory.id, home_lat=23.1, home_lon=113.3, active=active
            )
            s.add(e)
            s.flush()
            return e

        def shift(e: m.Engineer, day: int) -> None:
            s.add(m.Shift(engineer_id=e.id, day=date(2026, 11, day), start=at(day, 8), end=at(day, 18)))

        e2 = engineer("E2", gz)
        shift(e2, 10)
        shift(e2, 11)  # no published plan covers GZ on the 11th
        shift(engineer("E3", gz, active=False), 10)
        shift(engineer("E4", sz), 10)  # no plan for SZ
    with history() as s:
        k = kpis(s, DAY, DAY, territory="GZ", now=NOW)
        assert k.utilisation == 0.1  # 2 h on site / (10 h E1 + 10 h E2)
        assert k.jobs_per_engineer_day == 2.0  # per engineer-day worked (route)
        assert kpis(s, DAY, DAY + timedelta(days=1), now=NOW).utilisation == 0.1


def test_an_empty_range_has_no_rates_and_bad_ranges_are_refused(history: sessionmaker[Session]) -> None:
    with history() as s:
        k = kpis(s, date(2026, 12, 1), date(2026, 12, 2), now=NOW)
        assert k.jobs == 0 and k.response_attainment is None and k.nps is None and k.utilisation is None
        with pytest.raises(InvalidInputError, match="ends before"):
            kpis(s, DAY, DAY - timedelta(days=1), now=NOW)


def test_one_survey_per_finished_job(history: sessionmaker[Session]) -> None:
    with history.begin() as s, pytest.raises(ConflictError, match="already"):
        record_survey(s, "J1", 4, 9, "", actor="agent:x")
    with history.begin() as s, pytest.raises(ConflictError, match="once it is over"):
        record_survey(s, "J3", 4, 9, "", actor="agent:x")


def test_dispatch_kpi_prints_the_table(
    history: sessionmaker[Session], database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dispatch import cli
    from dispatch.settings import get_settings

    monkeypatch.setenv("DISPATCH_DATABASE_URL", database_url)
    get_settings.cache_clear()
    try:
        r = CliRunner().invoke(
            cli.app, ["kpi", "--from", "2026-11-10", "--to", "2026-11-10", "--territory", "GZ"]
        )
        assert r.exit_code == 0, r.output
        assert "first-time fix" in r.output and "50.0% of 2 completed" in r.output and "NPS" in r.output
        bad = CliRunner().invoke(cli.app, ["kpi", "--from", "10/11/2026", "--to", "2026-11-10"])
        assert bad.exit_code == 2 and "--from" in bad.output
    finally:
        get_settings.cache_clear()

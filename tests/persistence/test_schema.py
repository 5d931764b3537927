"""The migrations are the schema: they build every table on both databases, match the ORM
exactly, and undo cleanly."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from dispatch.migrate import current_revision, downgrade, head_revision, upgrade
from dispatch.models import Base, Depot, Engineer, EngineerSkill, Part, Shift, Stock, Territory


def test_migrations_build_exactly_the_orm_schema(engine: Engine, database_url: str) -> None:
    assert current_revision(database_url) == head_revision()
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diff == []
    assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())


def test_downgrade_removes_every_table_and_upgrade_restores_them(engine: Engine, database_url: str) -> None:
    downgrade(database_url)
    assert not set(Base.metadata.tables) & set(inspect(engine).get_table_names())
    upgrade(database_url)
    assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())


def _territory(session: Session) -> Territory:
    t = Territory(code="GZ", name="Guangzhou", timezone="Asia/Shanghai")
    session.add(t)
    session.flush()
    return t


def test_datetimes_come_back_timezone_aware_utc(sessions: sessionmaker[Session]) -> None:
    shanghai = timezone(timedelta(hours=8))
    with sessions.begin() as s:
        t = _territory(s)
        e = Engineer(code="E1", name="Li Wei", territory=t, home_lat=23.13, home_lon=113.26)
        e.skills.append(EngineerSkill(skill="hvac", level=2))
        e.shifts.append(
            Shift(
                day=date(2026, 11, 24),
                start=datetime(2026, 11, 24, 8, tzinfo=shanghai),
                end=datetime(2026, 11, 24, 17, tzinfo=shanghai),
            )
        )
        s.add(e)
    with sessions() as s:
        shift = s.scalars(select(Shift)).one()
        assert shift.start == datetime(2026, 11, 24, 0, tzinfo=UTC)
        assert shift.start.tzinfo is not None
        assert s.scalars(select(Engineer)).one().skill_levels() == {"hvac": 2}


def test_naive_datetimes_are_refused(sessions: sessionmaker[Session]) -> None:
    with pytest.raises(Exception, match="naive datetime"), sessions.begin() as s:
        t = _territory(s)
        e = Engineer(code="E1", name="Li Wei", territory=t, home_lat=23.13, home_lon=113.26)
        e.shifts.append(
            Shift(day=date(2026, 11, 24), start=datetime(2026, 11, 24, 8), end=datetime(2026, 11, 24, 17))
        )
        s.add(e)


@pytest.mark.parametrize(
    ("at_depot", "quantity", "reserved"),
    [
        (False, 1, 0),  # nowhere: neither a depot nor a van
        (True, 1, 2),  # reserves more than it holds
        (True, -1, 0),
    ],
)
def test_database_refuses_impossible_stock(
    sessions: sessionmaker[Session], at_depot: bool, quantity: int, reserved: int
) -> None:
    with sessions.begin() as s:
        t = _territory(s)
        s.add(Part(sku="CAP-35", name="Run capacitor 35 µF", category="hvac"))
        s.add(Depot(code="D1", name="Tianhe", territory=t, lat=23.13, lon=113.33))
    with pytest.raises(IntegrityError), sessions.begin() as s:
        part, depot = s.scalars(select(Part)).one(), s.scalars(select(Depot)).one()
        depot_id = depot.id if at_depot else None
        s.add(Stock(part_id=part.id, depot_id=depot_id, quantity=quantity, reserved=reserved))


def test_one_stock_row_per_part_and_place(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        t = _territory(s)
        p = Part(sku="CAP-35", name="Run capacitor 35 µF", category="hvac")
        d = Depot(code="D1", name="Tianhe", territory=t, lat=23.13, lon=113.33)
        s.add_all([p, d])
        s.flush()
        s.add(Stock(part_id=p.id, depot_id=d.id, quantity=3))
    with pytest.raises(IntegrityError), sessions.begin() as s:
        p, d = s.scalars(select(Part)).one(), s.scalars(select(Depot)).one()
        s.add(Stock(part_id=p.id, depot_id=d.id, quantity=1))


def test_upgrades_keep_existing_rows(engine: Engine, database_url: str) -> None:
    """SQLite rebuilds tables to alter them; rows referenced by others must survive that."""
    from sqlalchemy import text

    downgrade(database_url, "0002")
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO territory (id, code, name, timezone) VALUES (1, 'GZ', 'Guangzhou', 'UTC')")
        )
        conn.execute(
            text(
                "INSERT INTO plan (id, territory_id, day, status, created_at, objective, kpis, "
                "solve_seconds) "
                "VALUES (7, 1, '2026-11-24', 'draft', '2026-11-23 10:00:00', 0, '{}', 1.0)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO plan_run (id, territory_id, day, status, progress, message, requested_by, "
                "created_at, plan_id) VALUES ('r1', 1, '2026-11-24', 'succeeded', 1.0, '', '', "
                "'2026-11-23 10:00:00', 7)"
            )
        )
    upgrade(database_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT days FROM plan WHERE id = 7")).scalar_one() == 1
        assert conn.execute(text("SELECT plan_id, days FROM plan_run WHERE id = 'r1'")).one() == (7, 1)


def test_objectives_beyond_32_bits_are_stored(sessions: sessionmaker[Session]) -> None:
    """Penalty-laden objectives of large days exceed 2**31 (PostgreSQL refused them once)."""
    from dispatch.models import Plan, PlanRun

    big = 8_547_338_765
    with sessions.begin() as s:
        t = Territory(code="GZ", name="Guangzhou", timezone="Asia/Shanghai")
        s.add(t)
        s.flush()
        plan = Plan(territory_id=t.id, day=date(2026, 11, 24), objective=big)
        s.add(plan)
        s.flush()
        s.add(
            PlanRun(id="r1", territory_id=t.id, day=date(2026, 11, 24), best_objective=big, plan_id=plan.id)
        )
    with sessions() as s:
        assert s.scalars(select(Plan.objective)).one() == big
        assert s.scalars(select(PlanRun.best_objective)).one() == big

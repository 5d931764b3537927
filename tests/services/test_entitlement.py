"""Cover is decided on the territory's local date, kept on the job for billing, only ever from the
customer's own contracts, and survives export and import; credit hold is part of the region's
data and has a CLI. Both databases."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from dispatch import models as m
from dispatch.db import make_engine, session_factory
from dispatch.demo import DEMO_DATA
from dispatch.entitlement import Cover, asset_by_serial, check_entitlement, site_by_code
from dispatch.exporter import export_directory
from dispatch.importer import ImportRejectedError, import_directory
from dispatch.jobs import NewJob, create_job
from dispatch.migrate import upgrade

CST = timezone(timedelta(hours=8))
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=CST)


@pytest.fixture
def demo(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    """The demo region, with C0002's GOLD contract K0002 (on water heater WA07000002, whose
    warranty ran out in August) ending on 30 November."""
    with sessions.begin() as s:
        import_directory(s, DEMO_DATA)
        s.execute(update(m.Contract).where(m.Contract.code == "K0002").values(ends_on=date(2026, 11, 30)))
    return sessions


def _call(reported_at: datetime, code: str, site: str = "S0002", asset: str = "WA07000002") -> NewJob:
    return NewJob(
        site=site,
        asset=asset,
        duration_minutes=40,
        skills={"water_heater": 1},
        reported_at=reported_at,
        code=code,
    )


def _job(s: Session, code: str) -> m.Job:
    return s.scalars(select(m.Job).where(m.Job.code == code)).one()


def _policy(s: Session, job: m.Job) -> str | None:
    return s.get_one(m.SlaPolicy, job.sla_policy_id).code if job.sla_policy_id else None


def test_cover_is_decided_on_the_local_date_and_kept_on_the_job(demo: sessionmaker[Session]) -> None:
    # 07:00 on 1 December in Guangzhou is 23:00 UTC on 30 November: the contract has ended.
    local = datetime(2026, 12, 1, 7, 0, tzinfo=CST)
    utc = datetime(2026, 11, 30, 23, 0, tzinfo=UTC)
    # 20:00 on 30 November in Guangzhou, the contract's last day (12:00 UTC).
    last_day = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    with demo.begin() as s:
        for code, when in (("J-LOCAL", local), ("J-UTC", utc), ("J-LAST", last_day)):
            create_job(s, _call(when, code), actor="t", now=NOW)
    with demo() as s:
        k0002 = s.scalars(select(m.Contract.id).where(m.Contract.code == "K0002")).one()
        for code in ("J-LOCAL", "J-UTC"):
            job = _job(s, code)
            assert (job.cover, job.contract_id, job.billable, _policy(s, job)) == (
                "chargeable",
                None,
                True,
                "BASIC",
            ), code
        assert _job(s, "J-LOCAL").response_deadline == _job(s, "J-UTC").response_deadline
        job = _job(s, "J-LAST")
        assert (job.cover, job.contract_id, job.billable, _policy(s, job)) == (
            "contract",
            k0002,
            False,
            "GOLD",
        )


def test_a_warranty_job_keeps_its_cover(demo: sessionmaker[Session]) -> None:
    with demo.begin() as s:
        job = create_job(
            s,
            NewJob(site="S0004", asset="WA07000004", duration_minutes=60, skills={"washer": 1}),
            actor="t",
            now=NOW,
        )
        assert (job.cover, job.contract_id, job.billable) == ("warranty", None, False)


def test_another_customers_contract_on_an_asset_is_never_applied(demo: sessionmaker[Session]) -> None:
    """Defence in depth: FR07000003 (site S0003, customer C0003, warranty over) linked by bad
    data to C0002's live GOLD contract is chargeable work, not GOLD."""
    with demo.begin() as s:
        k0002 = s.scalars(select(m.Contract).where(m.Contract.code == "K0002")).one()
        k0002.ends_on = date(2028, 7, 16)
        asset_by_serial(s, "FR07000003").contract_id = k0002.id
    with demo.begin() as s:
        cover = check_entitlement(
            s, site_by_code(s, "S0003"), asset_by_serial(s, "FR07000003"), date(2026, 12, 1)
        )
        assert cover.cover is Cover.CHARGEABLE and cover.contract_code is None and cover.contract_id is None
        assert "K0002" in cover.note and "another customer" in cover.note
        job = create_job(s, _call(NOW, "J-FR", site="S0003", asset="FR07000003"), actor="t", now=NOW)
        assert (job.cover, job.contract_id, job.billable, _policy(s, job)) == (
            "chargeable",
            None,
            True,
            "BASIC",
        )


def _append(path: Path, line: str) -> int:
    """Add a row; its line number in the file."""
    text = path.read_text(encoding="utf-8").rstrip("\n") + "\n" + line + "\n"
    path.write_text(text, encoding="utf-8")
    return len(text.splitlines())


def test_the_importer_refuses_a_contract_of_another_customer(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    data = tmp_path / "data"
    shutil.copytree(DEMO_DATA, data)
    _append(data / "customers.csv", "C9003,Far Away Co.,")
    _append(data / "contracts.csv", "K9003,C9003,GOLD,2025-01-01,2028-12-31")
    line = _append(data / "assets.csv", "AX9100,S0004,Gree split AC,aircon,,K9003")
    with pytest.raises(ImportRejectedError) as err, sessions.begin() as s:
        import_directory(s, data)
    assert [str(i) for i in err.value.issues] == [
        f"assets.csv:{line}: contract: contract K9003 is customer C9003's; site S0004 is customer C0004's"
    ]
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(m.Asset)) == 0

    # Against rows already in the database too, and for jobs that name their contract.
    with sessions.begin() as s:
        import_directory(s, DEMO_DATA)
    more = tmp_path / "more"
    more.mkdir()
    (more / "assets.csv").write_text(
        "serial,site,product,category,warranty_end,contract\nAX9101,S0004,Gree split AC,aircon,,K0002\n"
    )
    (more / "jobs.csv").write_text(
        "code,site,duration_minutes,reported_at,skills,cover,contract,billable\n"
        "J9001,S0004,60,2026-11-23T09:00+08:00,aircon:1,contract,K0002,false\n"
        "J9002,S0002,60,2026-11-23T09:00+08:00,aircon:1,contract,,false\n"
        "J9003,S0002,60,2026-11-23T09:00+08:00,aircon:1,contract,K0002,false\n"
    )
    with pytest.raises(ImportRejectedError) as err, sessions.begin() as s:
        import_directory(s, more)
    assert {(i.file, i.line, i.field) for i in err.value.issues} == {
        ("assets.csv", 2, "contract"),
        ("jobs.csv", 2, "contract"),
        ("jobs.csv", 3, "contract"),
    }


def test_cover_and_credit_hold_round_trip_through_export_and_import(
    demo: sessionmaker[Session], tmp_path: Path
) -> None:
    with demo.begin() as s:
        create_job(s, _call(datetime(2026, 11, 30, 12, 0, tzinfo=UTC), "J-GOLD"), actor="t", now=NOW)
        create_job(s, _call(NOW, "J-PAY"), actor="t", now=NOW)
        s.execute(update(m.Customer).where(m.Customer.code == "C0003").values(on_credit_hold=True))
    with demo() as s:
        export_directory(s, tmp_path / "csv")
        export_directory(s, tmp_path / "json", "json")
    header = (tmp_path / "csv" / "customers.csv").read_text().splitlines()[0]
    assert header == "code,name,phone,on_credit_hold"
    assert "C0003,Jade Clinic Co.,+86 138 5247 5966,true" in (tmp_path / "csv" / "customers.csv").read_text()
    url = f"sqlite:///{tmp_path / 'copy.sqlite3'}"
    upgrade(url)
    engine = make_engine(url)
    try:
        factory = session_factory(engine)
        with factory.begin() as s:
            import_directory(s, tmp_path / "csv")
        with factory() as s:
            gold, pay = _job(s, "J-GOLD"), _job(s, "J-PAY")
            k0002 = s.scalars(select(m.Contract.id).where(m.Contract.code == "K0002")).one()
            assert (gold.cover, gold.contract_id, gold.billable) == ("contract", k0002, False)
            assert (pay.cover, pay.contract_id, pay.billable) == ("chargeable", None, True)
            assert _job(s, "J00001").cover is None and _job(s, "J00001").billable is None
            held = s.scalars(select(m.Customer.code).where(m.Customer.on_credit_hold)).all()
            assert held == ["C0003"]
            export_directory(s, tmp_path / "again", "json")
    finally:
        engine.dispose()
    for name in ("customers.json", "jobs.json"):
        assert (tmp_path / "again" / name).read_text() == (tmp_path / "json" / name).read_text(), name


def test_dispatch_customers_hold_and_release(
    demo: sessionmaker[Session], database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dispatch import cli
    from dispatch.settings import get_settings

    def held() -> bool:
        with demo() as s:
            return s.scalars(select(m.Customer.on_credit_hold).where(m.Customer.code == "C0002")).one()

    monkeypatch.setenv("DISPATCH_DATABASE_URL", database_url)
    get_settings.cache_clear()
    try:
        r = CliRunner().invoke(cli.app, ["customers", "hold", "C0002"])
        assert r.exit_code == 0, r.output
        assert "C0002" in r.output and "on credit hold" in r.output and held()
        r = CliRunner().invoke(cli.app, ["customers", "release", "C0002"])
        assert r.exit_code == 0 and "released" in r.output and not held()
        r = CliRunner().invoke(cli.app, ["customers", "hold", "C9999"])
        assert r.exit_code == 2 and "error: customer: no customer 'C9999'" in r.output
    finally:
        get_settings.cache_clear()

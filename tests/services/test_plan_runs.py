"""Plan runs always end: a day that cannot be loaded fails the run with the reason; one run per
territory-day is active at a time (409 naming it, held by the database against races); a run
whose process dies is failed by the stale-run sweep, and no half-written plan is left."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from dispatch import models as m
from dispatch import planning, run_watch
from dispatch.errors import ConflictError
from dispatch.planning import create_run, run_plan, territory_by_code

DAY = date(2026, 11, 24)


def _queue(sessions: sessionmaker[Session], code: str = "SZ", day: date = DAY, **kw: Any) -> str:
    with sessions.begin() as s:
        return create_run(s, territory_by_code(s, code), day, **kw).id


def _run(sessions: sessionmaker[Session], run_id: str) -> m.PlanRun:
    with sessions() as s:
        return s.get_one(m.PlanRun, run_id)


def _plans(sessions: sessionmaker[Session]) -> int:
    with sessions() as s:
        return int(s.scalar(select(func.count()).select_from(m.Plan)) or 0)


def _dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def _pin_to_engineer_without_shift(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        gz = territory_by_code(s, "GZ")
        engineer = s.scalars(select(m.Engineer).where(m.Engineer.territory_id == gz.id)).first()
        assert engineer is not None
        for shift in s.scalars(select(m.Shift).where(m.Shift.engineer_id == engineer.id, m.Shift.day == DAY)):
            s.delete(shift)
        job = s.scalars(
            select(m.Job).join(m.Site).where(m.Site.territory_id == gz.id, m.Job.status == m.JobStatus.NEW)
        ).first()
        assert job is not None
        job.engineer_id, job.pinned = engineer.id, True


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("0001-01-01", "OverflowError"),
        ("9999-12-31", "OverflowError"),
        ("pin", "pinned to unknown engineer"),
    ],
)
def test_a_day_that_cannot_be_loaded_fails_the_run_with_the_reason(
    demo: sessionmaker[Session], database_url: str, case: str, reason: str
) -> None:
    if case == "pin":
        _pin_to_engineer_without_shift(demo)
    run_id = _queue(demo, "GZ", DAY if case == "pin" else date.fromisoformat(case))
    assert run_plan(database_url, run_id, time_limit=1) == "failed"
    run = _run(demo, run_id)
    assert run.status is m.RunStatus.FAILED and reason in run.message, run.message
    assert run.finished_at is not None and run.plan_id is None and _plans(demo) == 0
    assert _queue(demo, "GZ", run.day)  # ended: the territory-day takes a new run


def test_a_second_run_of_a_territory_day_is_refused_naming_the_first(
    demo: sessionmaker[Session], database_url: str
) -> None:
    first = _queue(demo)
    for kw in ({}, {"days": 2}, {"as_of": datetime.fromisoformat("2026-11-24T13:00+08:00")}):
        with pytest.raises(ConflictError) as refused:
            _queue(demo, **kw)
        assert refused.value.field == "day" and first in refused.value.reason
        assert refused.value.extra == {"active_run": {"id": first, "status": "queued"}}
    _queue(demo, "GZ")  # another territory, another day: their own runs
    _queue(demo, day=DAY + timedelta(days=1))
    assert run_plan(database_url, first, time_limit=1) == "succeeded"
    again = _queue(demo)
    assert again != first and _run(demo, again).status is m.RunStatus.QUEUED


def test_two_creates_racing_yield_one_run_and_one_409(demo: sessionmaker[Session]) -> None:
    start = threading.Barrier(2)

    def create() -> str | ConflictError:
        start.wait()
        try:
            return _queue(demo)
        except ConflictError as exc:
            return exc

    with ThreadPoolExecutor(2) as pool:
        outcomes = list(pool.map(lambda _: create(), range(2)))
    made = [o for o in outcomes if isinstance(o, str)]
    refused = [o for o in outcomes if isinstance(o, ConflictError)]
    assert len(made) == 1 and len(refused) == 1, outcomes
    assert refused[0].extra["active_run"]["id"] == made[0]


def test_the_index_turns_a_race_past_the_check_into_409(
    demo: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second create checks before the first commits (the window a race has), so only the
    database's partial unique index stops it: that must be the same 409, never a 500."""
    real = planning._refuse_second_run
    calls: list[str] = []

    def check_too_early(session: Session, territory: m.Territory, day: date) -> None:
        calls.append(threading.current_thread().name)
        if len(calls) > 1:  # the racing thread's first check sees nothing yet
            real(session, territory, day)

    with demo() as first:
        first.begin()
        territory = territory_by_code(first, "SZ")
        monkeypatch.setattr(planning, "_refuse_second_run", check_too_early)
        run = create_run(first, territory, DAY)  # flushed into the index, not committed
        calls.clear()
        with ThreadPoolExecutor(1) as pool:
            racing = pool.submit(_queue, demo)
            time.sleep(0.3)  # it waits on the first's write (SQLite) or index entry (PostgreSQL)
            assert not racing.done()
            first.commit()
            with pytest.raises(ConflictError) as refused:
                racing.result(timeout=10)
    assert len(calls) == 2  # the early check, then the one after the index refused the insert
    assert refused.value.extra == {"active_run": {"id": run.id, "status": "queued"}}


def test_a_run_killed_with_sigkill_is_failed_by_the_sweep_and_leaves_no_plan(
    demo: sessionmaker[Session], database_url: str
) -> None:
    run_id = _queue(demo, "GZ")
    code = (
        "import sys; from dispatch.planning import run_plan; "
        "run_plan(sys.argv[1], sys.argv[2], 30, heartbeat_seconds=0.2)"
    )
    proc = subprocess.Popen([sys.executable, "-c", code, database_url, run_id])
    try:
        deadline, first_beat = time.monotonic() + 30, None
        while time.monotonic() < deadline:  # searching (a plan found, not stored), and beating
            run = _run(demo, run_id)
            if run.best_objective is not None and run.heartbeat_at is not None:
                first_beat = first_beat or run.heartbeat_at
                if run.heartbeat_at > first_beat:
                    break
            assert proc.poll() is None and run.status in run_watch.ACTIVE, run.message
            time.sleep(0.05)
        else:
            raise AssertionError("the run never beat")
        assert run.worker == f"{socket.gethostname()}:{proc.pid}"
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(timeout=10) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    with demo.begin() as s:  # a threshold of an hour: this host knows the process is gone
        swept = run_watch.sweep(s, timedelta(hours=1))
    assert list(swept) == [run_id]
    run = _run(demo, run_id)
    assert run.status is m.RunStatus.FAILED and run.finished_at is not None
    assert run.message.startswith("the process running it stopped:") and str(proc.pid) in run.message
    assert run.plan_id is None and _plans(demo) == 0


def test_silent_runs_are_swept_after_the_threshold_and_live_ones_are_not(
    demo: sessionmaker[Session], database_url: str
) -> None:
    elsewhere = _queue(demo, "SZ")
    held_here = _queue(demo, "GZ")  # queued by this (live) process
    orphan = _queue(demo, "FD")
    host = socket.gethostname()
    with demo.begin() as s:
        s.get_one(m.PlanRun, elsewhere).status = m.RunStatus.RUNNING
        s.get_one(m.PlanRun, elsewhere).worker = "another-host:4242"
        s.get_one(m.PlanRun, orphan).worker = f"{host}:{_dead_pid()}"  # queued by a process now gone
    stale_after = timedelta(seconds=0.5)
    with demo.begin() as s:
        assert list(run_watch.sweep(s, stale_after)) == [orphan]  # at once: this host, pid gone
    time.sleep(0.6)
    with demo.begin() as s:  # the process holding it queued beats for it; the other host is silent
        assert run_watch.beat(s, [held_here], run_watch.worker_id(), m.RunStatus.QUEUED) == 1
    with demo.begin() as s:
        swept = run_watch.sweep(s, stale_after)
    assert list(swept) == [elsewhere] and "no heartbeat from another-host:4242" in swept[elsewhere]
    assert _run(demo, held_here).status is m.RunStatus.QUEUED
    assert _run(demo, elsewhere).message == swept[elsewhere]
    # A worker picking up a run the sweep ended leaves it as it is.
    assert run_plan(database_url, orphan, time_limit=1) == "failed" and _plans(demo) == 0


def test_a_run_the_sweep_ends_while_it_searches_stores_nothing(
    demo: sessionmaker[Session], database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_id = _queue(demo)
    solve = planning.solve

    def swept_meanwhile(*args: Any, **kw: Any) -> Any:
        solution = solve(*args, **kw)
        with demo.begin() as s:  # as a sweep on another host would, its heartbeat late
            assert run_watch.end_run(s, run_id, "the process running it stopped: planted")
        return solution

    monkeypatch.setattr(planning, "solve", swept_meanwhile)
    assert run_plan(database_url, run_id, time_limit=1) == "failed"
    run = _run(demo, run_id)
    assert run.message == "the process running it stopped: planted" and run.plan_id is None
    assert _plans(demo) == 0

"""Liveness of plan runs: who holds a run, its heartbeat, the state changes guarded by the
holder, and the sweep that ends runs whose process is gone.

A run is a row; the process executing it can die without a word (``kill -9``, out of memory, a
lost host), and then nothing would ever end it. So an active run names its holder in
``worker`` ("host:pid": the process that queued it, until a worker claims it) and carries a
heartbeat. A sweep (each API process, at start-up and on a timer) fails active runs whose
holder is provably gone (this host, pid not alive) or silent for longer than the threshold
(another host, or a pid the system may have reused). Every write here is conditional on the
status and holder (and, for the sweep, the heartbeat) it read, so a sweep never ends a run that
was just claimed or beat, and a worker never stores a plan for a run the sweep ended.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Collection
from datetime import datetime, timedelta
from types import TracebackType

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from dispatch import models as m
from dispatch.db import transaction

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 2.0
"""How often a run's holder says it is alive; keep ``Settings.run_stale_seconds`` well above."""

ACTIVE = (m.RunStatus.QUEUED, m.RunStatus.RUNNING)
STOPPED = "the process running it stopped"


def worker_id() -> str:
    """This process, as a run's ``worker`` names it."""
    return f"{socket.gethostname()}:{os.getpid()}"[:120]


def pid_alive(pid: int) -> bool:
    """Whether a process of this host is alive; a zombie (dead, not yet reaped) is not."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):  # no /proc (not Linux): trust kill
        return True


def _holder(worker: str) -> tuple[str, int | None]:
    host, _, pid = worker.rpartition(":")
    return (host, int(pid)) if host and pid.isdigit() else (worker, None)


def _changed(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def claim(session: Session, run_id: str, worker: str) -> bool:
    """Take a queued run for ``worker``: False when it is not queued (ended by the sweep, or
    claimed by another worker), so a run is executed at most once."""
    return bool(
        _changed(
            session.execute(
                update(m.PlanRun)
                .where(m.PlanRun.id == run_id, m.PlanRun.status == m.RunStatus.QUEUED)
                .values(status=m.RunStatus.RUNNING, worker=worker, heartbeat_at=m.utcnow())
                .execution_options(synchronize_session=False)
            )
        )
    )


def report(session: Session, run_id: str, worker: str, progress: float, objective: int) -> None:
    """A better plan found: progress, its cost, and a heartbeat (only while ``worker`` holds it)."""
    session.execute(
        update(m.PlanRun)
        .where(m.PlanRun.id == run_id, m.PlanRun.worker == worker, m.PlanRun.status == m.RunStatus.RUNNING)
        .values(progress=progress, best_objective=objective, heartbeat_at=m.utcnow())
        .execution_options(synchronize_session=False)
    )


def succeed(session: Session, run_id: str, worker: str, plan_id: int, objective: int) -> bool:
    """Mark the run succeeded with its plan, in the plan's own transaction: False when the run
    is no longer ``worker``'s (the sweep ended it), and then the caller rolls the plan back."""
    return bool(
        _changed(
            session.execute(
                update(m.PlanRun)
                .where(
                    m.PlanRun.id == run_id,
                    m.PlanRun.worker == worker,
                    m.PlanRun.status == m.RunStatus.RUNNING,
                )
                .values(
                    status=m.RunStatus.SUCCEEDED,
                    progress=1.0,
                    plan_id=plan_id,
                    best_objective=objective,
                    finished_at=m.utcnow(),
                )
                .execution_options(synchronize_session=False)
            )
        )
    )


def beat(session: Session, run_ids: Collection[str], worker: str, status: m.RunStatus) -> int:
    """Refresh the heartbeat of those of ``run_ids`` still held by ``worker`` in ``status``."""
    if not run_ids:
        return 0
    result = session.execute(
        update(m.PlanRun)
        .where(m.PlanRun.id.in_(run_ids), m.PlanRun.worker == worker, m.PlanRun.status == status)
        .values(heartbeat_at=m.utcnow())
        .execution_options(synchronize_session=False)
    )
    return _changed(result)


def end_run(session: Session, run_id: str, reason: str, *, worker: str | None = None) -> bool:
    """Fail an active run with ``reason`` (only while ``worker``, if given, still holds it);
    False when it had ended already, so the first reason recorded stays."""
    cond = [m.PlanRun.id == run_id, m.PlanRun.status.in_(ACTIVE)]
    if worker is not None:
        cond.append(m.PlanRun.worker == worker)
    result = session.execute(
        update(m.PlanRun)
        .where(*cond)
        .values(status=m.RunStatus.FAILED, finished_at=m.utcnow(), message=reason[:2000])
        .execution_options(synchronize_session=False)
    )
    return bool(_changed(result))


class Heartbeat:
    """Beats for one run from a daemon thread while the run searches: the search reports
    only better plans, and may find none for a long while. (OR-Tools holds the GIL between
    its Python callbacks, so a beat can be late by a second or two; the threshold allows it.)"""

    def __init__(self, factory: sessionmaker[Session], run_id: str, worker: str, every: float) -> None:
        self._factory, self._run_id, self._worker, self._every = factory, run_id, worker, every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"heartbeat-{run_id}", daemon=True)

    def _loop(self) -> None:
        while not self._stop.wait(self._every):
            try:
                with transaction(self._factory) as s:
                    if not beat(s, [self._run_id], self._worker, m.RunStatus.RUNNING):
                        return  # ended elsewhere (the sweep): its end writes nothing
            except Exception:  # a busy or lost database: try again at the next beat
                log.warning("heartbeat of plan run %s failed", self._run_id, exc_info=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(
        self, _t: type[BaseException] | None, _e: BaseException | None, _tb: TracebackType | None
    ) -> None:
        self._stop.set()
        self._thread.join()


def stale_reason(run: m.PlanRun, now: datetime, stale_after: timedelta, host: str) -> str | None:
    """Why ``run``'s holder is gone, or None while it may still be alive."""
    worker_host, pid = _holder(run.worker)
    who = run.worker or "no worker"
    what = "running it" if run.status is m.RunStatus.RUNNING else "that queued it"
    if worker_host == host and pid is not None and not pid_alive(pid):
        return f"{STOPPED}: process {who} {what} is no longer alive"
    silent = now - (run.heartbeat_at or run.created_at)
    if silent > stale_after:
        return (
            f"{STOPPED}: no heartbeat from {who} {what} for {silent.total_seconds():.0f} s "
            f"(limit {stale_after.total_seconds():g} s)"
        )
    return None


def sweep(session: Session, stale_after: timedelta, *, now: datetime | None = None) -> dict[str, str]:
    """Fail every queued or running run whose holder is gone; returns run id → reason."""
    now = now or m.utcnow()
    host = socket.gethostname()
    swept: dict[str, str] = {}
    for run in session.scalars(select(m.PlanRun).where(m.PlanRun.status.in_(ACTIVE))).all():
        reason = stale_reason(run, now, stale_after, host)
        if reason is None:
            continue
        # Only while nobody claimed it or beat since it was read.
        last = func.coalesce(m.PlanRun.heartbeat_at, m.PlanRun.created_at)
        result = session.execute(
            update(m.PlanRun)
            .where(
                m.PlanRun.id == run.id,
                m.PlanRun.status == run.status,
                m.PlanRun.worker == run.worker,
                last <= (run.heartbeat_at or run.created_at),
            )
            .values(status=m.RunStatus.FAILED, finished_at=now, message=reason)
            .execution_options(synchronize_session=False)
        )
        if _changed(result):
            log.warning("plan run %s failed by the sweep: %s", run.id, reason)
            swept[run.id] = reason
    return swept

"""Work the API hands to other processes: plan runs (queued in the database, executed on a local
process pool, polled by id) and booking quotes (CPU-bound, answered while the caller waits).
Pools are spawned, so OR-Tools and database connections are never shared with a child."""

from __future__ import annotations

import logging
import multiprocessing
import threading
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import timedelta
from typing import Any, TypeVar

from sqlalchemy.orm import Session, sessionmaker

from dispatch import models as m
from dispatch import run_watch
from dispatch.db import transaction
from dispatch.planning import run_plan

T = TypeVar("T")
log = logging.getLogger(__name__)


class PlanRunner:
    """Runs plans on a local pool, and sees that none stays queued or running for ever: it beats
    for the runs it holds queued until a worker claims them, fails those whose worker broke
    (a child killed), and sweeps for runs whose process stopped (`dispatch.run_watch`), at
    `start` and then every ``sweep_every`` seconds."""

    def __init__(
        self,
        database_url: str,
        workers: int,
        time_limit: float,
        *,
        stale_after: float = 60.0,
        sweep_every: float = 5.0,
    ) -> None:
        self.database_url = database_url
        self.workers = workers
        self.time_limit = time_limit
        self.stale_after = timedelta(seconds=stale_after)
        self.sweep_every = sweep_every
        self._pool: ProcessPoolExecutor | None = None
        self._held: dict[str, Future[str]] = {}  # submitted here, not yet seen to end
        self._lock = threading.Lock()
        self._sessions: sessionmaker[Session] | None = None
        self._stop = threading.Event()
        self._timer: threading.Thread | None = None

    def start(self, sessions: sessionmaker[Session]) -> None:
        """Sweep now (runs a stopped server left behind), then on a timer."""
        self._sessions = sessions
        self._sweep_logged()
        self._stop.clear()
        self._timer = threading.Thread(target=self._watch, name="plan-run-sweep", daemon=True)
        self._timer.start()

    def submit(self, run_id: str, time_limit: float | None = None) -> Future[str]:
        limit = time_limit or self.time_limit
        with self._lock:
            if self._pool is None:
                self._pool = self._new_pool()
            try:
                future = self._pool.submit(run_plan, self.database_url, run_id, limit)
            except BrokenProcessPool:  # a child died (kill -9, out of memory): its run is swept
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = self._new_pool()
                future = self._pool.submit(run_plan, self.database_url, run_id, limit)
            self._held[run_id] = future
        return future

    def _new_pool(self) -> ProcessPoolExecutor:
        ctx = multiprocessing.get_context("spawn")
        return ProcessPoolExecutor(max_workers=self.workers, mp_context=ctx)

    def sweep(self) -> dict[str, str]:
        """One pass; returns the runs it failed (id → reason)."""
        if self._sessions is None:
            return {}
        with self._lock:
            ended = {r: f for r, f in self._held.items() if f.done()}
            for r in ended:
                del self._held[r]
            waiting = list(self._held)
        with transaction(self._sessions) as s:
            run_watch.beat(s, waiting, run_watch.worker_id(), m.RunStatus.QUEUED)
            failed: dict[str, str] = {}
            for run_id, f in ended.items():
                why = "the server stopped before it started" if f.cancelled() else f.exception()
                if why is not None:
                    reason = f"{run_watch.STOPPED}: {str(why) or type(why).__name__}"
                    if run_watch.end_run(s, run_id, reason):
                        failed[run_id] = reason
            return failed | run_watch.sweep(s, self.stale_after)

    def _sweep_logged(self) -> None:
        try:
            self.sweep()
        except Exception:  # a busy or unreachable database: the next pass tries again
            log.warning("sweeping plan runs failed", exc_info=True)

    def _watch(self) -> None:
        while not self._stop.wait(self.sweep_every):
            self._sweep_logged()

    def shutdown(self) -> None:
        self._stop.set()
        if self._timer is not None:
            self._timer.join()
            self._timer = None
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        self._sweep_logged()  # runs cancelled in the queue end now, not at the next start


class QuotePool:
    """Quotes on ``workers`` processes (0: in the request's own thread). Each worker keeps its
    own engine and its own cached territory-day views."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def run(self, fn: Callable[..., T], *args: Any) -> T:
        with self._lock:
            if self._pool is None:
                ctx = multiprocessing.get_context("spawn")
                self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=ctx)
        return self._pool.submit(fn, *args).result()

    def shutdown(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

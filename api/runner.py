"""Work the API hands to other processes: plan runs (queued in the database, executed on a local
process pool, polled by id) and booking quotes (CPU-bound, answered while the caller waits).
Pools are spawned, so OR-Tools and database connections are never shared with a child."""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any, TypeVar

from dispatch.planning import run_plan

T = TypeVar("T")


class PlanRunner:
    def __init__(self, database_url: str, workers: int, time_limit: float) -> None:
        self.database_url = database_url
        self.workers = workers
        self.time_limit = time_limit
        self._pool: ProcessPoolExecutor | None = None

    def submit(self, run_id: str, time_limit: float | None = None) -> Future[str]:
        if self._pool is None:
            ctx = multiprocessing.get_context("spawn")
            self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=ctx)
        return self._pool.submit(run_plan, self.database_url, run_id, time_limit or self.time_limit)

    def shutdown(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


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

"""Plan runs from the API: queued in the database, executed on a local process pool (spawned,
so OR-Tools and database connections are never shared with a child), polled by id."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import Future, ProcessPoolExecutor

from dispatch.planning import run_plan


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

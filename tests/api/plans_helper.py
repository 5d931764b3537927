"""Plans for API tests, made by the planning service directly (faster than polling a run)."""

from __future__ import annotations

from datetime import date, timedelta, timezone

from dispatch import models as m
from dispatch.db import transaction
from dispatch.planning import create_run, publish, run_plan, territory_by_code
from tests.api.conftest import Api

DAY = date(2026, 11, 24)
CST = timezone(timedelta(hours=8))


def make_plan(api: Api, *, publish_it: bool = False, dispatch_now: bool = False) -> int:
    """Plan GZ on DAY (2 s of search); optionally publish it."""
    with transaction(api.sessions) as s:
        run_id = create_run(s, territory_by_code(s, "GZ"), DAY, requested_by="test").id
    assert run_plan(api.database_url, run_id, time_limit=2) == "succeeded"
    with transaction(api.sessions) as s:
        plan_id = s.get_one(m.PlanRun, run_id).plan_id
        assert plan_id is not None
        if publish_it:
            publish(s, plan_id, actor="dispatcher:test", dispatch_now=dispatch_now)
    return plan_id

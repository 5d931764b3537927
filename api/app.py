"""The FastAPI application: everything under ``/api/v1``, OpenAPI at ``/docs``, and the web
pages (``/board``, ``/m``, ``/static``; see ``api.web``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI

from api import errors, web
from api.body_limit import BodySizeLimit
from api.routers import (
    board,
    bookings,
    customers,
    engineer_app,
    engineers,
    jobs,
    kpis,
    parts,
    plan_edits,
    plans,
    sites,
    sla,
    territories,
)
from api.runner import PlanRunner, QuotePool
from dispatch.db import make_engine, session_factory
from dispatch.settings import Settings, get_settings

API_PREFIX = "/api/v1"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    engine = make_engine(settings.database_url)
    runner = PlanRunner(
        settings.database_url,
        settings.plan_workers,
        settings.plan_time_limit,
        stale_after=settings.run_stale_seconds,
        sweep_every=settings.run_sweep_seconds,
    )
    quotes = QuotePool(settings.quote_workers)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        runner.start(session_factory(engine))  # fails runs a stopped server left, then on a timer
        yield
        runner.shutdown()
        quotes.shutdown()
        engine.dispose()

    app = FastAPI(
        title="Field-service dispatch",
        version="1.0",
        summary="Plans, the engineer's day and call-centre bookings with SLA and parts checks.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = session_factory(engine)
    app.state.runner = runner
    app.state.quotes = quotes
    errors.install(app)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_request_bytes)
    v1 = APIRouter(prefix=API_PREFIX)
    for module in (
        territories,
        engineers,
        sites,
        customers,
        jobs,
        plans,
        plan_edits,
        engineer_app,
        bookings,
        sla,
        kpis,
        parts,
        board,
    ):
        v1.include_router(module.router)
    app.include_router(v1)
    web.install(app)
    return app

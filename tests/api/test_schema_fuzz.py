"""Schemathesis over the OpenAPI schema: generated requests, valid and invalid, to every
operation, on SQLite and PostgreSQL, with a token of a role the operation admits. No request
may produce a 5xx. Examples are bounded and derandomised to keep the suite fast and stable."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from sqlalchemy import text

from api.app import create_app
from dispatch.db import make_engine, session_factory, transaction
from dispatch.demo import DEMO_DATA
from dispatch.importer import import_directory
from dispatch.migrate import upgrade
from dispatch.models import Base
from dispatch.settings import Settings
from dispatch.users import create_user


class _Delegate:
    """Schemathesis reads the schema at collection time, before any database exists: it talks
    to this ASGI app, which forwards to the app of the database under test."""

    def __init__(self) -> None:
        self.app: FastAPI = create_app(Settings(database_url="sqlite://"))
        self.tokens: dict[str, str] = {}

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)


CURRENT = _Delegate()
schema = schemathesis.openapi.from_asgi("/openapi.json", CURRENT)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def fuzz_app(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The demo region loaded once per database for the whole module (the fuzzer's writes do
    not matter to it); PostgreSQL's shared test database is emptied afterwards."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'dispatch.sqlite3'}"
        upgrade(url)
    else:
        url = str(request.getfixturevalue("postgres_url"))
    engine = make_engine(url)
    with transaction(session_factory(engine)) as s:
        import_directory(s, DEMO_DATA, actor="demo")
        tokens = {role: create_user(s, role, role)[1] for role in ("dispatcher", "agent")}
        tokens["engineer"] = create_user(s, "engineer", "engineer", "E001")[1]
    previous = CURRENT.app
    CURRENT.app = create_app(Settings(database_url=url, plan_time_limit=1, plan_workers=1, quote_workers=0))
    CURRENT.tokens = tokens
    yield
    CURRENT.app.state.runner.shutdown()
    CURRENT.app.state.engine.dispose()
    CURRENT.app = previous
    if request.param == "postgresql":
        tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        with engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@schema.parametrize()
@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_no_request_produces_a_server_error(case: schemathesis.Case, fuzz_app: None) -> None:
    roles = case.operation.definition.raw.get("x-roles", [])
    who = "dispatcher" if "dispatcher" in roles else roles[0]
    response = case.call(headers={"Authorization": f"Bearer {CURRENT.tokens[who]}"})
    case.validate_response(response, checks=[not_a_server_error])

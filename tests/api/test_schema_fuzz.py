"""Schemathesis over the OpenAPI schema: generated requests, valid and invalid, to every
operation, on SQLite and PostgreSQL, with each role's token (admin, dispatcher, agent,
engineer), and every check schemathesis has: no 5xx; only documented statuses, content types
and bodies; valid data accepted and invalid data refused; authentication enforced; 405 with
``Allow`` for a method a path does not take. On top, every error answers the one error shape,
and a request the document allows is refused 422 only for a rule the document cannot state
(between fields or against the stored data: type ``invalid``), never for a value's type,
format or range, which the document does state. Examples are bounded and derandomised to keep
the suite fast and stable."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig
from sqlalchemy import text

from api.app import create_app
from dispatch.db import make_engine, session_factory, transaction
from dispatch.demo import DEMO_DATA
from dispatch.importer import import_directory
from dispatch.migrate import upgrade
from dispatch.models import Base
from dispatch.settings import Settings
from dispatch.users import create_user

ROLES = ("admin", "dispatcher", "agent", "engineer")


class _Delegate:
    """Schemathesis reads the schema at collection time, before any database exists: it talks
    to this ASGI app, which forwards to the app of the database under test."""

    def __init__(self) -> None:
        self.app: FastAPI = create_app(Settings(database_url="sqlite://"))
        self.tokens: dict[str, str] = {}

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)


CURRENT = _Delegate()
# Valid data may still earn a 422 for a rule no schema can state (a window ending before it
# starts, a skill no engineer has); `_one_error_shape` checks that it is only ever that.
ACCEPTED = {"expected-statuses": ["2xx", "401", "403", "404", "409", "422"]}
CONFIG = SchemathesisConfig.from_dict({"checks": {"positive_data_acceptance": ACCEPTED}})
schema = schemathesis.openapi.from_asgi("/openapi.json", CURRENT, config=CONFIG)


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
        tokens = {role: create_user(s, role, role)[1] for role in ("admin", "dispatcher", "agent")}
        tokens["engineer"] = create_user(s, "engineer", "engineer", "E001")[1]
    _sent.clear()
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


def _one_error_shape(_ctx: Any, response: Any, case: schemathesis.Case) -> None:
    """Every error is ``{"detail": [{"loc", "msg", "type"}]}``; valid data is refused 422 only
    for a rule beyond the document (``invalid``)."""
    if response.status_code < 400:
        return
    body = response.json()
    assert isinstance(body, dict) and isinstance(body.get("detail"), list) and body["detail"], body
    for item in body["detail"]:
        assert set(item) == {"loc", "msg", "type"}, item
        assert isinstance(item["loc"], list) and isinstance(item["msg"], str) and item["type"], item
    positive = case.meta is not None and case.meta.generation.mode.is_positive
    if positive and response.status_code == 422:
        kinds = {item["type"] for item in body["detail"]}
        assert kinds == {"invalid"}, f"valid data refused for {kinds}: {body['detail']}"


FORBIDDEN_CASES = 3
_sent: Counter[tuple[str, str]] = Counter()


@schema.parametrize()
@pytest.mark.parametrize("who", ROLES)
@settings(
    max_examples=5,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_no_request_breaks_the_contract(case: schemathesis.Case, who: str, fuzz_app: None) -> None:
    """Every case with the role's token, when the operation admits the role; when it does not,
    the first few only: the rest would be the same 403 (test_roles.py walks that for every
    operation too)."""
    if who not in case.operation.definition.raw.get("x-roles", []):
        _sent[case.operation.label, who] += 1
        if _sent[case.operation.label, who] > FORBIDDEN_CASES:
            return
    case.call_and_validate(
        headers={"Authorization": f"Bearer {CURRENT.tokens[who]}"},
        additional_checks=[_one_error_shape],
    )

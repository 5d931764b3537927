"""Issue 16, "no 500 on any input": requests that used to answer 500, freeze the server or be
accepted though wrong, each answered with its 4xx in the one error shape, echoing nothing of the
bad input and changing nothing in the database (a checksum of every table's rows before and
after each request), on SQLite and PostgreSQL. Plus: the request-size limit (Content-Length and
chunked bodies, through uvicorn too), and the OpenAPI document bounding every request value and
listing every error status with the one error schema."""

from __future__ import annotations

import contextlib
import hashlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import anyio
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import OperationalError

from api.app import create_app
from api.deps import get_now
from dispatch.db import make_engine, session_factory, transaction
from dispatch.demo import DEMO_DATA
from dispatch.importer import import_directory
from dispatch.migrate import upgrade
from dispatch.models import Base
from dispatch.settings import Settings
from dispatch.users import create_user

LIMIT = 2 * 1024 * 1024  # Settings.max_request_bytes' default, which the app below keeps
MB20 = 20 * 1024 * 1024
NAN = float("nan")
INF = float("inf")

JOB: dict[str, Any] = {"site": "S0001", "duration_minutes": 30, "skills": {"aircon": 1}}
ENGINEER: dict[str, Any] = {
    "code": "E990",
    "name": "Xu",
    "territory": "GZ",
    "home_lat": 23.1,
    "home_lon": 113.3,
}
SITE: dict[str, Any] = {
    "code": "S9990",
    "customer": "C0001",
    "territory": "GZ",
    "address": "1 Tianhe Road",
    "lat": 23.1,
    "lon": 113.3,
}
RUN: dict[str, Any] = {"territory": "GZ", "day": "2026-11-24"}
QUOTE: dict[str, Any] = {"site": "S0002", "skills": {"water_heater": 1}, "duration_minutes": 40}
SHIFT: dict[str, Any] = {"start": "2026-12-06T08:00:00+08:00", "end": "2026-12-06T17:00:00+08:00"}
REPORT: dict[str, Any] = {"outcome": "completed", "signed_by": "Chen"}


@dataclass
class Demo:
    client: TestClient
    tokens: dict[str, str]
    engine: Engine

    def headers(self, who: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def demo(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """The demo region once per database for the module: every request here must leave it as it was."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('bad') / 'dispatch.sqlite3'}"
        upgrade(url)
    else:
        url = str(request.getfixturevalue("postgres_url"))
    engine = make_engine(url)
    with transaction(session_factory(engine)) as s:
        import_directory(s, DEMO_DATA, actor="demo")
        tokens = {role: create_user(s, f"{role}-1", role)[1] for role in ("admin", "dispatcher", "agent")}
        tokens["engineer"] = create_user(s, "engineer-1", "engineer", "E001")[1]
    settings = Settings(database_url=url, plan_time_limit=1, plan_workers=1, quote_workers=0)
    try:
        with TestClient(create_app(settings)) as client:
            yield Demo(client, tokens, engine)
    finally:
        if request.param == "postgresql":
            tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
            with engine.begin() as conn:
                conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        engine.dispose()


def checksum(engine: Engine) -> str:
    """A hash of every row of every table, in primary-key order."""
    digest = hashlib.sha256()
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            digest.update(table.name.encode())
            for row in conn.execute(select(table).order_by(*table.primary_key.columns)):
                digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


def assert_error_shape(body: Any) -> None:
    """``{"detail": [{"loc": [...], "msg": "...", "type": "..."}, ...]}`` and nothing else per item."""
    assert isinstance(body, dict) and isinstance(body.get("detail"), list) and body["detail"], body
    for item in body["detail"]:
        assert set(item) == {"loc", "msg", "type"}, item
        assert isinstance(item["loc"], list) and all(isinstance(p, str | int) for p in item["loc"]), item
        assert isinstance(item["msg"], str) and item["msg"], item
        assert isinstance(item["type"], str) and item["type"], item


@dataclass(frozen=True)
class Bad:
    """One bad request and what it must earn."""

    id: str
    method: str
    path: str  # under /api/v1 unless it starts with /api or is absolute
    status: int
    loc: tuple[str | int, ...] | None = None  # the first error's loc ("*": any one part), if it must name one
    kind: str | None = None  # the first error's type
    body: Any = None  # sent as JSON (NaN and Infinity as JavaScript literals)
    raw: bytes | None = None  # sent as is, as JSON
    who: str | None = "dispatcher"
    secret: str | None = None  # must not come back in the answer


def _json(value: Any) -> bytes:
    return json.dumps(value).encode()  # NaN, Infinity and lone surrogates (escaped) pass through


NUL = "a\u0000b"
SURROGATE = "\ud800"
ESCAPED_NUL, ESCAPED_SURROGATE = "\\u0000", "\\ud800"

CASES = [
    # NaN and Infinity in JSON numbers: the validation error itself could not be serialised.
    Bad(
        "nan-time-limit", "POST", "/plans/runs", 422, ("body", "time_limit"), body={**RUN, "time_limit": NAN}
    ),
    Bad(
        "inf-time-limit", "POST", "/plans/runs", 422, ("body", "time_limit"), body={**RUN, "time_limit": INF}
    ),
    Bad("nan-home-lat", "POST", "/engineers", 422, ("body", "home_lat"), body={**ENGINEER, "home_lat": NAN}),
    Bad("inf-home-lon", "POST", "/engineers", 422, ("body", "home_lon"), body={**ENGINEER, "home_lon": -INF}),
    Bad("nan-site-lat", "POST", "/sites", 422, ("body", "lat"), body={**SITE, "lat": NAN}),
    Bad("inf-site-lon", "POST", "/sites", 422, ("body", "lon"), body={**SITE, "lon": INF}),
    Bad(
        "nan-duration",
        "POST",
        "/jobs",
        422,
        ("body", "duration_minutes"),
        body={**JOB, "duration_minutes": NAN},
    ),
    Bad(
        "nan-quote-duration",
        "POST",
        "/bookings/quote",
        422,
        ("body", "duration_minutes"),
        body={**QUOTE, "duration_minutes": NAN},
        who="agent",
    ),
    Bad(
        "nan-stock",
        "PUT",
        "/engineers/E001/stock/AC-CAP-35",
        422,
        ("body", "quantity"),
        body={"quantity": NAN},
    ),
    Bad("nan-query-lat", "GET", "/parts/AC-CAP-35/availability?lat=nan&lon=113", 422, ("query", "lat")),
    # Parts quantities without bounds: the database refused them.
    Bad(
        "parts-negative",
        "POST",
        "/jobs",
        422,
        ("body", "parts", "WH-VALVE"),
        body={**JOB, "parts": {"WH-VALVE": -5}},
    ),
    Bad(
        "parts-zero",
        "POST",
        "/jobs",
        422,
        ("body", "parts", "WH-VALVE"),
        body={**JOB, "parts": {"WH-VALVE": 0}},
    ),
    Bad(
        "parts-1e20",
        "POST",
        "/jobs",
        422,
        ("body", "parts", "WH-VALVE"),
        body={**JOB, "parts": {"WH-VALVE": 1e20}},
    ),
    Bad(
        "parts-huge-int",
        "POST",
        "/jobs",
        422,
        ("body", "parts", "WH-VALVE"),
        body={**JOB, "parts": {"WH-VALVE": 10**30}},
    ),
    Bad(
        "parts-fraction",
        "POST",
        "/jobs",
        422,
        ("body", "parts", "WH-VALVE"),
        body={**JOB, "parts": {"WH-VALVE": 1.5}},
    ),
    Bad(
        "parts-true",
        "POST",
        "/jobs",
        422,
        ("body", "parts", "WH-VALVE"),
        body={**JOB, "parts": {"WH-VALVE": True}},
    ),
    Bad(
        "parts-too-many",
        "POST",
        "/jobs",
        422,
        ("body", "parts"),
        body={**JOB, "parts": {f"P{k}": 1 for k in range(21)}},
    ),
    Bad(
        "report-parts-negative",
        "POST",
        "/me/jobs/J00001/report",
        422,
        ("body", "parts_used", "WH-VALVE"),
        body={**REPORT, "parts_used": {"WH-VALVE": -1}},
        who="engineer",
    ),
    # Years 1 and 9999: OverflowError once shifted by an offset or a horizon.
    Bad(
        "route-year-1",
        "GET",
        "/me/route?date=0001-01-01",
        422,
        ("query", "date"),
        "date_out_of_range",
        who="engineer",
    ),
    Bad(
        "plans-year-1",
        "GET",
        "/plans?territory=GZ&day=0001-01-01",
        422,
        ("query", "day"),
        "date_out_of_range",
    ),
    Bad(
        "plans-year-9999",
        "GET",
        "/plans?territory=GZ&day=9999-12-31",
        422,
        ("query", "day"),
        "date_out_of_range",
    ),
    Bad(
        "replan-year-1",
        "POST",
        "/plans/replan",
        422,
        ("body", "as_of"),
        "datetime_out_of_range",
        body={**RUN, "as_of": "0001-01-01T00:00:00+14:00"},
    ),
    Bad(
        "replan-year-9999",
        "POST",
        "/plans/replan",
        422,
        ("body", "as_of"),
        "datetime_out_of_range",
        body={**RUN, "as_of": "9999-12-31T23:59:59-14:00"},
    ),
    Bad("run-year-9999", "POST", "/plans/runs", 422, ("body", "day"), body={**RUN, "day": "9999-12-31"}),
    Bad("shift-day-year-1", "PUT", "/engineers/E001/shifts/0001-01-01", 422, ("path", "day"), body=SHIFT),
    Bad(
        "shift-start-year-9999",
        "PUT",
        "/engineers/E001/shifts/2026-12-06",
        422,
        ("body", "end"),
        body={**SHIFT, "end": "9999-12-31T23:59:59-14:00"},
    ),
    Bad(
        "window-year-1",
        "POST",
        "/jobs",
        422,
        ("body", "windows", 0, "start"),
        body={**JOB, "windows": [{"start": "0001-01-01T00:00:00+14:00", "end": "2026-12-01T10:00:00+08:00"}]},
    ),
    Bad(
        "reported-year-1",
        "POST",
        "/jobs",
        422,
        ("body", "reported_at"),
        body={**JOB, "reported_at": "0001-01-01T00:00:00+14:00"},
    ),
    Bad("kpis-years", "GET", "/kpis?start=0001-01-01&end=9999-12-31", 422, ("query", "start")),
    Bad("shifts-year-1", "GET", "/engineers/E001/shifts?start=0001-01-01", 422, ("query", "start")),
    Bad(
        "quote-year-1",
        "POST",
        "/bookings/quote",
        422,
        ("body", "preferred_days", 0),
        body={**QUOTE, "preferred_days": ["0001-01-01"]},
        who="agent",
    ),
    Bad(
        "move-year-1",
        "POST",
        "/plans/1/moves",
        422,
        ("body", "day"),
        body={"job": "J00001", "engineer": "E001", "day": "0001-01-01"},
    ),
    # Dates and times pydantic alone would take: Unix timestamps, a space for the T, no offset.
    Bad(
        "reported-timestamp",
        "POST",
        "/jobs",
        422,
        ("body", "reported_at"),
        body={**JOB, "reported_at": 1_700_000_000},
    ),
    Bad(
        "day-timestamp",
        "POST",
        "/plans/runs",
        422,
        ("body", "day"),
        "date_parsing",
        body={**RUN, "day": "1700000000"},
    ),
    Bad(
        "as-of-space",
        "POST",
        "/plans/replan",
        422,
        ("body", "as_of"),
        "datetime_parsing",
        body={**RUN, "as_of": "2026-11-24 08:00:00+08:00"},
    ),
    Bad(
        "as-of-naive",
        "POST",
        "/plans/replan",
        422,
        ("body", "as_of"),
        body={**RUN, "as_of": "2026-11-24T08:00:00"},
    ),
    # NUL in any text, query or path: PostgreSQL refuses it.
    Bad(
        "nul-description",
        "POST",
        "/jobs",
        422,
        ("body", "description"),
        body={**JOB, "description": NUL},
        secret=ESCAPED_NUL,
    ),
    Bad("nul-path", "GET", "/jobs/J0%0001", 422, ("path", "code"), secret=ESCAPED_NUL),
    Bad("nul-query", "GET", "/engineers?territory=G%00Z", 422, ("query", "territory"), secret=ESCAPED_NUL),
    Bad(
        "nul-name",
        "POST",
        "/engineers",
        422,
        ("body", "name"),
        body={**ENGINEER, "name": NUL},
        secret=ESCAPED_NUL,
    ),
    Bad(
        "nul-address",
        "POST",
        "/sites",
        422,
        ("body", "address"),
        body={**SITE, "address": NUL},
        secret=ESCAPED_NUL,
    ),
    Bad(
        "nul-work-done",
        "POST",
        "/me/jobs/J00001/report",
        422,
        ("body", "work_done"),
        body={**REPORT, "work_done": NUL},
        who="engineer",
        secret=ESCAPED_NUL,
    ),
    Bad(
        "nul-cancel-note",
        "POST",
        "/jobs/J00001/cancel?note=a%00b",
        422,
        ("query", "note"),
        who="agent",
        secret=ESCAPED_NUL,
    ),
    Bad(
        "nul-survey",
        "POST",
        "/jobs/J00001/survey",
        422,
        ("body", "comment"),
        body={"csat": 5, "nps": 9, "comment": NUL},
        who="agent",
        secret=ESCAPED_NUL,
    ),
    Bad(
        "nul-skill-key",
        "POST",
        "/jobs",
        422,
        ("body", "skills", "…", "[key]"),
        body={**JOB, "skills": {"air\u0000con": 1}},
        secret=ESCAPED_NUL,
    ),
    Bad(
        "nul-sku-path",
        "PUT",
        "/engineers/E001/stock/A%00B",
        422,
        ("path", "sku"),
        body={"quantity": 1},
        secret=ESCAPED_NUL,
    ),
    Bad("nul-run-id", "GET", "/plans/runs/%00", 422, ("path", "run_id"), secret=ESCAPED_NUL),
    # A lone surrogate: no encoding can store it.
    Bad(
        "surrogate-quote",
        "POST",
        "/bookings/quote",
        422,
        ("body", "description"),
        "string_unicode",
        body={**QUOTE, "description": SURROGATE},
        who="agent",
        secret=ESCAPED_SURROGATE,
    ),
    Bad(
        "surrogate-job",
        "POST",
        "/jobs",
        422,
        ("body", "description"),
        "string_unicode",
        body={**JOB, "description": SURROGATE},
        secret=ESCAPED_SURROGATE,
    ),
    Bad(
        "surrogate-skill-key",
        "POST",
        "/jobs",
        422,
        ("body", "skills", "*", "[key]"),
        "string_unicode",
        body={**JOB, "skills": {SURROGATE: 1}},
        secret=ESCAPED_SURROGATE,
    ),
    Bad(
        "surrogate-extra-field",
        "POST",
        "/jobs",
        422,
        ("body",),
        "string_unicode",
        body={**JOB, SURROGATE: 1},
        secret=ESCAPED_SURROGATE,
    ),
    Bad(
        "surrogate-name",
        "PATCH",
        "/engineers/E001",
        422,
        ("body", "name"),
        body={"name": "\udfff"},
        secret="\\udfff",
    ),
    # Bodies too large to read: refused from Content-Length, nothing echoed.
    Bad("20mb-job", "POST", "/jobs", 413, ("body",), "too_large", raw=b"[" + b"1," * (MB20 // 2) + b"1]"),
    Bad(
        "20mb-report",
        "POST",
        "/me/jobs/J00001/report",
        413,
        ("body",),
        "too_large",
        raw=b'"' + b"x" * MB20 + b'"',
        who="engineer",
    ),
    Bad("20mb-unauthenticated", "POST", "/jobs", 413, ("body",), "too_large", raw=b" " * MB20, who=None),
    # Under the limit but large: refused quickly, and still nothing echoed.
    Bad(
        "1mb-array",
        "POST",
        "/jobs",
        422,
        ("body",),
        raw=b"[" + b'"xxxxxxxxxx",' * 90_000 + b"1]",
        secret="xxxxxxxxxx",
    ),
    Bad(
        "1mb-description",
        "POST",
        "/jobs",
        422,
        ("body", "description"),
        "string_too_long",
        body={**JOB, "description": "y" * 1_000_000},
        secret="yyyyyyyyyy",
    ),
    Bad(
        "many-bad-keys",
        "POST",
        "/jobs",
        422,
        ("body", "skills", "BAD0", "[key]"),
        "string_pattern_mismatch",
        body={**JOB, "skills": {f"BAD{k}": 1 for k in range(20_000)}},
    ),
    # Accepted, though wrong.
    Bad(
        "shift-in-2027",
        "PUT",
        "/engineers/E001/shifts/2026-12-06",
        422,
        ("start",),
        "invalid",
        body={"start": "2027-01-05T08:00:00+08:00", "end": "2027-01-05T17:00:00+08:00"},
    ),
    Bad(
        "shift-starts-the-day-before",
        "PUT",
        "/engineers/E001/shifts/2026-12-06",
        422,
        ("start",),
        "invalid",
        body={"start": "2026-12-05T22:00:00+08:00", "end": "2026-12-06T06:00:00+08:00"},
    ),
    Bad(
        "shift-over-24h",
        "PUT",
        "/engineers/E001/shifts/2026-12-06",
        422,
        ("end",),
        "invalid",
        body={"start": "2026-12-06T08:00:00+08:00", "end": "2026-12-07T09:00:00+08:00"},
    ),
    Bad(
        "shift-break-outside",
        "PUT",
        "/engineers/E001/shifts/2026-12-06",
        422,
        ("break_earliest",),
        "invalid",
        body={
            **SHIFT,
            "break_earliest": "2026-12-06T05:00:00+08:00",
            "break_latest_end": "2026-12-06T12:00:00+08:00",
            "break_minutes": 30,
        },
    ),
    Bad(
        "5000-skills",
        "POST",
        "/engineers",
        422,
        ("body", "skills"),
        "too_long",
        body={**ENGINEER, "skills": {f"skill_{k}": 1 for k in range(5000)}},
    ),
    Bad(
        "duration-true",
        "POST",
        "/jobs",
        422,
        ("body", "duration_minutes"),
        "int_type",
        body={**JOB, "duration_minutes": True},
    ),
    Bad(
        "duration-text",
        "POST",
        "/jobs",
        422,
        ("body", "duration_minutes"),
        "int_type",
        body={**JOB, "duration_minutes": "30"},
    ),
    Bad(
        "level-true",
        "POST",
        "/jobs",
        422,
        ("body", "skills", "aircon"),
        "int_type",
        body={**JOB, "skills": {"aircon": True}},
    ),
    Bad(
        "lat-text",
        "POST",
        "/engineers",
        422,
        ("body", "home_lat"),
        "float_type",
        body={**ENGINEER, "home_lat": "23.1"},
    ),
    Bad(
        "hold-yes",
        "PUT",
        "/customers/C0001/credit-hold",
        422,
        ("body", "on_hold"),
        "bool_type",
        body={"on_hold": "yes"},
    ),
    Bad(
        "hold-one",
        "PUT",
        "/customers/C0001/credit-hold",
        422,
        ("body", "on_hold"),
        "bool_type",
        body={"on_hold": 1},
    ),
    Bad("blank-name", "POST", "/engineers", 422, ("body", "name"), body={**ENGINEER, "name": "   "}),
    Bad(
        "too-many-windows",
        "POST",
        "/jobs",
        422,
        ("body", "windows"),
        "too_long",
        body={**JOB, "windows": [{"start": "2026-12-01T08:00:00Z", "end": "2026-12-01T09:00:00Z"}] * 15},
    ),
    # Each bounded field the rows above do not reach, past its bound.
    Bad(
        "shift-max-jobs",
        "PUT",
        "/engineers/E001/shifts/2026-12-06",
        422,
        ("body", "max_jobs"),
        body={**SHIFT, "max_jobs": 101},
    ),
    Bad(
        "report-minutes",
        "POST",
        "/me/jobs/J00001/report",
        422,
        ("body", "minutes_on_site"),
        body={**REPORT, "minutes_on_site": -1},
        who="engineer",
    ),
    Bad(
        "move-position",
        "POST",
        "/plans/1/moves",
        422,
        ("body", "position"),
        body={"job": "J00001", "engineer": "E001", "position": 0},
    ),
    Bad(
        "move-pin-int",
        "POST",
        "/plans/1/moves",
        422,
        ("body", "pin"),
        "bool_type",
        body={"job": "J00001", "engineer": "E001", "pin": 1},
    ),
    Bad(
        "move-version",
        "POST",
        "/plans/1/moves",
        422,
        ("body", "versions", "E001"),
        body={"job": "J00001", "engineer": "E001", "versions": {"E001": -1}},
    ),
    Bad("run-days", "POST", "/plans/runs", 422, ("body", "days"), body={**RUN, "days": 15}),
    Bad("job-priority", "POST", "/jobs", 422, ("body", "priority"), body={**JOB, "priority": 101}),
    Bad("job-asset", "POST", "/jobs", 422, ("body", "asset"), body={**JOB, "asset": "A" * 65}),
    Bad("engineer-phone", "POST", "/engineers", 422, ("body", "phone"), body={**ENGINEER, "phone": "1" * 41}),
    Bad(
        "publish-int",
        "POST",
        "/plans/1/publish",
        422,
        ("body", "dispatch_now"),
        "bool_type",
        body={"dispatch_now": 1},
    ),
    Bad(
        "status-reason",
        "POST",
        "/jobs/J00001/status",
        422,
        ("body", "reason"),
        body={"status": "incomplete", "reason": "x" * 41},
    ),
    Bad("unknown-query", "GET", "/engineers?teritory=GZ", 422, ("query", "teritory"), "extra_forbidden"),
    Bad("unknown-query-no-params", "GET", "/territories?x=1", 422, ("query", "x"), "extra_forbidden"),
    Bad("code-dot-dot", "GET", "/engineers?territory=..", 422, ("query", "territory")),
    Bad("long-code", "GET", "/jobs/" + "J" * 33, 422, ("path", "code")),
    Bad("idempotency-key-space", "POST", "/bookings", 422, ("header", "Idempotency-Key"), who="agent"),
    # Every other status in the same shape.
    Bad("no-token", "GET", "/territories", 401, ("header", "Authorization"), "unauthenticated", who=None),
    Bad(
        "bad-token", "GET", "/territories", 401, ("header", "Authorization"), "unauthenticated", who="nobody"
    ),
    Bad("wrong-role", "GET", "/engineers", 403, ("role",), "forbidden", who="agent"),
    Bad("unknown-job", "GET", "/jobs/NOPE", 404, ("job",), "not_found"),
    Bad("unknown-path", "GET", "/nowhere", 404, ("path",), "not_found"),
    Bad("unknown-path-outside-api", "GET", "/api/v2/jobs", 404, ("path",), "not_found"),
    Bad("method-territories", "DELETE", "/territories", 405, ("method",), "method_not_allowed"),
    Bad("method-engineer", "PUT", "/engineers/E001", 405, ("method",), "method_not_allowed"),
    Bad(
        "existing-engineer",
        "POST",
        "/engineers",
        409,
        ("code",),
        "conflict",
        body={**ENGINEER, "code": "E001"},
    ),
    Bad("bad-json", "POST", "/jobs", 422, ("body", "*"), "json_invalid", raw=b'{"site": '),
    Bad(
        "digits",
        "POST",
        "/jobs",
        400,
        ("body",),
        "bad_request",
        raw=b'{"duration_minutes": ' + b"9" * 5000 + b"}",
    ),
    Bad("deep-nesting", "POST", "/jobs", 400, ("body",), "bad_request", raw=b"[" * 200_000 + b"]" * 200_000),
]


def _send(demo: Demo, case: Bad) -> Any:
    path = case.path if case.path.startswith("/api") else f"/api/v1{case.path}"
    headers = {"Authorization": "Bearer fsd_unknown"} if case.who == "nobody" else demo.headers(case.who)
    if case.id == "idempotency-key-space":
        headers["Idempotency-Key"] = "has a space"
        return demo.client.post(path, headers=headers, json={"quote_id": "ab", "slot_id": "2026-11-24T08:00"})
    content = case.raw if case.raw is not None else _json(case.body) if case.body is not None else None
    if content is not None:
        headers["Content-Type"] = "application/json"
    return demo.client.request(case.method, path, headers=headers, content=content)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_a_bad_request_is_a_4xx_in_the_one_shape_and_changes_nothing(demo: Demo, case: Bad) -> None:
    before = checksum(demo.engine)
    started = time.monotonic()
    r = _send(demo, case)
    took = time.monotonic() - started
    assert r.status_code == case.status, r.text[:2000]
    assert r.headers["content-type"] == "application/json"
    body = r.json()
    assert_error_shape(body)
    first = body["detail"][0]
    if case.loc is not None:
        assert len(first["loc"]) == len(case.loc), first
        assert all(want in ("*", got) for want, got in zip(case.loc, first["loc"], strict=True)), first
    if case.kind is not None:
        assert case.kind in first["type"], first
    assert len(r.content) < 20_000, f"{len(r.content)} bytes answered"
    if case.secret is not None:
        assert case.secret not in r.text
    assert "\x00" not in r.text and "NaN" not in r.text and "Infinity" not in r.text
    if case.status == 413:
        assert took < 5, f"{took:.1f} s to refuse"
        assert r.headers["connection"] == "close"
    assert checksum(demo.engine) == before, "the request changed the database"


def test_405_lists_every_method_of_the_path(demo: Demo) -> None:
    r = demo.client.put("/api/v1/engineers/E001", headers=demo.headers("dispatcher"))
    assert r.status_code == 405 and r.headers["allow"] == "GET, PATCH, DELETE"
    r = demo.client.delete("/api/v1/territories", headers=demo.headers("dispatcher"))
    assert r.status_code == 405 and r.headers["allow"] == "GET"


def test_a_busy_database_is_503_and_a_bug_is_500_in_the_one_shape(demo: Demo) -> None:
    app: FastAPI = demo.client.app  # type: ignore[assignment]

    def busy() -> None:
        raise OperationalError("BEGIN", {}, Exception("database is locked"))

    def bug() -> None:
        raise RuntimeError("a secret detail")

    try:
        app.dependency_overrides[get_now] = busy
        r = demo.client.post("/api/v1/jobs", headers=demo.headers("agent"), json=JOB)
        assert r.status_code == 503 and r.headers["retry-after"] == "1"
        assert_error_shape(r.json())
        assert r.json()["detail"][0]["type"] == "busy"
        app.dependency_overrides[get_now] = bug
        r = TestClient(app, raise_server_exceptions=False).post(
            "/api/v1/jobs", headers=demo.headers("agent"), json=JOB
        )
        assert r.status_code == 500 and "secret" not in r.text
        assert_error_shape(r.json())
        assert r.json()["detail"][0]["type"] == "internal"
    finally:
        app.dependency_overrides.pop(get_now, None)


def test_a_night_shift_may_end_the_next_morning(demo: Demo) -> None:
    night = {"start": "2026-12-08T22:00:00+08:00", "end": "2026-12-09T06:00:00+08:00"}
    r = demo.client.put(
        "/api/v1/engineers/E002/shifts/2026-12-08", headers=demo.headers("dispatcher"), json=night
    )
    assert r.status_code == 201, r.text
    r = demo.client.delete("/api/v1/engineers/E002/shifts/2026-12-08", headers=demo.headers("dispatcher"))
    assert r.status_code == 204


def _chunks(total: int, size: int = 64 * 1024) -> Iterator[bytes]:
    sent = 0
    while sent < total:
        yield b" " * size
        sent += size


def test_a_body_over_the_limit_is_413_and_the_next_request_works(demo: Demo) -> None:
    headers = demo.headers("agent")
    for content in (b" " * (LIMIT + 1), _chunks(MB20)):  # Content-Length, then chunked
        r = demo.client.post(
            "/api/v1/jobs", headers={**headers, "Content-Type": "application/json"}, content=content
        )
        assert r.status_code == 413, r.text[:300]
        assert_error_shape(r.json())
        assert r.json()["detail"][0]["type"] == "too_large" and len(r.content) < 1000
        r = demo.client.get("/api/v1/territories", headers=headers)
        assert r.status_code == 200 and r.json()
    # At the limit, the body is read (and judged on its merits).
    r = demo.client.post(
        "/api/v1/jobs", headers={**headers, "Content-Type": "application/json"}, content=b" " * LIMIT
    )
    assert r.status_code == 422


def test_a_body_of_unknown_length_is_read_no_further_than_the_limit(demo: Demo) -> None:
    """Straight through ASGI: the app asks for chunks (64 KiB, never-ending) until the limit and no more."""
    asked = 0
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal asked
        asked += 1
        return {"type": "http.request", "body": b" " * 65536, "more_body": True}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/v1/jobs",
        "raw_path": b"/api/v1/jobs",
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"test"),
            (b"content-type", b"application/json"),
            (b"transfer-encoding", b"chunked"),
            (b"authorization", f"Bearer {demo.tokens['agent']}".encode()),
        ],
        "client": ("127.0.0.1", 1),
        "server": ("test", 80),
        "state": {},
    }
    anyio.run(demo.client.app, scope, receive, send)  # type: ignore[arg-type]
    assert sent[0]["type"] == "http.response.start" and sent[0]["status"] == 413
    assert asked == LIMIT // 65536 + 1


@pytest.fixture(scope="module")
def served(demo: Demo) -> Iterator[int]:
    """The same app under uvicorn on a free local port (the freeze was a server-wide one)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    server = uvicorn.Server(uvicorn.Config(demo.client.app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield port
    server.should_exit = True
    thread.join(timeout=20)


def _raw_exchange(port: int, head: bytes, chunks: Iterator[bytes]) -> bytes:
    """Send a request head and then body chunks until the server answers or hangs up; the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head)
        sock.setblocking(False)
        answer = b""
        for chunk in chunks:
            with contextlib.suppress(BlockingIOError):
                answer += sock.recv(65536)
            if answer:
                break
            try:
                sock.sendall(chunk)
            except (BlockingIOError, BrokenPipeError, ConnectionResetError):
                time.sleep(0.01)
        sock.settimeout(10)
        try:
            while b"\r\n\r\n" not in answer or len(answer) < 200:
                more = sock.recv(65536)
                if not more:
                    break
                answer += more
        except (TimeoutError, ConnectionResetError):
            pass
        return answer


def test_through_uvicorn_a_large_body_is_refused_at_once_and_the_server_stays_free(
    demo: Demo, served: int
) -> None:
    auth = f"Authorization: Bearer {demo.tokens['agent']}\r\n".encode()
    start = b"POST /api/v1/jobs HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n" + auth
    for head, chunks in (
        (start + f"Content-Length: {MB20}\r\n\r\n".encode(), _chunks(MB20)),
        (
            start + b"Transfer-Encoding: chunked\r\n\r\n",
            (b"%x\r\n%s\r\n" % (len(c), c) for c in _chunks(MB20)),
        ),
    ):
        began = time.monotonic()
        answer = _raw_exchange(served, head, chunks)
        assert answer.startswith(b"HTTP/1.1 413"), answer[:300]
        assert b'"too_large"' in answer and time.monotonic() - began < 5
        r = demo.client.get("/api/v1/territories", headers=demo.headers("agent"))
        assert r.status_code == 200


# --- the document ------------------------------------------------------------------------------


def _resolve(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = doc["components"]["schemas"][name]
    return schema


def _unbounded(doc: dict[str, Any], schema: dict[str, Any], where: str) -> list[str]:
    """Places in a request schema where a value has no bound: text without a pattern or length,
    a number without both bounds, a list without a maximum size, a map open to any key."""
    schema = _resolve(doc, schema)
    found: list[str] = []
    for key in ("anyOf", "oneOf", "allOf"):
        for k, branch in enumerate(schema.get(key, [])):
            found += _unbounded(doc, branch, f"{where}|{k}")
    kind = schema.get("type")
    if kind == "string" and "enum" not in schema and "const" not in schema:
        if "pattern" not in schema:
            found.append(f"{where}: text without a pattern")
        if "maxLength" not in schema and schema.get("format") not in ("date", "date-time"):
            found.append(f"{where}: text without a maximum length")
    elif kind in ("integer", "number"):
        if "minimum" not in schema and "exclusiveMinimum" not in schema:
            found.append(f"{where}: number without a minimum")
        if "maximum" not in schema and "exclusiveMaximum" not in schema:
            found.append(f"{where}: number without a maximum")
    elif kind == "array":
        if "maxItems" not in schema:
            found.append(f"{where}: list without a maximum size")
        found += _unbounded(doc, schema.get("items", {}), f"{where}[]")
    elif kind == "object":
        if schema.get("additionalProperties", True) is not False:
            found.append(f"{where}: map open to any key")
        if "patternProperties" in schema and "maxProperties" not in schema:
            found.append(f"{where}: map without a maximum size")
        for name, sub in {**schema.get("properties", {}), **schema.get("patternProperties", {})}.items():
            found += _unbounded(doc, sub, f"{where}.{name}")
    return found


def test_every_request_value_is_bounded_in_the_document(demo: Demo) -> None:
    doc = demo.client.get("/openapi.json").json()
    found: list[str] = []
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            op = f"{method.upper()} {path}"
            for parameter in operation.get("parameters", []):
                found += _unbounded(doc, parameter["schema"], f"{op} {parameter['in']} {parameter['name']}")
            for media in operation.get("requestBody", {}).get("content", {}).values():
                found += _unbounded(doc, media["schema"], f"{op} body")
    assert not found, "\n".join(found)


def test_every_operation_documents_its_errors_with_the_one_schema(demo: Demo) -> None:
    doc = demo.client.get("/openapi.json").json()
    assert "HTTPValidationError" not in doc["components"]["schemas"]
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            op = f"{method.upper()} {path}"
            responses = operation["responses"]
            expected = {"401", "403", "422", "503"}
            if "requestBody" in operation:
                expected |= {"400", "413"}
            if "{" in path:
                expected.add("404")
            assert expected <= set(responses), f"{op}: {sorted(expected - set(responses))} missing"
            for status, response in responses.items():
                if int(status) >= 400:
                    schema = response["content"]["application/json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/ErrorBody"}, f"{op} {status}"

"""An API on the demo region, on SQLite and PostgreSQL, with one user per role."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from api.app import create_app
from dispatch import booking
from dispatch.db import transaction
from dispatch.demo import DEMO_DATA
from dispatch.importer import import_directory
from dispatch.settings import Settings
from dispatch.users import create_user

ENGINEER = "E001"  # the engineer user's own engineer (Guangzhou)
OTHER_ENGINEER = "E002"


@dataclass
class Api:
    client: TestClient
    tokens: dict[str, str]  # role (or "engineer2") → bearer token
    sessions: sessionmaker[Session]
    database_url: str

    def headers(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def get(self, path: str, who: str = "dispatcher", **kw: Any) -> Any:
        return self.client.get(f"/api/v1{path}", headers=self.headers(who), **kw)

    def post(self, path: str, who: str = "dispatcher", **kw: Any) -> Any:
        headers = {**self.headers(who), **kw.pop("headers", {})}
        return self.client.post(f"/api/v1{path}", headers=headers, **kw)

    def put(self, path: str, who: str = "dispatcher", **kw: Any) -> Any:
        return self.client.put(f"/api/v1{path}", headers=self.headers(who), **kw)

    def patch(self, path: str, who: str = "dispatcher", **kw: Any) -> Any:
        return self.client.patch(f"/api/v1{path}", headers=self.headers(who), **kw)

    def delete(self, path: str, who: str = "dispatcher", **kw: Any) -> Any:
        return self.client.delete(f"/api/v1{path}", headers=self.headers(who), **kw)


@pytest.fixture
def api(database_url: str, sessions: sessionmaker[Session]) -> Iterator[Api]:
    tokens: dict[str, str] = {}
    with transaction(sessions) as s:
        import_directory(s, DEMO_DATA, actor="demo")
        for role in ("admin", "dispatcher", "agent"):
            tokens[role] = create_user(s, f"{role}-1", role)[1]
        tokens["engineer"] = create_user(s, "engineer-1", "engineer", ENGINEER)[1]
        tokens["engineer2"] = create_user(s, "engineer-2", "engineer", OTHER_ENGINEER)[1]
    # Quotes cache each territory-day's routes by (database, plan id, route versions); the shared
    # PostgreSQL test database restarts ids after each test, so a view from an earlier test
    # could pass for this one's.
    booking._VIEWS.clear()
    settings = Settings(database_url=database_url, plan_time_limit=2, plan_workers=1, quote_workers=0)
    with TestClient(create_app(settings)) as client:
        yield Api(client, tokens, sessions, database_url)

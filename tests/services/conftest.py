"""The demo region loaded into the test database, for the service tests."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from dispatch.demo import DEMO_DATA
from dispatch.importer import import_directory


@pytest.fixture
def demo(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    with sessions.begin() as s:
        import_directory(s, DEMO_DATA)
    return sessions

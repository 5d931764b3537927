"""Engines and sessions. SQLite and PostgreSQL run the same code; SQLite needs foreign keys
switched on per connection and a busy timeout so concurrent writers wait instead of failing."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from dispatch.settings import get_settings


def make_engine(url: str | None = None, **kwargs: Any) -> Engine:
    url = url or get_settings().database_url
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        kwargs.setdefault("connect_args", {"timeout": 30})
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    # In WAL mode NORMAL still never corrupts the file; it only skips the fsync on each commit
    # (a power cut may lose the last commits), which otherwise serialises every writer.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One user action = one transaction: commit on success, roll back everything on error."""
    with factory() as session, session.begin():
        yield session


def hold_write_lock(session: Session) -> None:
    """Make this transaction SQLite's one writer before it reads what it will decide on.

    PostgreSQL serialises conflicting writers on the rows they lock (``SELECT ... FOR UPDATE``);
    SQLite ignores ``FOR UPDATE`` and its driver begins a transaction only at the first write,
    so two check-then-write transactions could both read before either writes. A first
    (empty) write takes the database's write lock, so a second writer waits here and reads
    what the first committed."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("UPDATE territory SET id = id WHERE 0 = 1"))

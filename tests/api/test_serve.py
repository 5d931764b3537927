"""The two commands an operator runs: `dispatch users create` prints a token once, and
`dispatch serve` answers on 127.0.0.1 with it (a real uvicorn process, a real socket)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from dispatch.cli import app
from dispatch.migrate import upgrade
from dispatch.settings import get_settings


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'd.sqlite3'}"
    upgrade(url)
    monkeypatch.setenv("DISPATCH_DATABASE_URL", url)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_users_create_prints_a_token_once_and_refuses_bad_roles(database: str) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["users", "create", "--name", "li", "--role", "dispatcher"])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().startswith("fsd_")
    bad = runner.invoke(app, ["users", "create", "--name", "x", "--role", "boss"])
    assert bad.exit_code == 2 and "--role" in bad.output
    dup = runner.invoke(app, ["users", "create", "--name", "li", "--role", "agent"])
    assert dup.exit_code == 2 and "--name" in dup.output
    orphan = runner.invoke(app, ["users", "create", "--name", "e", "--role", "engineer"])
    assert orphan.exit_code == 2 and "--engineer" in orphan.output


def test_serve_answers_on_localhost_with_the_token(database: str) -> None:
    token = CliRunner().invoke(app, ["users", "create", "--name", "ops", "--role", "admin"]).stdout.strip()
    port = _free_port()
    env = {**os.environ, "DISPATCH_DATABASE_URL": database}
    proc = subprocess.Popen(
        [sys.executable, "-m", "dispatch.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                httpx.get(f"{base}/openapi.json", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        assert httpx.get(f"{base}/docs").status_code == 200
        assert httpx.get(f"{base}/api/v1/territories").status_code == 401
        r = httpx.get(f"{base}/api/v1/territories", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200 and r.json() == []
    finally:
        proc.terminate()
        proc.wait(timeout=10)

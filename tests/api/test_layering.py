"""DESIGN.md layering for the API: routers are thin. They parse, authorise, call a dispatch
service and serialise; no SQL (no SQLAlchemy import) and no solver call in a router."""

from __future__ import annotations

import ast
from pathlib import Path

ROUTERS = Path(__file__).resolve().parents[2] / "api" / "routers"


def test_routers_hold_no_sql_and_call_no_solver() -> None:
    bad = []
    for path in sorted(ROUTERS.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                if node.module == "sqlalchemy.orm" and [a.name for a in node.names] == ["Session"]:
                    continue  # the session type, for annotations: no SQL
                names = [node.module]
            bad += [
                f"{path.name}: {n}" for n in names if n.split(".")[0] in ("sqlalchemy", "solver", "ortools")
            ]
    assert not bad, bad

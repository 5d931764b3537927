"""Every error the API answers has one shape, FastAPI's own validation shape:
``{"detail": [{"loc": [...], "msg": "...", "type": "..."}]}``, so a client reads the field and
the reason the same way whether pydantic or the business layer refused the request."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError

from dispatch.errors import ConflictError, DispatchError, NotFoundError

KINDS = {NotFoundError: "not_found", ConflictError: "conflict"}


def error_body(field: str, reason: str, kind: str, **extra: Any) -> dict[str, Any]:
    return {"detail": [{"loc": field.split("."), "msg": reason, "type": kind}], **extra}


async def _dispatch_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DispatchError)
    kind = KINDS.get(type(exc), "invalid")
    extra = getattr(exc, "extra", None) or {}
    return JSONResponse(error_body(exc.field, exc.reason, kind, **extra), status_code=exc.status_code)


async def _database_busy(_request: Request, exc: Exception) -> JSONResponse:
    # SQLite refuses a second writer after its busy timeout: the request did nothing; retry.
    if "locked" in str(exc) or "busy" in str(exc):
        return JSONResponse(
            error_body("database", "busy with another write; retry", "busy"),
            status_code=503,
            headers={"Retry-After": "1"},
        )
    raise exc


def install(app: FastAPI) -> None:
    app.add_exception_handler(DispatchError, _dispatch_error)
    app.add_exception_handler(OperationalError, _database_busy)

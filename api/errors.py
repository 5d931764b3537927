"""Every error the API answers has one shape, FastAPI's validation shape:
``{"detail": [{"loc": [...], "msg": "...", "type": "..."}]}``, whatever the status (400, 401,
403, 404, 405, 409, 413, 422, 503, and 500 for a bug), so a client reads the field and the
reason the same way whether pydantic, the business layer, the router or the size limit refused
the request. ``type`` is machine-readable: pydantic's own codes for a value's type, format or
range (``missing``, ``int_type``, ``string_too_long``, ``less_than_equal``, ...), ``invalid``
for a rule between fields or against the stored data, and one code per status otherwise
(`STATUS_TYPES`).

An error never echoes the input: pydantic's ``input`` and ``ctx`` are dropped (the input may be
20 MB, NaN, or a lone surrogate no JSON encoder takes), and a map key that names the place of an
error is kept only when it is short, printable text.

`document` makes the OpenAPI say the same: every operation lists the error statuses it can
answer, each with the one `ErrorBody` schema.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException
from starlette.routing import Match

from dispatch.errors import ConflictError, DispatchError, NotFoundError

KINDS = {NotFoundError: "not_found", ConflictError: "conflict"}

STATUS_TYPES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    422: "invalid",
    500: "internal",
    503: "busy",
}
DEFAULT_LOC: dict[int, list[str | int]] = {
    400: ["body"],
    401: ["header", "Authorization"],
    403: ["role"],
    404: ["path"],
    405: ["method"],
    413: ["body"],
}
DESCRIPTIONS = {
    400: "The request could not be read: a malformed body or header",
    401: "No bearer token, or an unknown or revoked one",
    403: "The token's role may not do this",
    404: "Not found (for an engineer: not one of their own)",
    409: "The current state forbids it (the error names what)",
    413: "The request body is larger than the server accepts",
    422: "A value is invalid (the error names the field and the reason)",
    503: "The database is busy with another write; nothing was done, retry after `Retry-After`",
}
MAX_ERRORS = 50  # a body full of bad values gets the first few, not one error per value
_MAX_KEY = 64
_MAX_MSG = 500


class ErrorItem(BaseModel):
    loc: list[str | int] = Field(
        description="Where: `body`, `query`, `path` or `header` and the field's path in it, or the "
        "business field the rule is about."
    )
    msg: str = Field(description="The reason, for people.")
    type: str = Field(
        description="Machine-readable: pydantic's code for a value's type, format or range (e.g. "
        "`missing`, `string_too_long`, `less_than_equal`), `invalid` (a rule between fields or "
        "against the stored data), `bad_request`, `unauthenticated`, `forbidden`, `not_found`, "
        "`method_not_allowed`, `conflict`, `too_large`, `busy` or `internal`."
    )


class ErrorBody(BaseModel):
    """What every error answers (a 409 may add more, e.g. fresh ``alternatives`` to a taken slot)."""

    model_config = ConfigDict(extra="allow")
    detail: list[ErrorItem] = Field(min_length=1)


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for these error statuses, each with the one error schema."""
    return {s: {"model": ErrorBody, "description": DESCRIPTIONS[s]} for s in statuses}


def _text(value: str, limit: int = _MAX_MSG) -> str:
    """Text any JSON encoder takes: no lone surrogate, bounded length."""
    value = value.encode("utf-8", "backslashreplace").decode("utf-8")
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _loc_part(part: object) -> str | int:
    if isinstance(part, int) and not isinstance(part, bool):
        return part
    text = str(part)
    # A map key in a loc is the caller's input: named only when short, printable text.
    return text if len(text) <= _MAX_KEY and text.isprintable() else "…"


def item(loc: Iterable[object], msg: str, kind: str) -> dict[str, Any]:
    return {"loc": [_loc_part(p) for p in loc], "msg": _text(msg), "type": _text(kind, _MAX_KEY)}


def error_body(field: str, reason: str, kind: str, **extra: Any) -> dict[str, Any]:
    """The body of a business error: ``field`` is dotted (``windows.0.end``)."""
    return {"detail": [item(field.split("."), reason, kind)], **extra}


def error_response(
    status: int,
    msg: str,
    *,
    loc: Sequence[object] | None = None,
    kind: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """One error in the one shape; ``loc`` and ``kind`` default by status."""
    body = {"detail": [item(DEFAULT_LOC.get(status, []) if loc is None else loc, msg, _kind(status, kind))]}
    return JSONResponse(body, status_code=status, headers=dict(headers or {}))


def _kind(status: int, kind: str | None) -> str:
    return kind or STATUS_TYPES.get(status) or f"http_{status}"


class ApiError(HTTPException):
    """An HTTP error raised by the API itself, naming the place (``loc``) and the ``type``."""

    def __init__(
        self,
        status_code: int,
        msg: str,
        *,
        loc: Sequence[str | int] | None = None,
        kind: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(status_code, msg, dict(headers) if headers else None)
        self.loc = loc
        self.kind = kind


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    found = exc.errors()
    items = []
    for e in found[:MAX_ERRORS]:
        msg = str(e.get("msg", ""))
        if e.get("type") == "json_invalid":  # say what json found wrong, not where in the input
            msg = f"{msg}: {(e.get('ctx') or {}).get('error', '')}".rstrip(": ")
        items.append(item(e.get("loc", ()), msg, str(e.get("type", "invalid"))))
    if len(found) > MAX_ERRORS:
        items.append(item([], f"and {len(found) - MAX_ERRORS} more errors", "too_many_errors"))
    return JSONResponse({"detail": items}, status_code=422)


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route of this path takes (Starlette's own 405 names only the first
    route's, though GET, PATCH and DELETE of one path are three routes)."""
    routes = request.app.router.routes
    return [
        method
        for method in _METHODS
        if any(r.matches({**request.scope, "method": method})[0] is Match.FULL for r in routes)
    ]


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    """FastAPI's and Starlette's own HTTP errors (401/403 from the gate, 404 for an unknown path,
    405, 400 for an unreadable body) in the one shape, headers kept."""
    assert isinstance(exc, HTTPException)
    status = exc.status_code
    headers = dict(exc.headers or {})
    detail = exc.detail
    if isinstance(detail, list) and detail and all(isinstance(d, dict) for d in detail):
        items = [item(d.get("loc", ()), str(d.get("msg", "")), _kind(status, d.get("type"))) for d in detail]
        return JSONResponse({"detail": items}, status_code=status, headers=headers)
    if status == 405:
        allowed = _allowed_methods(request)
        if allowed:
            headers["Allow"] = ", ".join(allowed)
        detail = f"{request.method} is not allowed here; allowed: {', '.join(allowed) or 'none'}"
    elif status == 404 and detail == HTTPStatus.NOT_FOUND.phrase:
        detail = "no such path"
    msg = detail if isinstance(detail, str) and detail else HTTPStatus(status).phrase
    return error_response(
        status, msg, loc=getattr(exc, "loc", None), kind=getattr(exc, "kind", None), headers=headers
    )


async def _dispatch_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DispatchError)
    kind = KINDS.get(type(exc), "invalid")
    extra = getattr(exc, "extra", None) or {}
    return JSONResponse(error_body(exc.field, exc.reason, kind, **extra), status_code=exc.status_code)


async def _database_busy(_request: Request, exc: Exception) -> JSONResponse:
    # SQLite refuses a second writer after its busy timeout: the request did nothing; retry.
    if "locked" in str(exc) or "busy" in str(exc):
        return error_response(
            503, "busy with another write; retry", loc=["database"], headers={"Retry-After": "1"}
        )
    raise exc


async def _server_error(_request: Request, _exc: Exception) -> JSONResponse:
    """A bug: the same shape, and nothing about the cause (that goes to the log)."""
    return error_response(500, "internal error; the request may not have been carried out", loc=[])


def install(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(DispatchError, _dispatch_error)
    app.add_exception_handler(OperationalError, _database_busy)
    app.add_exception_handler(Exception, _server_error)
    document(app)


def _never_null(schema: dict[str, Any]) -> dict[str, Any]:
    """A parameter's schema without FastAPI's ``null`` branch for an optional one: a query
    parameter is optional by being absent; on the wire it is never JSON null."""
    branches = schema.get("anyOf", [])
    if len(branches) != 2 or {"type": "null"} not in branches:
        return schema
    (branch,) = [b for b in branches if b != {"type": "null"}]
    rest = {k: v for k, v in schema.items() if k != "anyOf" and not (k == "default" and v is None)}
    return {**branch, **rest}


def document(app: FastAPI) -> None:
    """Complete each operation's error responses in the OpenAPI: 422 (a bad parameter or body, or
    an unknown query parameter, which every operation refuses) with the one error schema, and
    for an operation with a body 400 (unreadable) and 413 (too large). `api.deps.guard` adds
    the rest."""
    generate: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        doc = generate()
        ref = {"$ref": "#/components/schemas/ErrorBody"}
        for operations in doc.get("paths", {}).values():
            for operation in operations.values():
                for parameter in operation.get("parameters", []):
                    parameter["schema"] = _never_null(parameter.get("schema", {}))
                responses = operation.setdefault("responses", {})
                statuses = [422]
                if "requestBody" in operation:
                    statuses += [400, 413]
                for status in statuses:
                    responses[str(status)] = {
                        "description": DESCRIPTIONS[status],
                        "content": {"application/json": {"schema": ref}},
                    }
        schemas = doc.get("components", {}).get("schemas", {})
        for name in ("HTTPValidationError", "ValidationError"):
            schemas.pop(name, None)
        return doc

    app.openapi = openapi  # type: ignore[method-assign]

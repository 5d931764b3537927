"""What every route depends on: the database, the caller, and the roles a route admits.

Roles are declared per route with `guard(...)`; the declaration is also written into the
OpenAPI operation (``x-roles``), which documents it and lets a test walk every route × role.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session, sessionmaker

from api.errors import ApiError, error_responses
from dispatch.models import Role, utcnow
from dispatch.users import Principal, authenticate

bearer = HTTPBearer(auto_error=False, description="A token from `dispatch users create`.")


def get_sessions(request: Request) -> sessionmaker[Session]:
    sessions: sessionmaker[Session] = request.app.state.sessions
    return sessions


Sessions = Annotated[sessionmaker[Session], Depends(get_sessions)]


def current_user(
    sessions: Sessions, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise ApiError(
            status.HTTP_401_UNAUTHORIZED, "a bearer token is required", headers={"WWW-Authenticate": "Bearer"}
        )
    with sessions() as s:
        principal = authenticate(s, credentials.credentials)
    if principal is None:
        raise ApiError(
            status.HTTP_401_UNAUTHORIZED, "unknown or revoked token", headers={"WWW-Authenticate": "Bearer"}
        )
    return principal


User = Annotated[Principal, Depends(current_user)]


def get_now(request: Request) -> datetime:
    """The clock every time-dependent route reads: ``app.state.clock()`` when the app sets one
    (tests pin it: ``app.state.clock = lambda: datetime(...)``), else the real UTC time;
    ``app.dependency_overrides[get_now]`` works as well."""
    clock = getattr(request.app.state, "clock", None)
    now: datetime = clock() if clock is not None else utcnow()
    return now


Now = Annotated[datetime, Depends(get_now)]

STAFF = (Role.ADMIN, Role.DISPATCHER)
BOOKERS = (Role.ADMIN, Role.DISPATCHER, Role.AGENT)


class _RoleGate:
    def __init__(self, roles: tuple[Role, ...]) -> None:
        self.roles = roles

    def __call__(self, user: User) -> None:
        if user.role not in self.roles:
            raise ApiError(
                status.HTTP_403_FORBIDDEN,
                f"role {user.role} may not do this; allowed: {', '.join(self.roles)}",
            )


def _query_names(dependant: Any) -> set[str]:
    names = {q.alias for q in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


def only_declared_query(request: Request) -> None:
    """Refuse a query parameter the operation does not declare (422 ``extra_forbidden``), as
    bodies refuse unknown fields: a misspelt ``?teritory=GZ`` would otherwise list every territory."""
    dependant = getattr(request.scope.get("route"), "dependant", None)
    if dependant is None:
        return
    unknown = sorted(set(request.query_params) - _query_names(dependant))
    if unknown:
        raise RequestValidationError(
            [
                {"type": "extra_forbidden", "loc": ("query", name), "msg": "Unknown query parameter"}
                for name in unknown
            ]
        )


def guard(
    *roles: Role, errors: Iterable[int] = (), responses: dict[int | str, dict[str, Any]] | None = None
) -> dict[str, Any]:
    """Route keyword arguments admitting only ``roles`` (401 without a valid token, else 403).

    Past the gate, a query parameter the operation does not declare is a 422.

    They also document the error statuses the operation can answer, each with the one error
    schema: 401 and 403 from this gate, 503 (a busy SQLite database) anywhere, and ``errors``,
    what the route's service may refuse with (404, 409). 422 and, with a body, 400 and 413 are
    added by `api.errors.document`; `tests/api/test_schema_fuzz.py` fails on a status an
    operation answers but does not list."""
    return {
        "dependencies": [Depends(_RoleGate(roles)), Depends(only_declared_query)],
        "openapi_extra": {"x-roles": [r.value for r in roles]},
        "responses": {**error_responses(401, 403, *errors, 503), **(responses or {})},
    }

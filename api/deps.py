"""What every route depends on: the database, the caller, and the roles a route admits.

Roles are declared per route with `guard(...)`; the declaration is also written into the
OpenAPI operation (``x-roles``), which documents it and lets a test walk every route × role.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session, sessionmaker

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
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, "a bearer token is required", {"WWW-Authenticate": "Bearer"}
        )
    with sessions() as s:
        principal = authenticate(s, credentials.credentials)
    if principal is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, "unknown or revoked token", {"WWW-Authenticate": "Bearer"}
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
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                f"role {user.role} may not do this; allowed: {', '.join(self.roles)}",
            )


def guard(*roles: Role, responses: dict[int | str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """Route keyword arguments admitting only ``roles`` (401 without a valid token, else 403)."""
    return {
        "dependencies": [Depends(_RoleGate(roles))],
        "openapi_extra": {"x-roles": [r.value for r in roles]},
        "responses": {
            401: {"description": "No or bad token"},
            403: {"description": "Role not allowed"},
            **(responses or {}),
        },
    }

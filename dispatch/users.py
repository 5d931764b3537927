"""API users and their bearer tokens. A token is shown once, when it is made; only its SHA-256
is stored, and lookups are by that hash (constant work, nothing to compare byte by byte)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch import models as m
from dispatch.errors import ConflictError, InvalidInputError, NotFoundError

TOKEN_PREFIX = "fsd_"


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling, as the API layer needs it (no ORM object outlives its session)."""

    user_id: int
    name: str
    role: m.Role
    engineer_id: int | None

    @property
    def actor(self) -> str:
        """How the caller appears in job histories."""
        return f"{self.role.value}:{self.name}"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_user(
    session: Session, name: str, role: m.Role | str, engineer_code: str | None = None
) -> tuple[m.User, str]:
    """A new user and its token (the only time the token exists in clear)."""
    role = _role(role)
    name = name.strip()
    if not name:
        raise InvalidInputError("name", "a user needs a name")
    if session.scalars(select(m.User.id).where(m.User.name == name)).first() is not None:
        raise ConflictError("name", f"a user named {name!r} exists")
    engineer_id = None
    if role is m.Role.ENGINEER:
        if not engineer_code:
            raise InvalidInputError("engineer", "an engineer user must be linked to an engineer")
        engineer = session.scalars(select(m.Engineer).where(m.Engineer.code == engineer_code)).one_or_none()
        if engineer is None:
            raise NotFoundError("engineer", f"no engineer {engineer_code!r}")
        if session.scalars(select(m.User.id).where(m.User.engineer_id == engineer.id)).first():
            raise ConflictError("engineer", f"engineer {engineer_code} already has a user")
        engineer_id = engineer.id
    elif engineer_code:
        raise InvalidInputError("engineer", f"only engineer users are linked to an engineer, not {role}")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    user = m.User(
        name=name,
        role=role,
        engineer_id=engineer_id,
        token_hash=hash_token(token),
        token_prefix=token[: len(TOKEN_PREFIX) + 6],
    )
    session.add(user)
    session.flush()
    return user, token


def authenticate(session: Session, token: str) -> Principal | None:
    user = session.scalars(
        select(m.User).where(m.User.token_hash == hash_token(token), m.User.active)
    ).one_or_none()
    if user is None:
        return None
    return Principal(user.id, user.name, user.role, user.engineer_id)


def _role(value: m.Role | str) -> m.Role:
    try:
        return m.Role(value)
    except ValueError:
        raise InvalidInputError(
            "role", f"{value!r} is not a role; use one of {', '.join(r.value for r in m.Role)}"
        ) from None

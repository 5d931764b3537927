"""Who may call the API: users with one role each, authenticated by a bearer token."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from dispatch.models.base import Base, str_enum, utcnow


class Role(StrEnum):
    ADMIN = "admin"
    DISPATCHER = "dispatcher"
    AGENT = "agent"  # call centre: books and reads jobs, never touches plans
    ENGINEER = "engineer"  # sees and changes only their own assignments


class User(Base):
    """An API user. Only the token's SHA-256 is kept: a leaked table grants nothing, and a
    random 256-bit token needs no slow password hash to resist guessing."""

    __tablename__ = "api_user"
    __table_args__ = (
        CheckConstraint("(role = 'engineer') = (engineer_id IS NOT NULL)", name="engineer_link"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    role: Mapped[Role] = mapped_column(str_enum(Role))
    engineer_id: Mapped[int | None] = mapped_column(ForeignKey("engineer.id"), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    token_prefix: Mapped[str] = mapped_column(String(12))  # shown in listings to tell tokens apart
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

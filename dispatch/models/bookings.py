"""Call-centre bookings: short-lived quotes with their offered slots, confirmed bookings keyed
by the client's idempotency key, and the parts reserved for a job."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from dispatch.models.base import Base, str_enum, utcnow


class Quote(Base):
    """What was offered to a caller; a confirmation must name one of these slots in time."""

    __tablename__ = "booking_quote"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # uuid4
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    request: Mapped[dict[str, Any]] = mapped_column(JSON)  # the normalised quote request
    entitlement: Mapped[dict[str, Any]] = mapped_column(JSON)
    slots: Mapped[list[dict[str, Any]]] = mapped_column(JSON)


class Booking(Base):
    """A confirmed slot. The idempotency key makes a retried confirmation return this row; keys
    are the caller's own (unique per caller), so one caller can never replay another's."""

    __tablename__ = "booking"
    __table_args__ = (UniqueConstraint("created_by", "idempotency_key", name="one_key_per_caller"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(80))
    request_hash: Mapped[str] = mapped_column(String(64))  # the same key with another body is refused
    quote_id: Mapped[str] = mapped_column(ForeignKey("booking_quote.id"))
    slot_id: Mapped[str] = mapped_column(String(40))
    job_id: Mapped[int] = mapped_column(ForeignKey("job.id"), unique=True)
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReservationStatus(StrEnum):
    RESERVED = "reserved"
    RELEASED = "released"
    CONSUMED = "consumed"


class PartReservation(Base):
    """Stock held for one job; ``Stock.reserved`` is the sum of the open ones."""

    __tablename__ = "part_reservation"
    __table_args__ = (CheckConstraint("quantity > 0", name="positive_quantity"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("job.id", ondelete="CASCADE"), index=True)
    stock_id: Mapped[int] = mapped_column(ForeignKey("stock.id"), index=True)
    quantity: Mapped[int]
    status: Mapped[ReservationStatus] = mapped_column(
        str_enum(ReservationStatus), default=ReservationStatus.RESERVED
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

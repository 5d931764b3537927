"""Spare parts: the catalogue and stock, in a depot or on an engineer's van."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dispatch.models.base import Base


class Part(Base):
    __tablename__ = "part"
    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(160))
    category: Mapped[str] = mapped_column(String(40))
    unit_cost_cents: Mapped[int] = mapped_column(default=0)


class Stock(Base):
    """Quantity of one part at one place; exactly one of depot and van (engineer) is set."""

    __tablename__ = "stock"
    __table_args__ = (
        CheckConstraint("(depot_id IS NULL) <> (engineer_id IS NULL)", name="one_place"),
        CheckConstraint("quantity >= 0 AND reserved >= 0 AND reserved <= quantity", name="quantities"),
        CheckConstraint("par >= 0", name="par_not_negative"),
        # NULLs are distinct in unique constraints, so each place kind gets a partial index.
        Index(
            "uq_stock_part_depot",
            "part_id",
            "depot_id",
            unique=True,
            sqlite_where=text("depot_id IS NOT NULL"),
            postgresql_where=text("depot_id IS NOT NULL"),
        ),
        Index(
            "uq_stock_part_van",
            "part_id",
            "engineer_id",
            unique=True,
            sqlite_where=text("engineer_id IS NOT NULL"),
            postgresql_where=text("engineer_id IS NOT NULL"),
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    part_id: Mapped[int] = mapped_column(ForeignKey("part.id"), index=True)
    depot_id: Mapped[int | None] = mapped_column(ForeignKey("depot.id"), index=True)
    engineer_id: Mapped[int | None] = mapped_column(ForeignKey("engineer.id"), index=True)
    quantity: Mapped[int] = mapped_column(default=0)
    reserved: Mapped[int] = mapped_column(default=0)
    # A van's standard level: what a depot stop tops it up to (0: none).
    par: Mapped[int] = mapped_column(default=0, server_default="0")

    part: Mapped[Part] = relationship()

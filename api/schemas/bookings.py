"""Booking bodies: a quote request and its slots, a confirmation, what a customer is told."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from pydantic import AwareDatetime, Field

from api.schemas.common import (
    JSON_INT,
    Body,
    Code,
    Day,
    Note,
    Out,
    Parts,
    RequiredSkills,
    Serial,
    WindowOut,
)


class QuoteIn(Body):
    site: Code = Field(description="The customer's site code.")
    asset: Serial | None = Field(default=None, description="Serial number of the appliance.")
    description: Note = Field(default="", description="The problem, in the caller's words.")
    skills: RequiredSkills = Field(examples=[{"water_heater": 1}])
    duration_minutes: Annotated[int, Field(gt=0, le=8 * 60, description="Expected time on site."), JSON_INT]
    parts: Parts = Field(default_factory=dict, examples=[{"WH-VALVE": 1}])
    preferred_days: Annotated[list[Day], Field(max_length=14)] | None = Field(
        default=None,
        description="Days to offer, local to the territory; default: today and the two following days. "
        "Past days are refused.",
    )


class SlotOut(Out):
    slot_id: str
    day: date
    start: AwareDatetime
    end: AwareDatetime
    engineer: str
    engineer_name: str
    eta: AwareDatetime = Field(description="Planned service start.")
    added_travel_minutes: int
    sla_kept: bool = Field(
        description="The ETA is no later than the SLA response deadline (or there is none)."
    )
    parts_source: str | None = Field(
        description="van, depot (picked up on the way), transfer (picked up on the way at `depot` once "
        "sent there from `transfer_from`) or null (no parts)."
    )
    depot: str | None = Field(description="The depot the engineer picks the parts up at, if any.")
    transfer_from: str | None = Field(
        default=None,
        description="A transfer: the depot (of another territory) the parts are sent from; "
        "they are reserved there on confirmation.",
    )
    parts_ready_at: AwareDatetime | None = Field(
        default=None,
        description="A transfer: when the parts reach `depot` (quote time + the lane's lead time); "
        "the pick-up, and so the visit, is no earlier.",
    )
    score: int = Field(description="Minutes to the ETA + 3 × added travel minutes; lower ranks first.")


class QuoteOut(Out):
    quote_id: str
    expires_at: AwareDatetime
    site: str
    territory: str
    entitlement: dict[str, Any]
    response_deadline: AwareDatetime | None
    promise_kept_by_any_slot: bool = Field(
        description="true: at least one offered slot keeps the SLA promise (its `sla_kept` is true: "
        "the ETA is no later than `response_deadline`, or there is no deadline). false: no slot keeps "
        "it, or no slot is offered at all; booking any slot breaks the promise, so tell the caller "
        "or escalate."
    )
    slots: list[SlotOut] = Field(description="SLA-keeping slots first, then by score.")


class BookingIn(Body):
    quote_id: str = Field(
        min_length=1, max_length=36, pattern=r"^[0-9a-f-]{1,36}$", description="From the quote."
    )
    slot_id: str = Field(
        min_length=1, max_length=40, pattern=r"^[0-9T:-]{1,40}$", examples=["2026-11-24T08:00"]
    )


class ReservedPartOut(Out):
    sku: str
    quantity: int
    source: str = Field(description="van, depot or transfer.")
    depot: str | None = Field(
        description="The depot holding the units for the job (a transfer: the one they are sent from)."
    )


class BookingOut(Out):
    booking_id: int
    job: str
    engineer: str
    engineer_name: str
    window: WindowOut
    eta: AwareDatetime
    response_deadline: AwareDatetime | None
    sla_kept: bool
    parts: list[ReservedPartOut]


class CustomerStatusOut(Out):
    job: str
    status: str
    message: str
    booked_window: WindowOut | None
    eta_window: WindowOut | None
    engineer_first_name: str | None

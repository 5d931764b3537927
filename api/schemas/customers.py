"""Customer bodies: the account state that decides whether a caller can be booked."""

from __future__ import annotations

from pydantic import Field

from api.schemas.common import Body, Bool, Out


class CreditHoldIn(Body):
    on_hold: Bool = Field(
        description="true: put the customer on credit hold (quotes, bookings and new jobs are refused "
        "with 409 `customer`); false: release the hold."
    )


class CustomerOut(Out):
    code: str
    name: str
    phone: str
    on_credit_hold: bool = Field(description="Quotes, bookings and new jobs are refused until released.")

"""Customers' accounts: credit hold. Accounts put a customer on hold when they stop service (bills
unpaid); from then on quotes, bookings and new jobs for the customer's sites are refused with 409
``customer`` (`dispatch.entitlement.check_entitlement`) until the hold is released."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch import models as m
from dispatch.errors import NotFoundError


def customer_by_code(session: Session, code: str) -> m.Customer:
    customer = session.scalars(select(m.Customer).where(m.Customer.code == code)).one_or_none()
    if customer is None:
        raise NotFoundError("customer", f"no customer {code!r}")
    return customer


def set_credit_hold(session: Session, code: str, on_hold: bool) -> m.Customer:
    """Put the customer on credit hold (``on_hold``) or release it. Idempotent: setting the state
    it already has changes nothing. Jobs already booked are left as they are: stopping a visit
    is the dispatcher's call, not a side effect of accounts."""
    customer = customer_by_code(session, code)
    session.refresh(customer, with_for_update=True)
    customer.on_credit_hold = on_hold
    session.flush()
    return customer

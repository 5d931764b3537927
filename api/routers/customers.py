"""Customers' accounts: dispatchers and admins set or release a credit hold."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import STAFF, Sessions, guard
from api.schemas.common import Code
from api.schemas.customers import CreditHoldIn, CustomerOut
from dispatch import customers as svc
from dispatch.db import transaction

router = APIRouter(prefix="/customers", tags=["customers"])


@router.put("/{code}/credit-hold", response_model=CustomerOut, **guard(*STAFF, errors=[404]))
def put_credit_hold(code: Code, body: CreditHoldIn, sessions: Sessions) -> CustomerOut:
    """Put the customer on credit hold or release it (idempotent). Jobs already booked stay."""
    with transaction(sessions) as s:
        return CustomerOut.model_validate(svc.set_credit_hold(s, code, body.on_hold))

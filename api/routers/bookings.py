"""Call-centre bookings: quote slots, confirm one (idempotent), tell the customer where it stands.

The clock: every route takes ``now`` from `api.deps.get_now` (tests pin it).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request, Response, status

from api.deps import BOOKERS, Now, Sessions, User, guard
from api.runner import QuotePool
from api.schemas.bookings import (
    BookingIn,
    BookingOut,
    CustomerStatusOut,
    QuoteIn,
    QuoteOut,
    ReservedPartOut,
)
from api.schemas.common import Code, WindowOut
from dispatch import booking as svc
from dispatch.db import transaction

router = APIRouter(tags=["bookings"])


@router.post(
    "/bookings/quote",
    response_model=QuoteOut,
    status_code=status.HTTP_201_CREATED,
    **guard(*BOOKERS, errors=[404, 409]),
)
def quote(body: QuoteIn, request: Request, sessions: Sessions, user: User, now: Now) -> QuoteOut:
    """Entitlement, SLA deadline, parts, and real slots for a caller; valid for a few minutes."""
    req = svc.QuoteRequest(**body.model_dump())
    pool: QuotePool = request.app.state.quotes
    if pool.workers:
        doc = pool.run(svc.quote_in_worker, request.app.state.settings.database_url, req, user.actor, now)
    else:
        with transaction(sessions) as s:
            doc = svc.quote_document(svc.quote(s, req, actor=user.actor, now=now))
    return QuoteOut.model_validate(doc)


@router.post(
    "/bookings",
    response_model=BookingOut,
    status_code=status.HTTP_201_CREATED,
    **guard(
        *BOOKERS,
        errors=[404, 409],
        responses={200: {"description": "A retry: the booking made the first time", "model": BookingOut}},
    ),
)
def confirm(
    body: BookingIn,
    response: Response,
    sessions: Sessions,
    user: User,
    now: Now,
    idempotency_key: Annotated[
        str, Header(alias="Idempotency-Key", min_length=1, max_length=80, pattern=r"^[!-~]{1,80}$")
    ],
) -> BookingOut:
    """Book a quoted slot. 409 with fresh ``alternatives`` if it was taken or the quote expired.
    The ``Idempotency-Key`` is the caller's own: a retry with it answers 200 with that caller's
    booking; another caller's same key is a request of their own."""
    r = svc.confirm(sessions, body.quote_id, body.slot_id, idempotency_key, actor=user.actor, now=now)
    if not r.created:
        response.status_code = status.HTTP_200_OK
    return BookingOut(
        booking_id=r.booking_id,
        job=r.job,
        engineer=r.engineer,
        engineer_name=r.engineer_name,
        window=WindowOut(start=r.window_start, end=r.window_end),
        eta=r.eta,
        response_deadline=r.response_deadline,
        sla_kept=r.sla_kept,
        parts=[
            ReservedPartOut(sku=p.sku, quantity=p.quantity, source=p.source, depot=p.depot) for p in r.parts
        ],
    )


@router.get("/jobs/{code}/status", response_model=CustomerStatusOut, **guard(*BOOKERS, errors=[404]))
def customer_status(code: Code, sessions: Sessions, now: Now) -> CustomerStatusOut:
    """What the customer is told: status in plain words, booked window, engineer's ETA window."""
    with sessions() as s:
        st = svc.customer_status(s, code, now=now)
    return CustomerStatusOut(
        job=st.job,
        status=st.status.value,
        message=st.message,
        booked_window=WindowOut(start=st.booked_window[0], end=st.booked_window[1])
        if st.booked_window
        else None,
        eta_window=WindowOut(start=st.eta_window[0], end=st.eta_window[1]) if st.eta_window else None,
        engineer_first_name=st.engineer_first_name,
    )

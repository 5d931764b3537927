"""Engineers, their shifts and van stock (dispatchers and admins)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response, status

from api.deps import STAFF, Sessions, guard
from api.schemas.common import Code, Day, Sku
from api.schemas.engineers import EngineerIn, EngineerOut, EngineerPatch, ShiftIn, ShiftOut, StockIn, StockOut
from dispatch import engineers as svc
from dispatch import models as m
from dispatch.db import transaction

router = APIRouter(prefix="/engineers", tags=["engineers"])


def _out(e: m.Engineer) -> EngineerOut:
    return EngineerOut.of(e, e.territory.code)


ShiftDay = Annotated[Day, Path(description="The shift's day (its start's local date).")]


@router.get("", response_model=list[EngineerOut], **guard(*STAFF, errors=[404]))
def list_engineers(
    sessions: Sessions, territory: Code | None = None, active_only: bool = False
) -> list[EngineerOut]:
    with sessions() as s:
        return [_out(e) for e in svc.list_engineers(s, territory, active_only)]


@router.post(
    "", response_model=EngineerOut, status_code=status.HTTP_201_CREATED, **guard(*STAFF, errors=[404, 409])
)
def create_engineer(body: EngineerIn, sessions: Sessions) -> EngineerOut:
    fields = svc.EngineerFields(**body.model_dump(exclude={"code"}))
    with transaction(sessions) as s:
        return _out(svc.create_engineer(s, body.code, fields))


@router.get("/{code}", response_model=EngineerOut, **guard(*STAFF, errors=[404]))
def get_engineer(code: Code, sessions: Sessions) -> EngineerOut:
    with sessions() as s:
        return _out(svc.get_engineer(s, code))


@router.patch("/{code}", response_model=EngineerOut, **guard(*STAFF, errors=[404]))
def update_engineer(code: Code, body: EngineerPatch, sessions: Sessions) -> EngineerOut:
    with transaction(sessions) as s:
        return _out(svc.update_engineer(s, code, svc.EngineerFields(**body.model_dump(exclude_unset=True))))


@router.delete("/{code}", status_code=status.HTTP_204_NO_CONTENT, **guard(*STAFF, errors=[404]))
def deactivate_engineer(code: Code, sessions: Sessions) -> Response:
    """Engineers are never deleted (their history stays); they stop being planned."""
    with transaction(sessions) as s:
        svc.update_engineer(s, code, svc.EngineerFields(active=False))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{code}/shifts", response_model=list[ShiftOut], **guard(*STAFF, errors=[404]))
def list_shifts(
    code: Code, sessions: Sessions, start: Day | None = None, end: Day | None = None
) -> list[ShiftOut]:
    with sessions() as s:
        return [ShiftOut.model_validate(sh) for sh in svc.shifts(s, code, start, end)]


@router.put(
    "/{code}/shifts/{day}",
    response_model=ShiftOut,
    **guard(*STAFF, errors=[404], responses={201: {"description": "A new shift", "model": ShiftOut}}),
)
def put_shift(code: Code, day: ShiftDay, body: ShiftIn, sessions: Sessions, response: Response) -> ShiftOut:
    with transaction(sessions) as s:
        shift, created = svc.put_shift(s, code, day, svc.ShiftFields(**body.model_dump()))
        if created:
            response.status_code = status.HTTP_201_CREATED
        return ShiftOut.model_validate(shift)


@router.delete(
    "/{code}/shifts/{day}", status_code=status.HTTP_204_NO_CONTENT, **guard(*STAFF, errors=[404, 409])
)
def delete_shift(code: Code, day: ShiftDay, sessions: Sessions) -> Response:
    with transaction(sessions) as s:
        svc.delete_shift(s, code, day)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{code}/stock", response_model=list[StockOut], **guard(*STAFF, errors=[404]))
def van_stock(code: Code, sessions: Sessions) -> list[StockOut]:
    with sessions() as s:
        return [
            StockOut(sku=p.sku, name=p.name, quantity=st.quantity, reserved=st.reserved)
            for st, p in svc.van_stock(s, code)
        ]


@router.put("/{code}/stock/{sku}", response_model=StockOut, **guard(*STAFF, errors=[404, 409]))
def set_van_stock(code: Code, sku: Sku, body: StockIn, sessions: Sessions) -> StockOut:
    with transaction(sessions) as s:
        st = svc.set_van_stock(s, code, sku, body.quantity)
        return StockOut(sku=sku, name=st.part.name, quantity=st.quantity, reserved=st.reserved)

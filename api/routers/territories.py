"""Territories: the units plans are made for."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import select

from api.deps import BOOKERS, Sessions, guard
from api.schemas.common import Out
from dispatch import models as m

router = APIRouter(tags=["territories"])


class TerritoryOut(Out):
    code: str
    name: str
    timezone: str


@router.get("/territories", response_model=list[TerritoryOut], **guard(*BOOKERS))
def list_territories(sessions: Sessions) -> list[TerritoryOut]:
    with sessions() as s:
        rows = s.scalars(select(m.Territory).order_by(m.Territory.code)).all()
        return [TerritoryOut.model_validate(t) for t in rows]

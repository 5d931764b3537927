"""Territories: the units plans are made for."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import BOOKERS, Sessions, guard
from api.schemas.common import Out
from dispatch import planning

router = APIRouter(tags=["territories"])


class TerritoryOut(Out):
    code: str
    name: str
    timezone: str


@router.get("/territories", response_model=list[TerritoryOut], **guard(*BOOKERS))
def list_territories(sessions: Sessions) -> list[TerritoryOut]:
    with sessions() as s:
        return [TerritoryOut.model_validate(t) for t in planning.list_territories(s)]

"""What the web dispatch board needs beyond the plan routes: its map settings. The board draws
routes itself and works offline; map tiles are optional and come from configuration
(``DISPATCH_TILE_URL``), since which tile service may be used is the operator's choice."""

from __future__ import annotations

from fastapi import APIRouter, Request

from api.deps import STAFF, guard
from api.schemas.common import Out
from dispatch.settings import Settings

router = APIRouter(prefix="/board", tags=["board"])


class BoardSettingsOut(Out):
    tile_url: str  # {z}/{x}/{y} template (optionally {s}); empty: no tiles
    tile_attribution: str


@router.get("/settings", response_model=BoardSettingsOut, **guard(*STAFF))
def board_settings(request: Request) -> BoardSettingsOut:
    settings: Settings = request.app.state.settings
    return BoardSettingsOut(tile_url=settings.tile_url, tile_attribution=settings.tile_attribution)

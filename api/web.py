"""The web pages served by the app itself: the dispatch board (``/board``), the engineer's
phone page (``/m``) and their static files (``/static``). Plain HTML and ES modules calling
``/api/v1`` with the same bearer tokens, so running them needs nothing but ``dispatch serve``.

The page routes stay out of the OpenAPI document: they are not API operations, and the role
and fuzz tests walk that document."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).resolve().parent / "static"

# Pages are small and change with the code: always revalidate, never serve a stale page
# against a newer API.
_NO_CACHE = {"Cache-Control": "no-cache"}

router = APIRouter(include_in_schema=False)


def _page(name: str) -> FileResponse:
    return FileResponse(STATIC / name / "index.html", media_type="text/html", headers=_NO_CACHE)


@router.get("/board")
def board() -> FileResponse:
    """The dispatcher's board: plans, routes on a map, timeline, unassigned jobs."""
    return _page("board")


@router.get("/m")
def engineer_page() -> FileResponse:
    """The engineer's phone page: today's visits, status steps, the visit report."""
    return _page("m")


def install(app: FastAPI) -> None:
    """Add the pages and mount ``/static`` (ES modules need a correct JavaScript MIME type,
    which StaticFiles gives from the file suffix)."""
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

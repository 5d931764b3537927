"""Customer sites (dispatchers and admins write; agents read, to book)."""

from __future__ import annotations

from fastapi import APIRouter, status
from sqlalchemy.orm import Session

from api.deps import BOOKERS, STAFF, Sessions, guard
from api.schemas.common import Code, Limit, Offset
from api.schemas.sites import AssetOut, SiteIn, SiteOut, SitePatch
from dispatch import models as m
from dispatch import sites as svc
from dispatch.db import transaction
from dispatch.planning import territory_codes

router = APIRouter(prefix="/sites", tags=["sites"])


def _out(site: m.Site, territory: str) -> SiteOut:
    return SiteOut(
        code=site.code,
        customer=site.customer.code,
        customer_name=site.customer.name,
        territory=territory,
        address=site.address,
        lat=site.lat,
        lon=site.lon,
        assets=[AssetOut.model_validate(a) for a in site.assets],
    )


def _territories(s: Session) -> dict[int, str]:
    return territory_codes(s)


@router.get("", response_model=list[SiteOut], **guard(*BOOKERS, errors=[404]))
def list_sites(
    sessions: Sessions,
    territory: Code | None = None,
    customer: Code | None = None,
    limit: Limit = 200,
    offset: Offset = 0,
) -> list[SiteOut]:
    with sessions() as s:
        names = _territories(s)
        rows = svc.list_sites(s, territory, customer, limit, offset)
        return [_out(site, names[site.territory_id]) for site in rows]


@router.post(
    "", response_model=SiteOut, status_code=status.HTTP_201_CREATED, **guard(*STAFF, errors=[404, 409])
)
def create_site(body: SiteIn, sessions: Sessions) -> SiteOut:
    with transaction(sessions) as s:
        site = svc.create_site(s, body.code, svc.SiteFields(**body.model_dump(exclude={"code"})))
        return _out(site, _territories(s)[site.territory_id])


@router.get("/{code}", response_model=SiteOut, **guard(*BOOKERS, errors=[404]))
def get_site(code: Code, sessions: Sessions) -> SiteOut:
    with sessions() as s:
        site = svc.get_site(s, code)
        return _out(site, _territories(s)[site.territory_id])


@router.patch("/{code}", response_model=SiteOut, **guard(*STAFF, errors=[404]))
def update_site(code: Code, body: SitePatch, sessions: Sessions) -> SiteOut:
    with transaction(sessions) as s:
        site = svc.update_site(s, code, svc.SiteFields(**body.model_dump(exclude_unset=True)))
        return _out(site, _territories(s)[site.territory_id])

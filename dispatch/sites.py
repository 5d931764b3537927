"""Customers' sites: where engineers go. Coordinates are WGS84 and checked on the way in."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from dispatch import models as m
from dispatch.customers import customer_by_code
from dispatch.entitlement import site_by_code
from dispatch.errors import ConflictError, InvalidInputError
from dispatch.planning import territory_by_code


@dataclass(frozen=True, slots=True)
class SiteFields:
    customer: str | None = None
    territory: str | None = None
    address: str | None = None
    lat: float | None = None
    lon: float | None = None


def get_site(session: Session, code: str) -> m.Site:
    site = site_by_code(session, code)
    session.refresh(site, attribute_names=["assets", "customer"])
    return site


def list_sites(
    session: Session,
    territory: str | None = None,
    customer: str | None = None,
    limit: int = 200,
    offset: int = 0,
) -> list[m.Site]:
    q = (
        select(m.Site)
        .options(selectinload(m.Site.customer), selectinload(m.Site.assets))
        .order_by(m.Site.code)
    )
    if territory is not None:
        q = q.where(m.Site.territory_id == territory_by_code(session, territory).id)
    if customer is not None:
        q = q.join(m.Customer).where(m.Customer.code == customer)
    return list(session.scalars(q.limit(limit).offset(offset)))


def create_site(session: Session, code: str, fields: SiteFields) -> m.Site:
    if session.scalars(select(m.Site.id).where(m.Site.code == code)).first() is not None:
        raise ConflictError("code", f"site {code} exists")
    if None in (fields.customer, fields.territory, fields.address, fields.lat, fields.lon):
        raise InvalidInputError("customer", "customer, territory, address, lat and lon are required")
    assert fields.customer and fields.territory and fields.address is not None
    assert fields.lat is not None and fields.lon is not None
    site = m.Site(
        code=code,
        customer=customer_by_code(session, fields.customer),
        territory_id=territory_by_code(session, fields.territory).id,
        address=fields.address,
        lat=fields.lat,
        lon=fields.lon,
    )
    session.add(site)
    session.flush()
    session.refresh(site, attribute_names=["assets"])
    return site


def update_site(session: Session, code: str, fields: SiteFields) -> m.Site:
    site = get_site(session, code)
    if fields.customer is not None:
        site.customer = customer_by_code(session, fields.customer)
    if fields.territory is not None:
        site.territory_id = territory_by_code(session, fields.territory).id
    if fields.address is not None:
        site.address = fields.address
    if fields.lat is not None:
        site.lat = fields.lat
    if fields.lon is not None:
        site.lon = fields.lon
    session.flush()
    return site

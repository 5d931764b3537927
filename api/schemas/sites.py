"""Site bodies."""

from __future__ import annotations

from datetime import date

from api.schemas.common import Address, Body, Code, Latitude, Longitude, Out


class SiteIn(Body):
    code: Code
    customer: Code
    territory: Code
    address: Address
    lat: Latitude
    lon: Longitude


class SitePatch(Body):
    customer: Code | None = None
    territory: Code | None = None
    address: Address | None = None
    lat: Latitude | None = None
    lon: Longitude | None = None


class AssetOut(Out):
    serial: str
    product: str
    category: str
    warranty_end: date | None


class SiteOut(Out):
    code: str
    customer: str
    customer_name: str
    territory: str
    address: str
    lat: float
    lon: float
    assets: list[AssetOut]

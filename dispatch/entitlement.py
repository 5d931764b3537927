"""Is this visit covered, and by which promise? Checked when a call is logged: a contract on the
asset (or the customer's only live contract) gives its SLA tier; an asset under warranty gets
the warranty policy; anything else is chargeable work on the chargeable policy. A customer on
credit hold gets no booking at all until accounts release the hold.

Dates are the territory's local calendar dates (`local_date`): a contract that ends on
30 November covers a call at 23:59 local time that day, and not one at 07:00 on 1 December,
whatever UTC date those instants fall on. A contract only ever covers its own customer's
assets: an asset linked to another customer's contract is treated as having no contract."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch import models as m
from dispatch.errors import ConflictError, InvalidInputError, NotFoundError
from dispatch.settings import get_settings


class Cover(StrEnum):
    CONTRACT = "contract"
    WARRANTY = "warranty"
    CHARGEABLE = "chargeable"


@dataclass(frozen=True, slots=True)
class Entitlement:
    cover: Cover
    policy: m.SlaPolicy | None
    contract_code: str | None
    billable: bool
    note: str
    contract_id: int | None = None  # kept on the job, for billing

    def as_dict(self) -> dict[str, object]:
        return {
            "cover": self.cover.value,
            "sla_policy": self.policy.code if self.policy else None,
            "sla_tier": self.policy.tier if self.policy else None,
            "response_minutes": self.policy.response_minutes if self.policy else None,
            "calendar": self.policy.calendar.value if self.policy else None,
            "contract": self.contract_code,
            "billable": self.billable,
            "note": self.note,
        }


def _policy(session: Session, code: str) -> m.SlaPolicy | None:
    return session.scalars(select(m.SlaPolicy).where(m.SlaPolicy.code == code)).one_or_none()


def local_date(session: Session, site: m.Site, moment: datetime) -> date:
    """The calendar date of ``moment`` in the site's territory: the date cover is checked on."""
    if moment.tzinfo is None:
        raise ValueError("moment must be timezone-aware")
    zone = session.get_one(m.Territory, site.territory_id).timezone
    return moment.astimezone(ZoneInfo(zone)).date()


def check_entitlement(session: Session, site: m.Site, asset: m.Asset | None, on: date) -> Entitlement:
    """The cover for work at ``site`` on ``asset`` on day ``on`` (the territory's local date, see
    `local_date`); raises on credit hold."""
    customer = session.get_one(m.Customer, site.customer_id)
    if customer.on_credit_hold:
        raise ConflictError(
            "customer", f"customer {customer.code} is on credit hold; accounts must release it first"
        )
    if asset is not None and asset.site_id != site.id:
        raise InvalidInputError("asset", f"asset {asset.serial} is not at site {site.code}")
    contract = None
    foreign = None  # a contract of another customer linked to the asset: never applied
    if asset is not None and asset.contract is not None:
        if asset.contract.customer_id == customer.id:
            contract = asset.contract
        else:
            foreign = asset.contract
    elif asset is None:
        live = [c for c in customer.contracts if c.starts_on <= on <= c.ends_on]
        contract = live[0] if len(live) == 1 else None
    if contract is not None and contract.starts_on <= on <= contract.ends_on:
        return Entitlement(
            Cover.CONTRACT,
            contract.sla_policy,
            contract.code,
            False,
            f"contract {contract.code} until {contract.ends_on}",
            contract_id=contract.id,
        )
    settings = get_settings()
    if asset is not None and asset.warranty_end is not None and on <= asset.warranty_end:
        return Entitlement(
            Cover.WARRANTY,
            _policy(session, settings.warranty_sla_policy),
            None,
            False,
            f"warranty until {asset.warranty_end}",
        )
    why = "no asset named" if asset is None else "no live contract or warranty on the asset"
    if contract is not None:
        why = f"contract {contract.code} ended {contract.ends_on}"
    elif foreign is not None:
        why = f"contract {foreign.code} on the asset is another customer's, not {customer.code}'s"
    return Entitlement(
        Cover.CHARGEABLE, _policy(session, settings.chargeable_sla_policy), None, True, f"chargeable: {why}"
    )


def site_by_code(session: Session, code: str) -> m.Site:
    site = session.scalars(select(m.Site).where(m.Site.code == code)).one_or_none()
    if site is None:
        raise NotFoundError("site", f"no site {code!r}")
    return site


def asset_by_serial(session: Session, serial: str) -> m.Asset:
    asset = session.scalars(select(m.Asset).where(m.Asset.serial == serial)).one_or_none()
    if asset is None:
        raise NotFoundError("asset", f"no asset with serial {serial!r}")
    return asset

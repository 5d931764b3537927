"""Bodies of the engineer's phone API (``/me``): the day's route, status steps, the report."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import AwareDatetime, Field

from api.schemas.common import CLOSED_MAP, JSON_INT, Body, LongText, Note, Out, Reason, Short, Sku
from dispatch import models as m


class DepotOut(Out):
    code: str
    name: str
    address: str
    lat: float
    lon: float
    available: int


class PartNeedOut(Out):
    sku: str
    name: str
    quantity: int
    on_van: bool = Field(description="The van holds enough: nothing to collect.")
    reserved: bool = Field(description="Stock is held for this job (at the van or the depot listed).")
    depots: list[DepotOut] = Field(description="Where to collect it when not on the van, nearest first.")


class WindowOut(Out):
    start: AwareDatetime
    end: AwareDatetime


class VisitOut(Out):
    seq: int
    job: str
    status: m.JobStatus
    eta: AwareDatetime
    start: AwareDatetime
    end: AwareDatetime
    late_minutes: int
    duration_minutes: int
    windows: list[WindowOut]
    site: str
    address: str
    lat: float
    lon: float
    customer_name: str
    customer_phone: str
    description: str
    skills: dict[str, int]
    parts: list[PartNeedOut]


class LunchOut(Out):
    seq: int
    start: AwareDatetime
    end: AwareDatetime


class PickupOut(Out):
    visit: int = Field(description="Send to POST /me/depot-stops/{visit}/collect once there.")
    collected_at: AwareDatetime | None
    loads: dict[str, int] = Field(description="What to load here: SKU → units (planned stops).")
    seq: int
    eta: AwareDatetime
    start: AwareDatetime
    end: AwareDatetime
    for_job: str | None = Field(description="The visit whose parts are collected here.")
    depot: DepotOut | None


class DaySummaryOut(Out):
    visits: int
    travel_minutes: int
    distance_km: float


class MyRouteOut(Out):
    engineer: str
    date: date
    timezone: str = Field(description="The territory's zone, for showing the UTC times locally.")
    plan_id: int
    shift_start: AwareDatetime | None
    shift_end: AwareDatetime | None
    route_start: AwareDatetime | None
    route_end: AwareDatetime | None
    visits: list[VisitOut]
    lunch: LunchOut | None
    pickups: list[PickupOut] = Field(description="Depot stops, in route order with the visits (by seq).")
    summary: DaySummaryOut


class MyStatusIn(Body):
    status: Literal[m.JobStatus.EN_ROUTE, m.JobStatus.ON_SITE] = Field(
        description="Completion goes through the report."
    )
    note: Note = ""


class MyStatusOut(Out):
    job: str
    status: m.JobStatus
    at: AwareDatetime


class ReportIn(Body):
    outcome: Literal[m.JobStatus.COMPLETED, m.JobStatus.INCOMPLETE]
    reason: Reason | None = Field(
        default=None,
        description="Required iff incomplete, e.g. needs_part.",
        examples=["needs_part"],
    )
    work_done: LongText = ""
    parts_used: Annotated[
        dict[Sku, Annotated[int, Field(ge=1, le=10_000), JSON_INT]],
        Field(max_length=100, json_schema_extra=CLOSED_MAP),
    ] = Field(default_factory=dict, examples=[{"WH-VALVE": 1}])
    minutes_on_site: Annotated[int, Field(ge=0, le=7 * 24 * 60), JSON_INT] | None = Field(
        default=None, description="Default: since the on-site report."
    )
    signed_by: Short = Field(default="", description="Customer's sign-off; required when completed.")


class ReportOut(Out):
    job: str
    status: m.JobStatus
    outcome: m.JobStatus
    reason: str | None
    work_done: str
    parts_used: dict[str, int]
    minutes_on_site: int
    signed_by: str
    first_time_fix: bool
    created_at: AwareDatetime

    @classmethod
    def of(cls, job: m.Job, row: m.ServiceReport) -> ReportOut:
        return cls(
            job=job.code,
            status=job.status,
            outcome=row.outcome,
            reason=job.incomplete_reason if row.outcome is m.JobStatus.INCOMPLETE else None,
            work_done=row.work_done,
            parts_used={p["sku"]: int(p["quantity"]) for p in row.parts_used},
            minutes_on_site=row.minutes_on_site,
            signed_by=row.signed_by,
            first_time_fix=row.first_time_fix,
            created_at=row.created_at,
        )


class CollectedOut(Out):
    depot: str
    for_jobs: dict[str, int] = Field(description="SKU → units moved to the van for later visits.")
    refilled: dict[str, int] = Field(description="SKU → units topping the van up to its standard stock.")
    at: AwareDatetime

"""Job bodies: work orders, their status changes and history."""

from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, Field

from api.schemas.common import Body, Code, Level, Out, SkillName, Window, WindowOut
from dispatch import models as m

Sku = str


class JobIn(Body):
    site: Code
    asset: str | None = Field(default=None, max_length=64, description="Serial number of the appliance.")
    description: str = Field(default="", max_length=2000)
    duration_minutes: int = Field(gt=0, le=24 * 60)
    skills: dict[SkillName, Level] = Field(min_length=1, examples=[{"aircon": 2}])
    reported_at: AwareDatetime | None = Field(default=None, description="Default: now.")
    priority: int = Field(default=50, ge=0, le=100)
    windows: list[Window] = Field(default_factory=list, max_length=14)
    parts: dict[Sku, int] = Field(default_factory=dict, examples=[{"AC-CAP-35": 1}])
    code: Code | None = Field(default=None, description="Default: a new J-XXXXXXXX code.")


class JobPatch(Body):
    description: str | None = Field(default=None, max_length=2000)
    duration_minutes: int | None = Field(default=None, gt=0, le=24 * 60)
    priority: int | None = Field(default=None, ge=0, le=100)
    skills: dict[SkillName, Level] | None = Field(default=None, min_length=1)
    windows: list[Window] | None = Field(default=None, max_length=14)


class StatusIn(Body):
    status: m.JobStatus
    note: str = Field(default="", max_length=2000)
    reason: str | None = Field(default=None, max_length=40, description="For incomplete: why.")


class JobOut(Out):
    code: str
    site: str
    asset: str | None
    description: str
    status: m.JobStatus
    incomplete_reason: str | None
    duration_minutes: int
    priority: int
    reported_at: AwareDatetime
    sla_policy: str | None
    cover: str | None = Field(
        description="What pays for the visit, decided when the call was logged (on the territory's "
        "local date): contract, warranty or chargeable; null for jobs imported without it."
    )
    contract: str | None = Field(description="The contract that covers the visit (cover = contract).")
    billable: bool | None = Field(
        description="The customer is billed for the visit (chargeable work); null when not known."
    )
    response_deadline: AwareDatetime | None
    resolution_deadline: AwareDatetime | None
    skills: dict[str, int]
    windows: list[WindowOut]
    parts: dict[str, int]
    engineer: str | None
    pinned: bool


class EventOut(Out):
    at: datetime
    actor: str
    from_status: m.JobStatus | None
    to_status: m.JobStatus
    note: str

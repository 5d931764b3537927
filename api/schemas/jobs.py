"""Job bodies: work orders, their status changes and history."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AwareDatetime, Field

from api.schemas.common import (
    JSON_INT,
    Body,
    Code,
    Moment,
    Note,
    Out,
    Parts,
    Reason,
    RequiredSkills,
    Serial,
    WindowOut,
    Windows,
)
from dispatch import models as m

Minutes = Annotated[int, Field(gt=0, le=24 * 60), JSON_INT]
Priority = Annotated[int, Field(ge=0, le=100), JSON_INT]


class JobIn(Body):
    site: Code
    asset: Serial | None = Field(default=None, description="Serial number of the appliance.")
    description: Note = ""
    duration_minutes: Minutes
    skills: RequiredSkills = Field(examples=[{"aircon": 2}])
    reported_at: Moment | None = Field(default=None, description="Default: now.")
    priority: Priority = 50
    windows: Windows = Field(default_factory=list)
    parts: Parts = Field(default_factory=dict, examples=[{"AC-CAP-35": 1}])
    code: Code | None = Field(default=None, description="Default: a new J-XXXXXXXX code.")


class JobPatch(Body):
    description: Note | None = None
    duration_minutes: Minutes | None = None
    priority: Priority | None = None
    skills: RequiredSkills | None = None
    windows: Windows | None = None


class StatusIn(Body):
    status: m.JobStatus
    note: Note = ""
    reason: Reason | None = Field(default=None, description="For incomplete: why.")


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

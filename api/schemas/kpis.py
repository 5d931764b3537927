"""KPI bodies: each measure with the definition a service manager reads it by (`dispatch.kpi`)."""

from __future__ import annotations

from datetime import date

from pydantic import Field

from api.schemas.common import Out


class KpisOut(Out):
    territory: str | None = Field(description="The territory, or null for all of them.")
    start: date
    end: date
    jobs: int = Field(
        description="Jobs reported on a day of the range (territory local date), not cancelled."
    )
    response_decided: int = Field(description="Response promises decided: on site, or deadline passed.")
    response_met: int
    response_attainment: float | None = Field(description="response_met / response_decided.")
    resolution_decided: int = Field(description="Resolution promises decided: completed, or deadline passed.")
    resolution_met: int
    resolution_attainment: float | None = Field(description="resolution_met / resolution_decided.")
    mean_response_minutes: float | None = Field(
        description="Reported → first on site, over the jobs reached."
    )
    completed: int
    first_time_fix_rate: float | None = Field(
        description="Completed jobs whose service report says fixed on the first visit / completed reports."
    )
    planned_visits: int = Field(
        description="Job visits on the routes of the published plans starting on a day of the range."
    )
    travel_km_per_job: float | None = Field(description="Route kilometres of those plans / planned visits.")
    utilisation: float | None = Field(
        description="Time on site planned on those routes / shift time of every engineer on shift in "
        "the territory-days those plans cover (an active engineer of the territory with a shift that "
        "day, or any shift a route was planned on), whether the plan gave them a route or not."
    )
    jobs_per_engineer_day: float | None = Field(description="Planned visits / routes (engineer-days worked).")
    surveys: int
    csat: float | None = Field(description="Mean satisfaction score, 1–5.")
    nps: float | None = Field(description="% promoters (9–10) − % detractors (0–6).")

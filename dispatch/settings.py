"""One settings object, read from the environment (``DISPATCH_*``), so that the CLI, the API
and the workers agree on the database and the solver's budget without passing them around."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SQLITE = Path("var") / "dispatch.sqlite3"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DISPATCH_", extra="ignore")

    def chains(self, plans_at_once: int | None = None) -> int:
        """Search chains for one plan when ``plans_at_once`` (default ``plan_workers``) run
        together: every core busy, none shared."""
        if self.search_workers is not None:
            return self.search_workers
        return max(1, (os.cpu_count() or 1) // (plans_at_once or self.plan_workers))

    database_url: str = Field(
        default=f"sqlite:///{DEFAULT_SQLITE}",
        description="SQLAlchemy URL; SQLite (default, a file under var/) or postgresql+psycopg://…",
    )
    plan_time_limit: float = Field(default=20.0, gt=0, description="Solver seconds per territory plan.")
    plan_workers: int = Field(default=2, ge=1, description="Territories planned in parallel.")
    search_workers: int | None = Field(
        default=None,
        ge=1,
        description="Search chains per plan (processes, the best plan kept); default: the cores left "
        "for each of the territories planned in parallel (at least one).",
    )
    run_stale_seconds: float = Field(
        default=60.0,
        gt=0,
        description="A queued or running plan run whose holder has not beat for this long (it beats "
        "every 2 s) is failed by the sweep; on this host a holder whose process is gone is failed at once.",
    )
    run_sweep_seconds: float = Field(
        default=5.0, gt=0, description="How often each API process sweeps for runs whose process stopped."
    )
    warranty_sla_policy: str = Field(default="BASIC", description="SLA policy code for warranty work.")
    chargeable_sla_policy: str = Field(
        default="BASIC", description="SLA policy code for chargeable work (no contract, no warranty)."
    )
    quote_workers: int = Field(
        default=2, ge=0, description="Processes answering booking quotes (0: in the request thread)."
    )
    quote_ttl_seconds: int = Field(default=300, gt=0, description="How long a booking quote holds.")
    tile_url: str = Field(default="", description="Board map tiles, {z}/{x}/{y} URL; empty: none (offline).")
    tile_attribution: str = Field(default="", description="The tile provider's credit, shown on the map.")
    max_request_bytes: int = Field(
        default=2 * 1024 * 1024,
        ge=1024,
        description="Largest request body the API reads (413 above it); its largest real request is a "
        "few kilobytes.",
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()

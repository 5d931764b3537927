"""Errors the business layer raises on purpose. Each names the field and the reason, so the
API can answer 4xx and the CLI can exit 2 with one line; anything else is a bug (5xx)."""

from __future__ import annotations

from typing import Any


class DispatchError(Exception):
    status_code = 400

    def __init__(self, field: str, reason: str, *, extra: dict[str, Any] | None = None) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason
        self.extra = extra or {}  # more for the caller, e.g. fresh alternatives to a taken slot

    def __reduce__(self) -> tuple[Any, ...]:
        # Raised in a worker process (quotes, plans) and re-raised in the API process.
        return (self.__class__, (self.field, self.reason), {"extra": self.extra})


class InvalidInputError(DispatchError):
    status_code = 422


class NotFoundError(DispatchError):
    status_code = 404


class ConflictError(DispatchError):
    """The request is valid but the current state forbids it (illegal transition, taken slot)."""

    status_code = 409

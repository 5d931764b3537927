"""Building blocks shared by the request and response bodies.

Every value a request carries is one of the bounded types below, so no input can reach the
database or the solver that either would refuse or overflow on:

- text never holds NUL (PostgreSQL refuses it) or a lone surrogate (no encoding can store it;
  a ``pattern`` makes pydantic refuse one as ``string_unicode``), and has a maximum length;
- numbers in bodies are strict JSON numbers (``true`` is not 1, ``"5"`` is not 5) with both
  bounds, and never NaN or infinite;
- dates and times are ones the business can mean: years 2000 to 2100 as written (a year-1 day
  shifted by an offset overflows ``datetime``), as ISO 8601 text with a UTC offset (pydantic
  alone would also take a Unix timestamp or a space for the ``T``);
- lists and maps have a maximum size, and maps say which keys they take.

Each rule is also in the OpenAPI schema (patterns, bounds, sizes), which is what lets
schemathesis check that the document and the validation agree (`tests/api/test_schema_fuzz.py`)
and a test check that no request value is left unbounded (`tests/api/test_bad_requests.py`).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import Path, Query
from pydantic import AwareDatetime as _AwareDatetime
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import PydanticCustomError

# --- text --------------------------------------------------------------------------------------

NO_NUL = r"^[^\x00]*$"
# Not blank: at least one character besides NUL and ASCII white space (spelled out, since
# "white space" differs between the regex engines that read the pattern).
NOT_BLANK = r"^[^\x00]*[^\x00\t\n\r ][^\x00]*$"
# Identifiers go into URLs: letters, digits, ``_ . -``, not starting with a dot (``.``/``..``
# would be read as path segments).
CODE = r"^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,31}$"
SKILL = r"^[a-z0-9_]{1,40}$"
SKU = r"^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,39}$"
SERIAL = r"^[A-Za-z0-9_-][A-Za-z0-9_./-]{0,63}$"
# A run id is a UUID; anything else of that alphabet is simply not found (404).
RUN_ID = r"^[0-9A-Za-z-]{1,36}$"

Code = Annotated[str, Field(min_length=1, max_length=32, pattern=CODE)]
SkillName = Annotated[str, Field(min_length=1, max_length=40, pattern=SKILL)]
Sku = Annotated[str, Field(min_length=1, max_length=40, pattern=SKU)]
Serial = Annotated[str, Field(min_length=1, max_length=64, pattern=SERIAL)]
RunId = Annotated[str, Path(min_length=1, max_length=36, pattern=RUN_ID)]
# Free text of a few sizes; ``Name`` and ``Address`` must not be blank.
Note = Annotated[str, Field(max_length=2000, pattern=NO_NUL)]
LongText = Annotated[str, Field(max_length=4000, pattern=NO_NUL)]
Short = Annotated[str, Field(max_length=120, pattern=NO_NUL)]
Reason = Annotated[str, Field(min_length=1, max_length=40, pattern=NOT_BLANK)]
Phone = Annotated[str, Field(max_length=40, pattern=NO_NUL)]
Name = Annotated[str, Field(min_length=1, max_length=120, pattern=NOT_BLANK)]
Address = Annotated[str, Field(min_length=1, max_length=240, pattern=NOT_BLANK)]

# --- numbers -----------------------------------------------------------------------------------

INT32 = 2_147_483_647  # every integer column holds a 32-bit signed integer


def _json_integer(value: Any) -> Any:
    """A JSON integer: a number without a fraction (``2.0`` is one, as JSON Schema says), never
    ``true`` or ``"2"``, which pydantic's lax mode would take."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PydanticCustomError("int_type", "Input should be a valid integer")
    return value


# Bounds go inside, before it: ``Annotated[int, Field(ge=0, le=9), JSON_INT]`` (bounds put on
# the outside of a validated type are left out of the document, e.g. when it is optional).
JSON_INT = BeforeValidator(_json_integer)
Level = Annotated[int, Field(ge=1, le=5), JSON_INT]
Quantity = Annotated[int, Field(ge=1, le=100), JSON_INT]
Bool = StrictBool
Latitude = Annotated[float, Field(strict=True, ge=-90, le=90, allow_inf_nan=False)]
Longitude = Annotated[float, Field(strict=True, ge=-180, le=180, allow_inf_nan=False)]
Seconds = Annotated[float, Field(strict=True, gt=0, le=600, allow_inf_nan=False)]
# Ids and paging stay inside a 32-bit signed integer, which every database column holds. A
# plan id's route is written ``{plan_id:int}``, so ``/plans/runs`` is never read as plan "runs".
PlanId = Annotated[int, Path(ge=1, le=INT32)]
VisitId = Annotated[int, Path(ge=1, le=INT32)]
Limit = Annotated[int, Query(ge=1, le=1000)]
Offset = Annotated[int, Query(ge=0, le=INT32)]

# --- dates and times ---------------------------------------------------------------------------

FIRST_YEAR, LAST_YEAR = 2000, 2100
_YEAR = r"(?:20[0-9]{2}|2100)"
_DATE = rf"{_YEAR}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])"
_HOUR, _MINUTE = r"(?:[01][0-9]|2[0-3])", r"[0-5][0-9]"
# Seconds may be left out (ISO 8601 allows it, RFC 3339 does not; existing callers do).
_TIME = rf"{_HOUR}:{_MINUTE}(?::{_MINUTE}(?:\.[0-9]{{1,6}})?)?(?:Z|[+-]{_HOUR}:{_MINUTE})"
DAY = rf"^{_DATE}$"
MOMENT = rf"^{_DATE}T{_TIME}$"
_ANY_YEAR = re.compile(r"^[0-9]{4}-")
_DAY_RE, _MOMENT_RE = re.compile(DAY), re.compile(MOMENT)
_RANGE = f"from {FIRST_YEAR} to {LAST_YEAR}"


def _in_range(year: int, kind: str) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise PydanticCustomError(f"{kind}_out_of_range", f"Input should be a {kind} {_RANGE}")


def _day_text(value: Any) -> Any:
    """A day as ``YYYY-MM-DD`` text (or a ``date`` from Python code), years 2000 to 2100."""
    if isinstance(value, date) and not isinstance(value, datetime):
        _in_range(value.year, "date")
        return value
    if isinstance(value, str) and _ANY_YEAR.match(value):
        _in_range(int(value[:4]), "date")
    if not isinstance(value, str) or not _DAY_RE.fullmatch(value):
        raise PydanticCustomError("date_parsing", f"Input should be a date, YYYY-MM-DD, {_RANGE}")
    return value


def _moment_text(value: Any) -> Any:
    """A moment as RFC 3339 text with its UTC offset (or an aware ``datetime``), years 2000 to 2100
    as written: far enough from year 1 and 9999 that no offset or horizon overflows."""
    if isinstance(value, datetime):
        _in_range(value.year, "datetime")
        return value
    if isinstance(value, str) and _ANY_YEAR.match(value):
        _in_range(int(value[:4]), "datetime")
    if not isinstance(value, str) or not _MOMENT_RE.fullmatch(value):
        raise PydanticCustomError(
            "datetime_parsing",
            f"Input should be a date and time with its UTC offset, e.g. 2026-11-24T08:00:00+08:00, {_RANGE}",
        )
    return value


Day = Annotated[
    date,
    BeforeValidator(_day_text),
    WithJsonSchema({"type": "string", "format": "date", "pattern": DAY}),
]
Moment = Annotated[
    _AwareDatetime,
    BeforeValidator(_moment_text),
    WithJsonSchema({"type": "string", "format": "date-time", "pattern": MOMENT}),
]

# --- maps --------------------------------------------------------------------------------------

# A map's keys are refused unless they match its key pattern (pydantic writes the pattern as
# ``patternProperties`` but leaves other keys open in the document).
CLOSED_MAP: dict[str, Any] = {"additionalProperties": False}
MAX_SKILLS = 20
Skills = Annotated[dict[SkillName, Level], Field(max_length=MAX_SKILLS, json_schema_extra=CLOSED_MAP)]
RequiredSkills = Annotated[
    dict[SkillName, Level], Field(min_length=1, max_length=MAX_SKILLS, json_schema_extra=CLOSED_MAP)
]
MAX_PARTS = 20
Parts = Annotated[dict[Sku, Quantity], Field(max_length=MAX_PARTS, json_schema_extra=CLOSED_MAP)]


class Body(BaseModel):
    """A request body: unknown fields are a 422 naming them, not silently ignored."""

    model_config = ConfigDict(extra="forbid")


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Window(Body):
    start: Moment
    end: Moment

    @model_validator(mode="after")
    def ends_after_start(self) -> Window:
        if self.end <= self.start:
            raise PydanticCustomError("invalid", "end must be after start")
        return self


MAX_WINDOWS = 14
Windows = Annotated[list[Window], Field(max_length=MAX_WINDOWS)]


class WindowOut(Out):
    start: _AwareDatetime
    end: _AwareDatetime

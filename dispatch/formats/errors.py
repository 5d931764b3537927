"""One error type for every bad input file, whose messages name the field path.

A dispatcher fixing a 2,000-job file needs ``jobs[812].time_windows[0]: end 100 is before
start 200``, not a traceback; so pydantic's errors and the solver's constructor `ValueError`s
are both turned into ``path: reason`` lines here.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import ValidationError
from pydantic_core import ErrorDetails


class FormatError(ValueError):
    """Invalid input: one ``path: reason`` line per problem found."""

    def __init__(self, errors: Sequence[str]) -> None:
        self.errors = tuple(errors) or ("invalid input",)
        super().__init__("; ".join(self.errors))

    def one_line(self) -> str:
        """The first error, and how many more there are (for a terminal)."""
        more = len(self.errors) - 1
        return self.errors[0] + (f" (and {more} more error{'s' * (more > 1)})" if more else "")


def field_path(loc: Sequence[int | str]) -> str:
    """``('jobs', 3, 'time_windows', 0)`` -> ``jobs[3].time_windows[0]``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part == "[key]":
            out += " (key)"
        elif not part.isidentifier():
            out += f"[{part!r}]"
        else:
            out += f".{part}" if out else part
    return out or "(root)"


def at(path: str, message: str) -> str:
    return f"{path}: {message}"


def _message(err: ErrorDetails) -> str:
    msg = err["msg"]
    if err["type"] == "value_error":
        return msg.removeprefix("Value error, ")
    msg = msg[:1].lower() + msg[1:]
    value = err.get("input")
    if err["type"] not in ("missing", "extra_forbidden") and (
        value is None or isinstance(value, str | int | float)
    ):
        msg += f" (got {value!r})"
    return msg


def from_validation_error(exc: ValidationError, prefix: Sequence[int | str] = ()) -> FormatError:
    """Pydantic's errors as ``path: reason`` lines."""
    return FormatError([at(field_path([*prefix, *e["loc"]]), _message(e)) for e in exc.errors()])

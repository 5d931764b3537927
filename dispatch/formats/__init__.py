"""Exchange formats: problem files in (native JSON, VROOM JSON, Solomon text), VROOM-style JSON out.

`load_problem` is the one entry point the CLI (and later the API's import) uses; every bad
input raises `FormatError` whose lines name the field, so callers never show a traceback.
"""

from __future__ import annotations

import dataclasses
import json
import time
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from dispatch.formats.errors import FormatError
from dispatch.formats.native import load_native
from dispatch.formats.native import to_problem as native_to_problem
from dispatch.formats.vroom import IdMap, problem_from_vroom, solution_to_vroom
from solver.io.solomon import DEFAULT_SCALE, SolomonInstance, parse_solomon, solomon_params
from solver.model import Problem, Solution, SolveParams

__all__ = ["Format", "FormatError", "IdMap", "LoadedProblem", "guess_format", "load_problem"]


class Format(StrEnum):
    NATIVE = "native"
    VROOM = "vroom"
    SOLOMON = "solomon"


@dataclass(frozen=True, slots=True, kw_only=True)
class LoadedProblem:
    """A problem ready to solve, with what is needed to report its solution in the caller's terms."""

    problem: Problem
    params: SolveParams
    format: Format
    name: str
    id_map: IdMap = field(default_factory=IdMap)
    solomon: SolomonInstance | None = None
    loading_ms: int = 0

    def exact_distance(self, solution: Solution) -> float | None:
        """Solomon only: the plan's true Euclidean length (the solver sees it scaled and rounded)."""
        if self.solomon is None:
            return None
        return self.solomon.exact_distance([[int(j) for j in r.job_ids()] for r in solution.routes])

    def to_output(self, solution: Solution) -> dict[str, Any]:
        """The solution as VROOM-format JSON data, ids as the input gave them."""
        doc = solution_to_vroom(
            self.problem,
            solution,
            self.id_map,
            arc_cost=self.params.arc_cost,
            loading_ms=self.loading_ms,
        )
        exact = self.exact_distance(solution)
        if exact is not None:
            doc["summary"]["exact_distance"] = round(exact, 3)
        return doc


def guess_format(path: Path, data: object = None) -> Format:
    """``.txt`` is Solomon; JSON with ``vehicles`` and no ``shifts`` is VROOM; else native."""
    if path.suffix.lower() == ".txt":
        return Format.SOLOMON
    if isinstance(data, dict) and "vehicles" in data and "shifts" not in data:
        return Format.VROOM
    return Format.NATIVE


def parse_format(value: str | Format | None) -> Format | None:
    if value is None or isinstance(value, Format):
        return value
    try:
        return Format(value.lower())
    except ValueError:
        names = ", ".join(f.value for f in Format)
        raise FormatError([f"--format: unknown format {value!r} (expected one of {names})"]) from None


def load_problem(path: str | Path, fmt: str | Format | None = None) -> LoadedProblem:
    """Read, validate and convert a problem file; raises `FormatError` for any bad input."""
    started = time.monotonic()
    p = Path(path)
    chosen = parse_format(fmt)
    text = _read(p)
    if chosen is Format.SOLOMON or (chosen is None and guess_format(p) is Format.SOLOMON):
        loaded = _solomon(p, text)
    else:
        data = _json(p, text)
        chosen = chosen or guess_format(p, data)
        if chosen is Format.VROOM:
            problem, id_map = problem_from_vroom(data)
            loaded = LoadedProblem(
                problem=problem, params=SolveParams(), format=chosen, name=p.stem, id_map=id_map
            )
        else:
            doc = load_native(data)
            problem, options = native_to_problem(doc)
            loaded = LoadedProblem(
                problem=problem,
                params=options.apply(),
                format=Format.NATIVE,
                name=doc.name or p.stem,
                id_map=IdMap(location_ids=tuple(loc.id for loc in doc.locations)),
            )
    ms = round((time.monotonic() - started) * 1000)
    return dataclasses.replace(loaded, loading_ms=ms)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FormatError([f"{path}: no such file"]) from None
    except IsADirectoryError:
        raise FormatError([f"{path}: is a directory, not a problem file"]) from None
    except UnicodeDecodeError:
        raise FormatError([f"{path}: not UTF-8 text"]) from None
    except OSError as exc:
        raise FormatError([f"{path}: cannot read ({exc.strerror})"]) from None


def _json(path: Path, text: str) -> object:
    try:
        data: object = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FormatError(
            [f"{path}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"]
        ) from None
    return data


def _solomon(path: Path, text: str) -> LoadedProblem:
    try:
        instance = parse_solomon(text, name=path.stem)
        problem = instance.to_problem(scale=DEFAULT_SCALE)
    except ValueError as exc:
        raise FormatError([f"{path}: {exc}"]) from None
    jobs = {job.id: int(job.id) for job in problem.jobs}
    return LoadedProblem(
        problem=problem,
        params=solomon_params(),
        format=Format.SOLOMON,
        name=instance.name,
        id_map=IdMap(jobs=jobs),
        solomon=instance,
    )

"""The ``dispatch`` command line: thin wrappers over dispatch.formats and the solver.

Exit codes: 0 a plan the checker accepts; 1 no plan, or a plan the checker rejects (a bug);
2 bad input or arguments, always as one ``error: path: reason`` line, never a traceback.
"""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from dispatch.formats import FormatError, LoadedProblem, load_problem
from dispatch.formats.native import schema_text
from solver import Solution, SolveParams, Status, check, solve
from solver.check import CheckReport

app = typer.Typer(
    help="Field-service dispatch: plan engineers' days from problem files.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

INPUT_ERROR = 2


@app.callback()
def _root() -> None:
    """Field-service dispatch: plan engineers' days from problem files."""


def _fail(message: str, code: int = INPUT_ERROR) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


@app.command("solve")
def solve_command(
    problem: Annotated[Path, typer.Argument(help="Problem file.", show_default=False)],
    fmt: Annotated[
        str | None,
        typer.Option("--format", "-f", help="native, vroom or solomon [default: from the file]"),
    ] = None,
    time_limit: Annotated[
        float | None, typer.Option("--time-limit", "-t", help="Search seconds [default: the file's or 10].")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the solution here (VROOM-style JSON).")
    ] = None,
    hard_deadlines: Annotated[
        bool, typer.Option("--hard-deadlines", help="Never start a job after its SLA deadline.")
    ] = False,
) -> None:
    """Solve a problem file, print a summary checked by the independent checker."""
    try:
        loaded = load_problem(problem, fmt)
    except FormatError as exc:
        raise _fail(exc.one_line()) from None
    params = _params(loaded.params, time_limit, hard_deadlines)
    out = Console(stderr=True)
    with out.status("Solving…") as status:

        def progress(elapsed: float, objective: int) -> None:
            status.update(f"Solving… best objective {objective:,} after {elapsed:.1f} s")

        solution = solve(loaded.problem, params, progress=progress)
    if solution.search_log:
        elapsed, best = solution.search_log[-1]
        out.print(f"best objective {best:,} found after {elapsed:.1f} s", highlight=False)
    report = check(loaded.problem, solution, hard_deadlines=params.hard_deadlines)
    Console().print(_summary_table(loaded, solution, report))
    if output is not None:
        try:
            output.write_text(json.dumps(loaded.to_output(solution), indent=2) + "\n", encoding="utf-8")
        except OSError as exc:
            raise _fail(f"--output: cannot write {output} ({exc.strerror})") from None
    if solution.status is Status.NO_SOLUTION:
        raise _fail("the search found no plan within its limits", code=1)
    if not report.feasible:
        for v in report.violations:
            if v.hard:
                typer.echo(f"violation {v.rule}: {v.message}", err=True)
        raise _fail("the checker rejects this plan (a solver bug; please report it)", code=1)


db_app = typer.Typer(help="The database: schema migrations.", no_args_is_help=True)
app.add_typer(db_app, name="db")


@db_app.command("upgrade")
def db_upgrade_command(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Apply the schema migrations to DISPATCH_DATABASE_URL (default: a SQLite file under var/)."""
    from alembic.util.exc import CommandError
    from sqlalchemy.exc import SQLAlchemyError

    from dispatch.migrate import current_revision, upgrade
    from dispatch.settings import get_settings

    url = get_settings().database_url
    try:
        upgrade(url, revision)
        now = current_revision(url)
    except CommandError as exc:
        raise _fail(f"revision: {exc}") from None
    except (SQLAlchemyError, ValueError) as exc:
        raise _fail(f"DISPATCH_DATABASE_URL: {str(exc).splitlines()[0]}") from None
    typer.echo(f"database at revision {now}")


@app.command("schema")
def schema_command(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")
    ] = None,
) -> None:
    """Print the native problem format's JSON Schema (docs/problem.schema.json)."""
    text = schema_text()
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")


def _params(base: SolveParams, time_limit: float | None, hard_deadlines: bool) -> SolveParams:
    """The file's settings with the command-line flags on top."""
    if time_limit is not None:
        if time_limit <= 0:
            raise _fail(f"--time-limit: must be positive (got {time_limit})")
        base = dataclasses.replace(base, time_limit=time_limit)
    if hard_deadlines:
        base = dataclasses.replace(base, hard_deadlines=True)
    return base


def _duration(seconds: int) -> str:
    h, m = divmod(round(seconds / 60), 60)
    return f"{h} h {m:02d} min" if h else f"{m} min"


def _summary_table(loaded: LoadedProblem, solution: Solution, report: CheckReport) -> Table:
    s = solution.summary
    solomon = loaded.solomon is not None
    scale = 100 if solomon else 1

    def time_value(seconds: int) -> str:
        return f"{seconds / scale:,.1f}" if solomon else _duration(seconds)

    table = Table(
        title=escape(f"{loaded.name} ({loaded.format.value})"), show_header=False, title_justify="left"
    )
    table.add_column("what")
    table.add_column("value", justify="right")
    n_jobs = len(loaded.problem.jobs)
    table.add_row("jobs", str(n_jobs))
    table.add_row("served", f"{s.assigned} on {s.routes} of {len(loaded.problem.shifts)} routes")
    table.add_row("unassigned", str(s.unassigned))
    for reason, count in sorted(Counter(u.reason.value for u in solution.unassigned).items()):
        table.add_row(f"  {reason}", str(count))
    table.add_row("travel time", time_value(s.travel_time))
    exact = loaded.exact_distance(solution)
    if exact is not None:
        table.add_row("distance (exact)", f"{exact:,.2f}")
    else:
        table.add_row("distance", f"{s.distance / 1000:,.1f} km")
    table.add_row("lateness", time_value(s.lateness))
    table.add_row("late jobs", str(s.late_jobs))
    table.add_row("wall time", f"{s.wall_time:.1f} s")
    hard = sum(v.hard for v in report.violations)
    soft = len(report.violations) - hard
    if report.feasible:
        verdict = "[green]feasible[/green]" + (f" ({soft} SLA-late visits)" if soft else "")
    else:
        verdict = f"[bold red]REJECTED[/bold red] ({hard} violations)"
    table.add_row("checker", verdict)
    return table


def main() -> None:
    app()

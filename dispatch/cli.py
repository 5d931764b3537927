"""The ``dispatch`` command line: thin wrappers over dispatch.formats and the solver.

Exit codes: 0 a plan the checker accepts; 1 no plan, or a plan the checker rejects (a bug);
2 bad input or arguments, always as one ``error: path: reason`` line, never a traceback.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections import Counter
from pathlib import Path
from typing import Annotated, Any

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
    workers: Annotated[
        int | None,
        typer.Option("--workers", "-w", help="Search chains on that many cores [default: every core]."),
    ] = None,
) -> None:
    """Solve a problem file, print a summary checked by the independent checker."""
    from dispatch.settings import get_settings

    try:
        loaded = load_problem(problem, fmt)
    except FormatError as exc:
        raise _fail(exc.one_line()) from None
    params = _params(loaded.params, time_limit, hard_deadlines)
    if workers is not None and workers < 1:
        raise _fail(f"--workers: must be at least 1 (got {workers})")
    params = dataclasses.replace(params, workers=workers or get_settings().chains(1))
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


@app.command("demo")
def demo_command(
    time_limit: Annotated[
        float | None,
        typer.Option("--time-limit", "-t", help="Solver seconds per territory [default: settings]."),
    ] = None,
    data: Annotated[Path | None, typer.Option("--data", help="Directory of demo CSV files.")] = None,
    workers: Annotated[int | None, typer.Option("--workers", help="Territories planned at once.")] = None,
) -> None:
    """The main job: fresh database, migrations, demo region, plans for every territory."""
    from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

    from dispatch import demo
    from dispatch.errors import DispatchError
    from dispatch.models import PlanRun, Territory
    from dispatch.settings import get_settings

    settings = get_settings()
    limit = time_limit if time_limit is not None else settings.plan_time_limit
    if limit <= 0:
        raise _fail(f"--time-limit: must be positive (got {limit})")
    n_workers = workers if workers is not None else settings.plan_workers
    if n_workers < 1:
        raise _fail(f"--workers: must be at least 1 (got {n_workers})")
    url = settings.database_url
    console = Console()
    started = time.monotonic()
    try:
        factory = demo.load_demo(url, data or demo.DEMO_DATA)
    except DispatchError as exc:
        raise _fail(str(exc)) from None
    day = demo.demo_day(factory)
    console.print(
        f"Demo region loaded into [bold]{escape(_safe_url(url))}[/bold]; planning {day:%A %d %B %Y}"
    )
    with Progress(
        TextColumn("{task.description:<22}"),
        BarColumn(),
        TextColumn("{task.fields[state]}"),
        TimeElapsedColumn(),
        console=console,
    ) as bar:
        tasks: dict[str, TaskID] = {}

        def on_progress(runs: list[str]) -> None:
            with factory() as s:
                for run_id in runs:
                    run = s.get_one(PlanRun, run_id)
                    if run_id not in tasks:
                        name = s.get_one(Territory, run.territory_id).name
                        tasks[run_id] = bar.add_task(name, total=1.0, state="queued")
                    bar.update(tasks[run_id], completed=run.progress, state=run.status.value)

        runs = demo.plan_territories(url, factory, day, limit, n_workers, on_progress)
    outcome = demo.results(factory, runs, Path("var") / "plans")
    console.print(_demo_table(outcome))
    for r in outcome:
        if r.export is not None:
            console.print(f"{r.code}: plan {r.plan_id} stored in the database; JSON at {r.export}")
        else:
            console.print(f"[red]{r.code}: no plan[/red] ({escape(r.message)})")
    console.print(f"Done in {time.monotonic() - started:.0f} s.")
    if any(r.plan_id is None for r in outcome):
        raise typer.Exit(1)


@app.command("plan")
def plan_command(
    territory: Annotated[
        str, typer.Option("--territory", help="Territory code, e.g. GZ.", show_default=False)
    ],
    day: Annotated[str, typer.Option("--date", help="Day to plan, YYYY-MM-DD.", show_default=False)],
    publish_plan: Annotated[
        bool, typer.Option("--publish", help="Publish the plan: jobs become scheduled.")
    ] = False,
    time_limit: Annotated[float | None, typer.Option("--time-limit", "-t", help="Solver seconds.")] = None,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Re-plan the rest of the day from this moment (ISO 8601 with offset)."),
    ] = None,
    days: Annotated[int, typer.Option("--days", help="Planning horizon in days, from --date.")] = 1,
) -> None:
    """Plan one territory-day from the database and store the plan (a draft unless --publish).
    With --as-of, finished visits stay done and visits in hand stay first on their routes."""
    from datetime import date as date_type
    from datetime import datetime

    from dispatch import planning
    from dispatch.db import session_factory, transaction
    from dispatch.errors import DispatchError
    from dispatch.models import PlanRun
    from dispatch.settings import get_settings

    try:
        when = date_type.fromisoformat(day)
    except ValueError:
        raise _fail(f"--date: {day!r} is not a YYYY-MM-DD date") from None
    moment = None
    if as_of is not None:
        try:
            moment = datetime.fromisoformat(as_of)
        except ValueError:
            raise _fail(f"--as-of: {as_of!r} is not an ISO 8601 date-time") from None
        if moment.tzinfo is None:
            raise _fail(f"--as-of: {as_of!r} needs a UTC offset, e.g. {as_of}+08:00")
    settings = get_settings()
    limit = time_limit if time_limit is not None else settings.plan_time_limit
    if limit <= 0:
        raise _fail(f"--time-limit: must be positive (got {limit})")
    factory = session_factory(_database_at_head(settings.database_url))
    try:
        with transaction(factory) as s:
            t = planning.territory_by_code(s, territory)
            run_id = planning.create_run(s, t, when, requested_by="cli", as_of=moment, days=days).id
    except DispatchError as exc:  # e.g. a run of that territory-day is active: exit 2 naming it
        option = {"day": "date"}.get(exc.field, exc.field)
        raise _fail(f"--{option}: {exc.reason}") from None
    with Console(stderr=True).status(f"Planning {territory} for {when}…"):
        # One territory on its own: every core searches it.
        status = planning.run_plan(settings.database_url, run_id, limit, workers=settings.chains(1))
    with factory() as s:
        run = s.get_one(PlanRun, run_id)
        if status != "succeeded" or run.plan_id is None:
            raise _fail(f"no plan: {run.message}", code=1)
        plan_id = run.plan_id
    if publish_plan:
        with transaction(factory) as s:
            planning.publish(s, plan_id, actor="cli")
    with factory() as s:
        from dispatch.plan_export import plan_document

        doc = plan_document(s, plan_id)
    k = doc["kpis"]
    reasons = ", ".join(f"{n} {why}" for why, n in k["unassigned_by_reason"].items()) or "none"
    typer.echo(
        f"plan {plan_id} ({doc['status']}): {k['served']}/{k['jobs']} jobs served, not served: {reasons}; "
        f"SLA kept {k['sla_met']}/{k['sla_due']}; {k['travel_km']:,.0f} km"
    )


@app.command("import")
def import_command(
    directory: Annotated[Path, typer.Argument(help="Directory of CSV/JSON files named like data/demo/.")],
) -> None:
    """Import a region (or part of one): all rows are checked first; any bad row imports nothing."""
    from dispatch.db import session_factory, transaction
    from dispatch.errors import DispatchError
    from dispatch.importer import ImportRejectedError, import_directory
    from dispatch.settings import get_settings

    if not directory.is_dir():
        raise _fail(f"directory: {directory} is not a directory")
    factory = session_factory(_database_at_head(get_settings().database_url))
    try:
        with transaction(factory) as s:
            counts = import_directory(s, directory, actor="cli")
    except ImportRejectedError as exc:
        for issue in exc.issues:
            typer.echo(f"error: {issue}", err=True)
        raise typer.Exit(INPUT_ERROR) from None
    except DispatchError as exc:
        raise _fail(str(exc)) from None
    typer.echo(", ".join(f"{n} {table}" for table, n in counts.rows.items()) + " imported")


@app.command("export")
def export_command(
    directory: Annotated[Path, typer.Argument(help="Where to write the files.")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="csv or json")] = "csv",
) -> None:
    """Export the region in the import format."""
    from dispatch.db import session_factory
    from dispatch.exporter import export_directory
    from dispatch.settings import get_settings

    if fmt not in ("csv", "json"):
        raise _fail(f"--format: {fmt!r} is not csv or json")
    with session_factory(_database_at_head(get_settings().database_url))() as s:
        counts = export_directory(s, directory, fmt)
    typer.echo(", ".join(f"{n} {table}" for table, n in counts.items()) + f" written to {directory}")


users_app = typer.Typer(help="API users and their tokens.", no_args_is_help=True)
app.add_typer(users_app, name="users")


@users_app.command("create")
def users_create_command(
    name: Annotated[str, typer.Option("--name", help="Unique user name.")],
    role: Annotated[str, typer.Option("--role", help="admin, dispatcher, agent or engineer.")],
    engineer: Annotated[
        str | None, typer.Option("--engineer", help="Engineer code (engineer users only).")
    ] = None,
) -> None:
    """Create an API user and print its bearer token, once (only its hash is stored)."""
    from dispatch.db import session_factory, transaction
    from dispatch.errors import DispatchError
    from dispatch.settings import get_settings
    from dispatch.users import create_user

    factory = session_factory(_database_at_head(get_settings().database_url))
    try:
        with transaction(factory) as s:
            user, token = create_user(s, name, role, engineer)
            role_name = user.role.value
    except DispatchError as exc:
        raise _fail(f"--{exc.field}: {exc.reason}") from None
    Console(stderr=True).print(
        f"user {escape(name)} ({role_name}) created; keep this token, it is shown once:"
    )
    typer.echo(token)


customers_app = typer.Typer(help="Customers' accounts: credit hold.", no_args_is_help=True)
app.add_typer(customers_app, name="customers")


def _credit_hold(code: str, on_hold: bool) -> None:
    from dispatch.customers import set_credit_hold
    from dispatch.db import session_factory, transaction
    from dispatch.errors import DispatchError
    from dispatch.settings import get_settings

    factory = session_factory(_database_at_head(get_settings().database_url))
    try:
        with transaction(factory) as s:
            customer = set_credit_hold(s, code, on_hold)
            name = customer.name
    except DispatchError as exc:
        raise _fail(f"{exc.field}: {exc.reason}") from None
    state = "on credit hold: quotes and bookings are refused" if on_hold else "released from credit hold"
    typer.echo(f"customer {code} ({name}) {state}")


@customers_app.command("hold")
def customers_hold_command(
    code: Annotated[str, typer.Argument(help="Customer code, e.g. C0002.", show_default=False)],
) -> None:
    """Put a customer on credit hold: no quote, booking or new job until released."""
    _credit_hold(code, True)


@customers_app.command("release")
def customers_release_command(
    code: Annotated[str, typer.Argument(help="Customer code, e.g. C0002.", show_default=False)],
) -> None:
    """Release a customer's credit hold."""
    _credit_hold(code, False)


@app.command("serve")
def serve_command(
    host: Annotated[str, typer.Option("--host", help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port.")] = 8000,
    workers: Annotated[int, typer.Option("--workers", help="uvicorn worker processes.")] = 1,
) -> None:
    """Serve the API (OpenAPI at /docs) with uvicorn."""
    import uvicorn

    from dispatch.settings import get_settings

    if not 0 < port < 65536:
        raise _fail(f"--port: {port} is not a TCP port")
    if workers < 1:
        raise _fail(f"--workers: must be at least 1 (got {workers})")
    _database_at_head(get_settings().database_url).dispose()
    uvicorn.run("api.app:create_app", factory=True, host=host, port=port, workers=workers)


sla_app = typer.Typer(help="SLA promises: what is at risk, escalated level by level.", no_args_is_help=True)
app.add_typer(sla_app, name="sla")


@sla_app.command("watch")
def sla_watch_command(
    interval: Annotated[float, typer.Option("--interval", help="Seconds between checks.")] = 60.0,
    threshold: Annotated[
        int,
        typer.Option("--threshold-minutes", help="Unplanned jobs this close to the deadline are at risk."),
    ] = 120,
    return_wait: Annotated[
        int,
        typer.Option(
            "--return-wait-minutes",
            help="An incomplete job waiting this long for a return visit is escalated to level 2.",
        ),
    ] = 24 * 60,
    territory: Annotated[str | None, typer.Option("--territory", help="Only this territory.")] = None,
    once: Annotated[bool, typer.Option("--once", help="Check once and exit.")] = False,
) -> None:
    """Raise escalations for promises at risk (level 1) or breached (level 2), every interval:
    response and resolution deadlines, and incomplete jobs waiting for a return visit."""
    from datetime import timedelta

    from dispatch.db import session_factory, transaction
    from dispatch.errors import DispatchError
    from dispatch.escalation import escalate
    from dispatch.models import utcnow
    from dispatch.settings import get_settings

    if interval <= 0:
        raise _fail(f"--interval: must be positive (got {interval})")
    if threshold < 0:
        raise _fail(f"--threshold-minutes: must not be negative (got {threshold})")
    if return_wait < 0:
        raise _fail(f"--return-wait-minutes: must not be negative (got {return_wait})")
    factory = session_factory(_database_at_head(get_settings().database_url))
    console = Console()
    while True:
        now = utcnow()
        try:
            with transaction(factory) as s:
                new = escalate(
                    s,
                    now,
                    territory=territory,
                    threshold=timedelta(minutes=threshold),
                    return_wait=timedelta(minutes=return_wait),
                )
        except DispatchError as exc:  # e.g. an unknown territory: one line, exit 2
            raise _fail(f"--{exc.field}: {exc.reason}") from None
        for a in new:
            level = "[red]breached[/red]" if a.level == 2 else "[yellow]at risk[/yellow]"
            promise = a.kind.value.replace("_", " ")
            console.print(
                f"{now:%H:%M:%S} {a.territory} {a.job} {promise} {level}: {escape(a.detail)} "
                f"(deadline {a.deadline:%Y-%m-%d %H:%M} UTC, engineer {a.engineer or '-'})"
            )
        if once:
            console.print(f"{len(new)} new escalation(s)")
            return
        time.sleep(interval)


@app.command("kpi")
def kpi_command(
    start: Annotated[str, typer.Option("--from", help="First day, YYYY-MM-DD.")],
    end: Annotated[str, typer.Option("--to", help="Last day, YYYY-MM-DD.")],
    territory: Annotated[str | None, typer.Option("--territory", help="Only this territory.")] = None,
) -> None:
    """Service KPIs for a date range: SLA attainment, first-time fix, travel, CSAT, NPS."""
    from datetime import date as date_type

    from dispatch.db import session_factory
    from dispatch.errors import DispatchError
    from dispatch.kpi import kpis
    from dispatch.models import utcnow
    from dispatch.settings import get_settings

    days = []
    for flag, text in (("--from", start), ("--to", end)):
        try:
            days.append(date_type.fromisoformat(text))
        except ValueError:
            raise _fail(f"{flag}: {text!r} is not a YYYY-MM-DD date") from None
    factory = session_factory(_database_at_head(get_settings().database_url))
    try:
        with factory() as s:
            report = kpis(s, days[0], days[1], territory=territory, now=utcnow())
    except DispatchError as exc:
        raise _fail(f"--{exc.field}: {exc.reason}") from None
    table = Table(title=f"KPIs {territory or 'all territories'}, {days[0]} to {days[1]}")
    table.add_column("measure")
    table.add_column("value", justify="right")

    def pct(x: float | None) -> str:
        return "–" if x is None else f"{100 * x:.1f}%"

    rows = [
        ("jobs reported", str(report.jobs)),
        ("response SLA met", f"{pct(report.response_attainment)} of {report.response_decided}"),
        ("resolution SLA met", f"{pct(report.resolution_attainment)} of {report.resolution_decided}"),
        (
            "mean response",
            "–" if report.mean_response_minutes is None else f"{report.mean_response_minutes:.0f} min",
        ),
        ("first-time fix", f"{pct(report.first_time_fix_rate)} of {report.completed} completed"),
        ("travel per job", "–" if report.travel_km_per_job is None else f"{report.travel_km_per_job:.1f} km"),
        ("utilisation", pct(report.utilisation)),
        (
            "jobs per engineer-day",
            "–" if report.jobs_per_engineer_day is None else f"{report.jobs_per_engineer_day:.1f}",
        ),
        ("CSAT (1–5)", "–" if report.csat is None else f"{report.csat:.2f} ({report.surveys} surveys)"),
        ("NPS", "–" if report.nps is None else f"{report.nps:+.0f}"),
    ]
    for name, value in rows:
        table.add_row(name, value)
    Console().print(table)


def _database_at_head(url: str) -> Any:
    """An engine on a database whose schema matches this code, or exit 2 saying what to do."""
    from sqlalchemy.exc import SQLAlchemyError

    from dispatch.db import make_engine
    from dispatch.migrate import current_revision, head_revision

    try:
        current = current_revision(url)
    except SQLAlchemyError as exc:
        raise _fail(f"DISPATCH_DATABASE_URL: {str(exc).splitlines()[0]}") from None
    if current != head_revision():
        raise _fail(
            f"DISPATCH_DATABASE_URL: schema at revision {current or 'none'}, this version needs "
            f"{head_revision()}; run 'dispatch db upgrade' (or 'dispatch demo' for a fresh demo)"
        )
    return make_engine(url)


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _demo_table(outcome: list[Any]) -> Table:
    table = Table(title="Plans per territory", title_justify="left")
    for col in ("territory", "jobs", "served", "not served: why", "SLA kept", "km", "busy"):
        table.add_column(col, justify="left" if col in ("territory", "not served: why") else "right")
    for r in outcome:
        k = r.kpis
        if not k:
            table.add_row(r.name, "–", "–", "failed", "–", "–", "–")
            continue
        reasons = ", ".join(f"{n} {why}" for why, n in k["unassigned_by_reason"].items()) or "–"
        table.add_row(
            r.name,
            str(k["jobs"]),
            str(k["served"]),
            reasons,
            f"{k['sla_met']}/{k['sla_due']}",
            f"{k['travel_km']:,.0f}",
            f"{k['utilisation']:.0%}",
        )
    return table


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


if __name__ == "__main__":
    main()

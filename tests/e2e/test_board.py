"""The dispatch board (/board) in headless Chromium against the live app: it draws every route
of a plan on the map and the timeline, runs and publishes a plan with a progress indicator,
applies and pins a move that the API then holds, and shows the violated rule of a refused one.

The engineer-page tests share the live app and its published GZ plan, so the board only reads
GZ; what it changes is its own: a plan of FD (moves) and one of SZ (the run and publish)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.live import LiveApp

DAY = "2026-11-24"
MOVES = "FD"  # the moves' plan: a territory the other page tests leave alone
RUNS = "SZ"  # the board's own plan run


@pytest.fixture(scope="module")
def client(live_app: LiveApp) -> Iterator[httpx.Client]:
    """The API as the dispatcher."""
    with httpx.Client(
        base_url=f"{live_app.base_url}/api/v1", headers=live_app.headers("dispatcher"), timeout=30
    ) as c:
        yield c


def _get(client: httpx.Client, path: str, **params: Any) -> Any:
    r = client.get(path, params=params)
    assert r.status_code == 200, r.text
    return r.json()


@pytest.fixture(scope="module")
def moves_plan(client: httpx.Client) -> int:
    """A draft plan of FD for the move tests (2 s of search is plenty for a valid plan)."""
    r = client.post("/plans/runs", json={"territory": MOVES, "day": DAY, "time_limit": 2})
    assert r.status_code == 202, r.text
    run = r.json()
    deadline = time.monotonic() + 60
    while run["status"] in ("queued", "running"):
        assert time.monotonic() < deadline, run
        time.sleep(0.3)
        run = _get(client, f"/plans/runs/{run['id']}")
    assert run["status"] == "succeeded", run
    plan_id: int = run["plan_id"]
    return plan_id


def _open(page: Page, live_app: LiveApp, query: str) -> None:
    """The board, logged in as the dispatcher (the token where the login form would put it)."""
    token = live_app.tokens["dispatcher"]
    page.context.add_init_script(f"localStorage.setItem('dispatch.token', {token!r})")
    page.goto(f"/board?{query}")


def _jobs_by_engineer(doc: dict[str, Any]) -> dict[str, list[str]]:
    return {r["engineer"]: [v["job"] for v in r["visits"] if v["job"]] for r in doc["routes"]}


def _row(page: Page, engineer: str) -> Any:
    return page.locator(f'[data-testid="timeline-row"][data-engineer="{engineer}"]')


def _bar(page: Page, engineer: str, job: str) -> Any:
    """The job's visit on the engineer's timeline row."""
    return _row(page, engineer).locator(f'[data-testid="visit"][data-job="{job}"]')


def _covers(have: dict[str, int], need: dict[str, int]) -> bool:
    return all(have.get(k, 0) >= v for k, v in need.items())


def test_the_board_draws_every_route_of_the_published_plan(
    page: Page, live_app: LiveApp, client: httpx.Client
) -> None:
    (plan,) = _get(client, "/plans", territory="GZ", day=DAY, status="published")
    doc = _get(client, f"/plans/{plan['id']}")
    geo = _get(client, f"/plans/{plan['id']}/geojson")
    jobs = {j["code"]: j for j in _get(client, "/jobs", territory="GZ", limit=1000)}
    planned = {e: js for e, js in _jobs_by_engineer(doc).items() if js}
    assert len(planned) >= 2
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))

    _open(page, live_app, f"territory=GZ&day={DAY}")  # no plan named: the published one
    expect(page.get_by_test_id("board-status")).to_contain_text(f"Plan #{plan['id']} (published)")

    # One path per engineer with visits, in that engineer's colour on the timeline too.
    paths = page.get_by_test_id("route-path")
    expect(paths).to_have_count(len(planned))
    assert set(paths.evaluate_all("ps => ps.map(p => p.dataset.engineer)")) == set(planned)
    rows = page.locator('[data-testid="timeline-row"]:not([data-jobs="0"])')
    expect(rows).to_have_count(len(planned))
    for engineer, codes in planned.items():
        bars = _row(page, engineer).get_by_test_id("visit")
        assert bars.evaluate_all("bs => bs.map(b => b.dataset.job)") == codes, engineer
        colour = _row(page, engineer).locator(".swatch").evaluate("s => getComputedStyle(s).backgroundColor")
        stroke = page.locator(f'[data-testid="route-path"][data-engineer="{engineer}"]').evaluate(
            "p => getComputedStyle(p).stroke"
        )
        assert colour == stroke, engineer

    # Visits, late ones, SLA deadlines, depots and unassigned jobs with their reasons.
    visits = [v for r in doc["routes"] for v in r["visits"] if v["job"]]
    expect(page.get_by_test_id("visit-point")).to_have_count(len(visits))
    expect(page.locator('[data-testid="visit"].late')).to_have_count(
        sum(1 for v in visits if v["late_minutes"] > 0)
    )
    day_start = min(datetime.fromisoformat(r["start"]) for r in doc["routes"])
    day_end = max(datetime.fromisoformat(r["end"]) for r in doc["routes"])
    due = [
        v["job"]
        for v in visits
        if jobs[v["job"]]["response_deadline"]
        and day_start <= datetime.fromisoformat(jobs[v["job"]]["response_deadline"]) <= day_end
    ]
    markers = page.get_by_test_id("sla-marker").evaluate_all("ms => ms.map(m => m.dataset.job)")
    assert set(due) <= set(markers) and len(markers) <= len(visits)
    depots = [f for f in geo["features"] if f["properties"]["kind"] == "depot"]
    expect(page.get_by_test_id("depot")).to_have_count(len(depots))
    expect(page.get_by_test_id("unassigned-marker")).to_have_count(len(doc["unassigned"]))
    unassigned = page.get_by_role("table", name="Unassigned jobs").locator("tbody tr")
    expect(unassigned).to_have_count(len(doc["unassigned"]))
    for u, row in zip(doc["unassigned"], unassigned.all(), strict=True):
        expect(row).to_contain_text(u["job"])
        expect(row).to_contain_text(u["reason"].replace("_", " "))

    # The SLA list is the API's.
    at_risk = _get(client, "/sla/at-risk", territory="GZ")
    page.get_by_role("tab", name=re.compile("SLA at risk")).click()
    expect(page.get_by_role("table", name="SLA at risk").locator("tbody tr")).to_have_count(len(at_risk))

    # Drawn without the internet: nothing but the app itself was asked for anything.
    assert requests and all(u.startswith(live_app.base_url) or u.startswith("data:") for u in requests)


def test_map_tiles_are_an_optional_layer_under_the_routes(page: Page, live_app: LiveApp) -> None:
    """With a tile URL configured the board puts tiles under the routes; tiles that fail to
    load (here: every one) leave the routes drawn."""
    page.route(
        "**/api/v1/board/settings",
        lambda route: route.fulfill(
            json={"tile_url": "http://127.0.0.1:9/tiles/{z}/{x}/{y}.png", "tile_attribution": "Test tiles"}
        ),
    )
    page.route("http://127.0.0.1:9/**", lambda route: route.abort())
    _open(page, live_app, f"territory=GZ&day={DAY}")
    expect(page.get_by_test_id("route-path").first).to_be_visible()
    tiles = page.locator(".layer-tiles image")
    expect(tiles.first).to_be_attached()
    href = tiles.first.get_attribute("href") or ""
    assert re.fullmatch(r"http://127\.0\.0\.1:9/tiles/\d+/\d+/\d+\.png", href), href
    # Tiles are drawn first, so the routes are on top of them.
    order = page.locator("[data-testid=map] > g").evaluate_all("gs => gs.map(g => g.getAttribute('class'))")
    assert order.index("layer-tiles") < order.index("layer-routes")
    expect(page.get_by_text("Test tiles")).to_be_visible()


def test_a_plan_run_from_the_board_completes_and_can_be_published(
    page: Page, live_app: LiveApp, client: httpx.Client
) -> None:
    _open(page, live_app, f"territory={RUNS}&day={DAY}")
    status = page.get_by_test_id("board-status")
    expect(status).to_contain_text("for Shenzhen")  # whatever plans SZ already has
    page.get_by_label("Search seconds").fill("2")
    page.get_by_role("button", name="Run plan").click()
    progress = page.get_by_role("progressbar", name="Plan run progress")
    expect(progress).to_be_visible()
    expect(status).to_contain_text("Planning Shenzhen")
    expect(status).to_contain_text("is ready (draft)", timeout=30_000)
    assert progress.evaluate("p => p.value") == 1

    newest = _get(client, "/plans", territory=RUNS, day=DAY)[0]
    assert newest["status"] == "draft"
    expect(page.get_by_label("Plan", exact=True)).to_have_value(str(newest["id"]))
    expect(page.get_by_test_id("route-path")).to_have_count(
        sum(1 for js in _jobs_by_engineer(_get(client, f"/plans/{newest['id']}")).values() if js)
    )

    page.get_by_role("button", name="Publish").click()
    expect(status).to_contain_text(f"Plan #{newest['id']} is published")
    assert _get(client, f"/plans/{newest['id']}")["status"] == "published"
    expect(page.get_by_role("button", name="Publish")).to_be_disabled()


def _routes_without_pickups(doc: dict[str, Any]) -> set[str]:
    """Engineers whose routes a manual move may change (moves refuse routes with depot stops)."""
    return {r["engineer"] for r in doc["routes"] if all(v["kind"] != "depot" for v in r["visits"])}


def test_a_move_is_applied_persisted_and_pinned(
    page: Page, live_app: LiveApp, client: httpx.Client, moves_plan: int
) -> None:
    doc = _get(client, f"/plans/{moves_plan}")
    jobs = {j["code"]: j for j in _get(client, "/jobs", territory=MOVES, limit=1000)}
    engineers = {e["code"]: e for e in _get(client, "/engineers", territory=MOVES)}
    planned = _jobs_by_engineer(doc)
    free = _routes_without_pickups(doc)
    # A job without a customer window or parts, to a skilled engineer with the shortest route.
    job, source, target = min(
        (
            (j, src, tgt)
            for src in sorted(free)
            for j in planned[src]
            if not jobs[j]["windows"] and not jobs[j]["parts"]
            for tgt in sorted(free)
            if tgt != src and planned[tgt] and _covers(engineers[tgt]["skills"], jobs[j]["skills"])
        ),
        key=lambda t: (len(planned[t[2]]), t[0]),
    )
    # The target agrees to a longer day, so there is room whatever the solver packed in.
    (shift,) = [s for s in _get(client, f"/engineers/{target}/shifts") if s["day"] == DAY]
    longer = {
        k: shift[k] for k in ("start", "break_earliest", "break_latest_end", "break_minutes", "max_jobs")
    }
    longer["end"] = (datetime.fromisoformat(shift["end"]) + timedelta(hours=4)).isoformat()
    assert client.put(f"/engineers/{target}/shifts/{DAY}", json=longer).status_code == 200

    _open(page, live_app, f"territory={MOVES}&day={DAY}&plan={moves_plan}")
    expect(page.get_by_test_id("board-status")).to_contain_text(f"Plan #{moves_plan} (draft)")
    expect(_bar(page, source, job)).to_be_visible()
    page.get_by_label("Job", exact=True).select_option(job)
    page.get_by_label("To engineer").select_option(target)
    expect(page.get_by_label("Place")).to_have_value("")  # best place
    expect(page.get_by_label("Pin to this engineer")).to_be_checked()
    page.get_by_role("button", name="Move job").click()
    expect(page.get_by_test_id("move-result")).to_contain_text(f"Moved {job} to")
    expect(page.get_by_test_id("move-result")).to_contain_text("pinned")

    # The page shows it where the API has stored it.
    after = _get(client, f"/plans/{moves_plan}")
    now = _jobs_by_engineer(after)
    assert job in now[target] and job not in now[source]
    (visit,) = [v for r in after["routes"] if r["engineer"] == target for v in r["visits"] if v["job"] == job]
    assert visit["pinned"] is True
    assert _get(client, f"/jobs/{job}")["pinned"] is True
    expect(_bar(page, target, job)).to_have_class(re.compile(r"\bpinned\b"))
    expect(_bar(page, source, job)).to_have_count(0)
    page.reload()  # what a fresh look at the stored plan shows
    expect(_bar(page, target, job)).to_have_class(re.compile(r"\bpinned\b"))


def test_an_infeasible_move_is_refused_naming_the_rule(
    page: Page, live_app: LiveApp, client: httpx.Client, moves_plan: int
) -> None:
    before = _get(client, f"/plans/{moves_plan}")
    jobs = {j["code"]: j for j in _get(client, "/jobs", territory=MOVES, limit=1000)}
    engineers = {e["code"]: e for e in _get(client, "/engineers", territory=MOVES)}
    planned = _jobs_by_engineer(before)
    free = _routes_without_pickups(before)
    job, unskilled = next(
        (j, e)
        for src in sorted(free)
        for j in planned[src]
        for e in sorted(free)
        if not _covers(engineers[e]["skills"], jobs[j]["skills"])
    )

    _open(page, live_app, f"territory={MOVES}&day={DAY}&plan={moves_plan}")
    expect(page.get_by_test_id("board-status")).to_contain_text(f"Plan #{moves_plan}")
    # Drag the visit onto the other engineer's name: "there, at the best place".
    bar = page.locator(f'[data-testid="visit"][data-job="{job}"]')
    bar.drag_to(_row(page, unskilled).locator(".tl-who"))
    refused = page.get_by_test_id("move-refused")
    expect(refused).to_be_visible()
    expect(refused).to_contain_text(f"{job} cannot go to {unskilled}")
    expect(refused.locator('[data-testid="violation"][data-rule="skill"]')).to_be_visible()
    expect(page.get_by_test_id("move-result")).to_be_hidden()

    after = _get(client, f"/plans/{moves_plan}")
    assert _jobs_by_engineer(after) == planned
    assert [r["version"] for r in after["routes"]] == [r["version"] for r in before["routes"]]
    expect(_bar(page, unskilled, job)).to_have_count(0)

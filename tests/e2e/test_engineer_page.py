"""The engineer's phone page (/m) in headless Chromium against the live app: log in, see the
day's visits in route order, step one visit en route → on site, finish it with the report
form, and find the result persisted through the API."""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import Page, expect

from tests.e2e.live import LiveApp

DAY = "2026-11-24"


def _route(live_app: LiveApp) -> dict[str, object]:
    r = httpx.get(
        f"{live_app.base_url}/api/v1/me/route", params={"date": DAY}, headers=live_app.headers("engineer")
    )
    assert r.status_code == 200, r.text
    route: dict[str, object] = r.json()
    return route


def _log_in(page: Page, live_app: LiveApp) -> None:
    page.goto(f"/m?date={DAY}")
    page.get_by_label("Token").fill(live_app.tokens["engineer"])
    page.get_by_role("button", name="Log in").click()


def test_engineer_completes_a_visit_on_the_phone(phone_page: Page, live_app: LiveApp) -> None:
    page = phone_page
    route = _route(live_app)
    visits = route["visits"]
    assert isinstance(visits, list) and visits
    _log_in(page, live_app)

    # every visit of the published route, in route order
    cards = page.get_by_role("list", name="Route").get_by_role("article")
    expect(cards).to_have_count(len(visits))
    titles = cards.locator("h2").all_inner_texts()
    assert [t.split(" · ")[0].strip().split()[-1] for t in titles] == [v["job"] for v in visits]
    first = visits[0]
    expect(cards.first).to_contain_text(first["address"])
    expect(cards.first).to_contain_text("ETA")

    # the first visit still open (another page test may have worked on the route)
    open_visit = next(v for v in visits if v["status"] in ("scheduled", "dispatched"))
    code = open_visit["job"]
    card = page.get_by_role("article", name=re.compile(rf"\b{code}\b"))
    card.get_by_role("button", name="En route").click()
    expect(card.get_by_text("En route", exact=True)).to_be_visible()  # the status badge
    card.get_by_role("button", name="On site").click()
    form = card.get_by_role("form", name=f"Report for {code}")
    expect(form).to_be_visible()
    expect(form.get_by_label("Reason")).to_be_hidden()  # only an incomplete visit has one

    # a completed visit without the customer's sign-off is refused, naming the field
    form.get_by_label("Work done").fill("Replaced the faulty part; tested two cycles.")
    form.get_by_role("button", name="Submit report").click()
    expect(form.get_by_role("alert")).to_contain_text("signed_by")
    expect(form.get_by_label("Customer sign-off name")).to_have_attribute("aria-invalid", "true")

    parts = {p["sku"]: p["quantity"] for p in open_visit["parts"]}
    for sku, quantity in parts.items():  # pre-filled with what the job needs
        expect(form.get_by_label(re.compile(rf"Quantity used of .*\({re.escape(sku)}\)"))).to_have_value(
            str(quantity)
        )
    form.get_by_label("Customer sign-off name").fill("Mr Chen")
    form.get_by_role("button", name="Submit report").click()
    expect(card.get_by_text("Visit completed.")).to_be_visible()

    # persisted, not just shown: the API reports the job completed by this engineer, with the
    # report's event, and the final report cannot be sent twice
    headers = live_app.headers("dispatcher")
    job = httpx.get(f"{live_app.base_url}/api/v1/jobs/{code}", headers=headers).json()
    assert job["status"] == "completed" and job["engineer"] == live_app.engineer_code
    events = httpx.get(f"{live_app.base_url}/api/v1/jobs/{code}/events", headers=headers).json()
    assert [e["to_status"] for e in events][-3:] == ["en_route", "on_site", "completed"]
    assert events[-1]["note"] == "service report"
    again = httpx.post(
        f"{live_app.base_url}/api/v1/me/jobs/{code}/report",
        headers=live_app.headers("engineer"),
        json={"outcome": "completed", "signed_by": "x"},
    )
    assert again.status_code == 409 and again.json()["detail"][0]["loc"] == ["report"]
    stored = _stored_report(live_app, code)
    assert stored == ("completed", "Replaced the faulty part; tested two cycles.", parts, "Mr Chen")

    # a reload shows the stored state too
    page.reload()
    expect(page.get_by_role("article", name=re.compile(rf"\b{code}\b"))).to_contain_text("Completed")


def _stored_report(live_app: LiveApp, code: str) -> tuple[str, str, dict[str, int], str]:
    """The service report row as stored (the API has no read route for reports yet)."""
    from sqlalchemy import select

    from dispatch import models as m
    from dispatch.db import make_engine, session_factory

    engine = make_engine(live_app.database_url)
    try:
        with session_factory(engine)() as s:
            row = s.scalars(
                select(m.ServiceReport)
                .join(m.Job, m.Job.id == m.ServiceReport.job_id)
                .where(m.Job.code == code)
            ).one()
            used = {p["sku"]: int(p["quantity"]) for p in row.parts_used}
            return row.outcome.value, row.work_done, used, row.signed_by
    finally:
        engine.dispose()


def _scroll_width(page: Page) -> int:
    width: int = page.evaluate("document.scrollingElement.scrollWidth")
    return width


def test_the_page_fits_a_360_pixel_screen(phone_page: Page, live_app: LiveApp) -> None:
    page = phone_page
    # a visit on site, so the widest part of the page (the report form) is shown too
    visits = _route(live_app)["visits"]
    assert isinstance(visits, list)
    code = next(v["job"] for v in visits if v["status"] in ("scheduled", "dispatched"))
    for status in ("en_route", "on_site"):
        r = httpx.post(
            f"{live_app.base_url}/api/v1/me/jobs/{code}/status",
            headers=live_app.headers("engineer"),
            json={"status": status},
        )
        assert r.status_code == 200, r.text
    page.goto(f"/m?date={DAY}")
    expect(page.get_by_label("Token")).to_be_visible()
    assert _scroll_width(page) <= 360, "the login form overflows"
    page.get_by_label("Token").fill(live_app.tokens["engineer"])
    page.get_by_role("button", name="Log in").click()
    form = page.get_by_role("form", name=f"Report for {code}")
    expect(form).to_be_visible()
    form.get_by_label("Incomplete").check()
    expect(form.get_by_label("Reason")).to_be_visible()
    form.get_by_role("button", name="Add another part").click()
    expect(form.get_by_label("Other part 1: SKU")).to_be_visible()
    width = _scroll_width(page)
    assert width <= 360, f"horizontal overflow: {width}px on a 360px screen"


def test_engineer_collects_a_depot_stop_and_the_stock_follows(phone_page: Page, live_app: LiveApp) -> None:
    """A planned depot stop on the published plan: the engineer taps "Collected"; the parts
    move from the depot's books to the van's, and the page shows the stop as collected."""
    from dispatch.db import make_engine, session_factory
    from dispatch.users import create_user

    staff = live_app.headers("dispatcher")
    plans = httpx.get(f"{live_app.base_url}/api/v1/plans", params={"territory": "GZ"}, headers=staff).json()
    published = next(p for p in plans if p["status"] == "published")
    doc = httpx.get(f"{live_app.base_url}/api/v1/plans/{published['id']}", headers=staff).json()
    # Not the shared engineer's route if another has a stop: the earlier test finished a visit
    # there, whose parts would no longer be waiting at the depot.
    with_stop = [r for r in doc["routes"] if any(v["kind"] == "depot" for v in r["visits"])]
    route = min(with_stop, key=lambda r: r["engineer"] == live_app.engineer_code)
    stop = next(v for v in route["visits"] if v["kind"] == "depot")
    if route["engineer"] == live_app.engineer_code:  # the shared engineer user already exists
        token = live_app.tokens["engineer"]
    else:
        sessions = session_factory(make_engine(live_app.database_url))
        with sessions.begin() as s:
            token = create_user(s, f"e2e-depot-{route['engineer']}", "engineer", route["engineer"])[1]
    who = {"Authorization": f"Bearer {token}"}

    def shelf() -> dict[str, int]:
        rows = httpx.get(f"{live_app.base_url}/api/v1/depots/{stop['depot']}/stock", headers=staff).json()
        return {r["sku"]: r["quantity"] for r in rows}

    before = shelf()
    page = phone_page
    page.goto(f"/m?date={DAY}")
    page.get_by_label("Token").fill(token)
    page.get_by_role("button", name="Log in").click()
    button = page.get_by_role("button", name=re.compile("^Collected at"))
    expect(button.first).to_be_visible()
    button.first.click()
    expect(page.get_by_text(re.compile(r"^Collected \d"))).to_be_visible()

    mine = httpx.get(f"{live_app.base_url}/api/v1/me/route", params={"date": DAY}, headers=who).json()
    done = next(p for p in mine["pickups"] if p["seq"] == stop["seq"])
    assert done["collected_at"] is not None
    after = shelf()
    for sku, units in stop["loads"].items():
        assert after[sku] <= before[sku] - units  # loaded for later visits (more if refilled)
    again = httpx.post(f"{live_app.base_url}/api/v1/me/depot-stops/{done['visit']}/collect", headers=who)
    assert again.status_code == 409

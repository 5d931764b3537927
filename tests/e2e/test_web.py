"""The web-serving infrastructure: pages and static files come from the app itself, stay out
of the OpenAPI document, and the shared login/API module works in a real browser."""

from __future__ import annotations

import httpx
from playwright.sync_api import Page, expect

from tests.e2e.live import LiveApp


def test_pages_and_modules_are_served_outside_the_api_schema(live_app: LiveApp) -> None:
    base = live_app.base_url
    m = httpx.get(f"{base}/m")
    assert m.status_code == 200 and m.headers["content-type"].startswith("text/html")
    js = httpx.get(f"{base}/static/common/api.js")
    assert js.status_code == 200
    assert "javascript" in js.headers["content-type"]  # browsers refuse ES modules otherwise
    assert "export async function api(" in js.text
    assert httpx.get(f"{base}/static/nothing-here.js").status_code == 404
    paths = httpx.get(f"{base}/openapi.json").json()["paths"]
    assert not [p for p in paths if not p.startswith("/api/v1/")]


def test_a_bad_token_is_refused_and_forgotten(phone_page: Page) -> None:
    page = phone_page
    page.goto("/m?date=2026-11-24")
    page.get_by_label("Token").fill("fsd_not-a-token")
    page.get_by_role("button", name="Log in").click()
    # the first API call says why, and the next visit asks for a token again
    expect(page.get_by_role("alert").filter(has_text="401")).to_be_visible()
    assert page.evaluate("localStorage.getItem('dispatch.token')") is None

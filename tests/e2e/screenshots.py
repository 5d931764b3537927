"""Screenshots of the web pages for the docs, on the demo data: ``python -m tests.e2e.screenshots``
(writes ``docs/engineer-page-phone.png`` at 360×740 and ``docs/engineer-page-desktop.png`` at
1366×850). Not part of the test run: images change with every styling tweak.

The engineer's day is shown mid-morning: the first visit done, the second en route."""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import httpx
from playwright.sync_api import Browser, ViewportSize, sync_playwright

from tests.e2e.live import DESKTOP, PHONE, LiveApp, launch_chromium, running_app

DOCS = Path(__file__).resolve().parents[2] / "docs"


def _engineer_mid_morning(app: LiveApp) -> None:
    """Through the engineer's own API: finish the first visit, set off to the second."""
    base, headers = f"{app.base_url}/api/v1/me", app.headers("engineer")
    visits = httpx.get(f"{base}/route", params={"date": app.day.isoformat()}, headers=headers).json()[
        "visits"
    ]

    def post(path: str, body: dict[str, object]) -> None:
        httpx.post(f"{base}{path}", json=body, headers=headers).raise_for_status()

    first = visits[0]
    post(f"/jobs/{first['job']}/status", {"status": "en_route"})
    post(f"/jobs/{first['job']}/status", {"status": "on_site"})
    used = {p["sku"]: p["quantity"] for p in first["parts"]}
    post(
        f"/jobs/{first['job']}/report",
        {
            "outcome": "completed",
            "work_done": "Replaced and tested.",
            "parts_used": used,
            "signed_by": "Ms Li",
        },
    )
    if len(visits) > 1:
        post(f"/jobs/{visits[1]['job']}/status", {"status": "en_route"})


def shoot(browser: Browser, app: LiveApp, path: str, who: str, viewport: ViewportSize, out: Path) -> None:
    """One page, logged in as ``who``, at ``viewport`` (the visible area, not the full page)."""
    context = browser.new_context(viewport=viewport, base_url=app.base_url, locale="en-GB")
    context.add_init_script(f"localStorage.setItem('dispatch.token', {json.dumps(app.tokens[who])})")
    page = context.new_page()
    page.goto(path)
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(out))
    context.close()
    print(f"wrote {out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DOCS, help="Directory for the PNG files.")
    parser.add_argument("--plan-seconds", type=float, default=10.0, help="Solver time for the demo plan.")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_app(Path(tmp), plan_seconds=args.plan_seconds) as app,
        sync_playwright() as p,
    ):
        _engineer_mid_morning(app)
        browser = launch_chromium(p)
        page = f"/m?date={app.day.isoformat()}"
        shoot(browser, app, page, "engineer", PHONE, args.out / "engineer-page-phone.png")
        shoot(browser, app, page, "engineer", DESKTOP, args.out / "engineer-page-desktop.png")
        browser.close()


if __name__ == "__main__":
    main()

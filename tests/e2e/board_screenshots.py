"""Screenshots of the dispatch board for the docs, on the demo data:
``python -m tests.e2e.board_screenshots`` writes ``docs/board-desktop.png`` (1366 px wide, the
whole page) and ``docs/board-phone.png`` (360×740). Not part of the test run: images change
with every styling tweak.

The board shows the published Guangzhou plan at 10:30 on the demo day (the browser's clock, for
the "now" line), with one engineer's route picked out."""

from __future__ import annotations

import argparse
import json
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

from playwright.sync_api import Browser, ViewportSize, sync_playwright

from tests.e2e.live import DESKTOP, PHONE, LiveApp, launch_chromium, running_app

DOCS = Path(__file__).resolve().parents[2] / "docs"
MID_MORNING = datetime(2026, 11, 24, 10, 30, tzinfo=timezone(timedelta(hours=8)))


def shoot(browser: Browser, app: LiveApp, viewport: ViewportSize, out: Path, *, full_page: bool) -> None:
    context = browser.new_context(viewport=viewport, base_url=app.base_url, locale="en-GB")
    context.add_init_script(f"localStorage.setItem('dispatch.token', {json.dumps(app.tokens['dispatcher'])})")
    page = context.new_page()
    page.clock.set_system_time(MID_MORNING)
    page.goto(f"/board?territory={app.territory}&day={app.day.isoformat()}")
    page.get_by_test_id("route-path").first.wait_for()
    # Pick out the engineer user's route: its visits and path stand out, the rest dim.
    row = page.locator(f'[data-testid="timeline-row"][data-engineer="{app.engineer_code}"]')
    row.get_by_test_id("visit").first.click()
    page.mouse.move(0, 0)  # no hover tooltip in the picture
    page.evaluate("window.scrollTo(0, 0)")  # the click scrolled the timeline into view
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(out), full_page=full_page)
    context.close()
    print(f"wrote {out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--out", type=Path, default=DOCS, help="Directory for the PNG files.")
    parser.add_argument("--plan-seconds", type=float, default=10.0, help="Solver time for the demo plan.")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_app(Path(tmp), plan_seconds=args.plan_seconds) as app,
        sync_playwright() as p,
    ):
        browser = launch_chromium(p)
        shoot(browser, app, DESKTOP, args.out / "board-desktop.png", full_page=True)
        shoot(browser, app, PHONE, args.out / "board-phone.png", full_page=False)
        browser.close()


if __name__ == "__main__":
    main()

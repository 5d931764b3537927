"""Plans through the API: a run is accepted (202), polled to the end on the worker pool, read
as JSON and GeoJSON, checked against the solver's own checker, and published."""

from __future__ import annotations

import time
from datetime import datetime

from tests.api.conftest import Api


def _wait(api: Api, run_id: str, timeout: float = 120) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = api.get(f"/plans/runs/{run_id}").json()
        if run["status"] in ("succeeded", "failed"):
            return dict(run)
        assert 0.0 <= run["progress"] <= 1.0
        time.sleep(0.2)
    raise AssertionError(f"run {run_id} did not finish in {timeout} s")


def test_a_plan_run_is_accepted_polled_read_and_published(api: Api) -> None:
    r = api.post("/plans/runs", json={"territory": "FD", "day": "2026-11-24", "time_limit": 2})
    assert r.status_code == 202, r.text
    run = r.json()
    assert run["status"] == "queued" and r.headers["location"].endswith(f"/plans/runs/{run['id']}")
    done = _wait(api, run["id"])
    assert done["status"] == "succeeded", done["message"]
    plan_id = done["plan_id"]
    plan = api.get(f"/plans/{plan_id}").json()
    visited = [v["job"] for r in plan["routes"] for v in r["visits"] if v["kind"] == "job"]
    assert plan["status"] == "draft" and plan["kpis"]["served"] == len(visited)
    assert len(set(visited)) == len(visited)
    assert plan["unassigned"] and all(u["reason"] for u in plan["unassigned"])  # each says why
    geo = api.get(f"/plans/{plan_id}/geojson")
    assert geo.headers["content-type"] == "application/geo+json"
    features = geo.json()["features"]
    lines = [f for f in features if f["geometry"]["type"] == "LineString"]
    assert len(lines) == len(plan["routes"])
    assert sum(1 for f in features if f["properties"]["kind"] == "visit") == len(visited)
    for f in features:
        if f["geometry"]["type"] == "Point":
            lon, lat = f["geometry"]["coordinates"]
            assert 21 < lat < 25 and 111 < lon < 116  # lon/lat order, in the Pearl River Delta
    listed = api.get("/plans", params={"territory": "FD", "day": "2026-11-24"}).json()
    assert [p["id"] for p in listed] == [plan_id]
    r = api.post(f"/plans/{plan_id}/publish", json={"dispatch_now": False})
    assert r.status_code == 200 and r.json()["status"] == "published"
    assert api.post(f"/plans/{plan_id}/publish").status_code == 409
    job = api.get(f"/jobs/{visited[0]}").json()
    assert job["status"] == "scheduled" and job["engineer"] is not None


def test_runs_refuse_unknown_territories_and_bad_horizons(api: Api) -> None:
    r = api.post("/plans/runs", json={"territory": "XX", "day": "2026-11-24"})
    assert r.status_code == 404 and r.json()["detail"][0]["loc"] == ["territory"]
    r = api.post("/plans/runs", json={"territory": "GZ", "day": "2026-11-24", "days": 30})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "days"
    assert api.get("/plans/runs/nope").status_code == 404
    assert api.get("/plans/999999").status_code == 404


def test_replanning_the_rest_of_the_day_runs_from_as_of(api: Api) -> None:
    as_of = "2026-11-24T13:30:00+08:00"
    r = api.post(
        "/plans/replan", json={"territory": "FD", "day": "2026-11-24", "as_of": as_of, "time_limit": 2}
    )
    assert r.status_code == 202, r.text
    done = _wait(api, r.json()["id"])
    assert done["status"] == "succeeded", done["message"]
    assert str(done["as_of"]).startswith("2026-11-24T05:30")  # stored in UTC
    plan = api.get(f"/plans/{done['plan_id']}").json()
    starts = [datetime.fromisoformat(v["start"]) for r in plan["routes"] for v in r["visits"]]
    assert starts and min(starts) >= datetime.fromisoformat(as_of)  # nothing before the re-plan moment

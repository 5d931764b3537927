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


def test_a_run_whose_day_cannot_be_loaded_ends_failed_with_the_reason(api: Api) -> None:
    from sqlalchemy import select

    from dispatch import models as m

    with api.sessions.begin() as s:  # a job pinned to an engineer with no shift that day
        engineer = s.scalars(select(m.Engineer).where(m.Engineer.code == "E001")).one()
        for shift in engineer.shifts:
            s.delete(shift)
        job = s.scalars(
            select(m.Job)
            .join(m.Site)
            .where(m.Site.territory_id == engineer.territory_id, m.Job.status == m.JobStatus.NEW)
        ).first()
        assert job is not None
        job.engineer_id, job.pinned = engineer.id, True
    r = api.post("/plans/runs", json={"territory": "GZ", "day": "2026-11-24", "time_limit": 1})
    assert r.status_code == 202, r.text
    done = _wait(api, r.json()["id"], timeout=60)
    assert done["status"] == "failed" and "pinned to unknown engineer 'E001'" in str(done["message"]), done
    assert done["plan_id"] is None and done["finished_at"] is not None
    for day in ("0001-01-01", "9999-12-31"):  # refused at the door, or a run that ends failed
        r = api.post("/plans/runs", json={"territory": "GZ", "day": day, "time_limit": 1})
        if r.status_code == 422:
            assert r.json()["detail"][0]["loc"] == ["body", "day"]
        else:
            assert r.status_code == 202 and _wait(api, r.json()["id"], timeout=60)["status"] == "failed"


def test_a_second_run_of_a_territory_day_gets_409_naming_the_first(api: Api) -> None:
    body = {"territory": "FD", "day": "2026-11-24", "time_limit": 1}
    first = api.post("/plans/runs", json=body).json()
    for path, extra in (("/plans/runs", {}), ("/plans/replan", {"as_of": "2026-11-24T13:30:00+08:00"})):
        r = api.post(path, json={**body, **extra})
        assert r.status_code == 409, r.text
        refused = r.json()
        assert refused["detail"][0]["loc"] == ["day"] and first["id"] in refused["detail"][0]["msg"]
        assert refused["active_run"]["id"] == first["id"]
        assert refused["active_run"]["status"] in ("queued", "running")
    assert _wait(api, first["id"])["status"] == "succeeded"
    r = api.post("/plans/runs", json=body)  # the first has ended: a new run is accepted
    assert r.status_code == 202 and r.json()["id"] != first["id"]
    assert _wait(api, r.json()["id"])["status"] == "succeeded"


def test_the_api_sweeps_runs_whose_process_stopped_at_start_and_on_a_timer(api: Api) -> None:
    import socket
    import subprocess

    from fastapi.testclient import TestClient

    from api.app import create_app
    from dispatch import models as m
    from dispatch.planning import create_run, territory_by_code
    from dispatch.settings import Settings

    dead = subprocess.Popen(["true"])
    dead.wait()
    with api.sessions.begin() as s:  # left running by a server killed on this host
        run = create_run(s, territory_by_code(s, "GZ"), datetime(2026, 11, 24).date())
        run.status, run.worker = m.RunStatus.RUNNING, f"{socket.gethostname()}:{dead.pid}"
        left = run.id
    settings = Settings(
        database_url=api.database_url, quote_workers=0, run_stale_seconds=0.5, run_sweep_seconds=0.1
    )
    with TestClient(create_app(settings)):
        got = api.get(f"/plans/runs/{left}").json()  # failed before the app served anything
        assert got["status"] == "failed" and got["message"].startswith("the process running it stopped:")
        with api.sessions.begin() as s:  # a run on another host that stops beating
            run = create_run(s, territory_by_code(s, "SZ"), datetime(2026, 11, 24).date())
            run.status, run.worker = m.RunStatus.RUNNING, "another-host:4242"
            silent = run.id
        deadline = time.monotonic() + 2
        while api.get(f"/plans/runs/{silent}").json()["status"] != "failed":
            assert time.monotonic() < deadline, "the timer never swept the silent run"
            time.sleep(0.1)
    assert "no heartbeat from another-host:4242" in api.get(f"/plans/runs/{silent}").json()["message"]

"""Dispatcher resources: engineers, shifts, van stock, sites, jobs; errors name the field."""

from __future__ import annotations

from tests.api.conftest import Api


def test_engineer_crud_with_skills_shifts_and_van_stock(api: Api) -> None:
    body = {
        "code": "E900",
        "name": "Wu Fang",
        "territory": "GZ",
        "home_lat": 23.12,
        "home_lon": 113.3,
        "skills": {"aircon": 2, "fridge": 1},
    }
    r = api.post("/engineers", json=body)
    assert r.status_code == 201, r.text
    assert r.json()["skills"] == {"aircon": 2, "fridge": 1}
    assert api.post("/engineers", json=body).status_code == 409
    r = api.patch("/engineers/E900", json={"skills": {"aircon": 3}, "phone": "+86 1"})
    assert r.status_code == 200 and r.json()["skills"] == {"aircon": 3}
    shift = {
        "start": "2026-11-25T08:00+08:00",
        "end": "2026-11-25T17:00+08:00",
        "break_earliest": "2026-11-25T12:00+08:00",
        "break_latest_end": "2026-11-25T14:00+08:00",
        "break_minutes": 30,
    }
    assert api.put("/engineers/E900/shifts/2026-11-25", json=shift).status_code == 201
    assert api.put("/engineers/E900/shifts/2026-11-25", json=shift).status_code == 200
    assert [s["day"] for s in api.get("/engineers/E900/shifts").json()] == ["2026-11-25"]
    r = api.put("/engineers/E900/stock/AC-CAP-35", json={"quantity": 4})
    assert r.status_code == 200 and r.json()["quantity"] == 4
    assert api.get("/engineers/E900/stock").json()[0]["sku"] == "AC-CAP-35"
    assert api.delete("/engineers/E900/shifts/2026-11-25").status_code == 204
    assert api.delete("/engineers/E900").status_code == 204
    assert api.get("/engineers/E900").json()["active"] is False


def test_bad_bodies_are_422_naming_the_field(api: Api) -> None:
    r = api.post(
        "/engineers",
        json={"code": "E901", "name": "X", "territory": "GZ", "home_lat": 123.0, "home_lon": 113.3},
    )
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "home_lat"
    r = api.put(
        "/engineers/E001/shifts/2026-11-26",
        json={"start": "2026-11-26T17:00+08:00", "end": "2026-11-26T08:00+08:00"},
    )
    assert r.status_code == 422 and "end must be after start" in r.text
    r = api.post("/jobs", json={"site": "S0001", "duration_minutes": -5, "skills": {"aircon": 1}})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "duration_minutes"
    r = api.post("/jobs", json={"site": "S0001", "duration_minutes": 30, "skills": {"telepathy": 1}})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["skills", "telepathy"]
    past = {"start": "2020-01-01T08:00+08:00", "end": "2020-01-01T10:00+08:00"}
    r = api.post(
        "/jobs", json={"site": "S0001", "duration_minutes": 30, "skills": {"aircon": 1}, "windows": [past]}
    )
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["windows", "0", "end"]
    backwards = {"start": "2030-01-01T10:00+08:00", "end": "2030-01-01T08:00+08:00"}
    r = api.post(
        "/jobs",
        json={"site": "S0001", "duration_minutes": 30, "skills": {"aircon": 1}, "windows": [backwards]},
    )
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][:2] == ["body", "windows"]
    r = api.post("/jobs", json={"site": "NOPE", "duration_minutes": 30, "skills": {"aircon": 1}})
    assert r.status_code == 404 and r.json()["detail"][0]["loc"] == ["site"]
    r = api.post(
        "/sites",
        json={"code": "S9", "customer": "C0001", "territory": "GZ", "address": "x", "lat": 23, "lon": 200},
    )
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "lon"


def test_a_job_gets_its_sla_deadline_from_the_contract_and_moves_along_its_lifecycle(api: Api) -> None:
    r = api.post(
        "/jobs",
        who="agent",
        json={"site": "S0002", "asset": "WA07000002", "duration_minutes": 40, "skills": {"water_heater": 1}},
    )
    assert r.status_code == 201, r.text
    job = r.json()
    assert job["sla_policy"] == "GOLD" and job["response_deadline"] is not None and job["status"] == "new"
    code = job["code"]
    r = api.post(f"/jobs/{code}/status", json={"status": "completed"})
    assert r.status_code == 409 and "cannot go from new to completed" in r.text
    assert api.post(f"/jobs/{code}/status", json={"status": "scheduled"}).status_code == 200
    r = api.post(f"/jobs/{code}/cancel", who="agent")
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    events = api.get(f"/jobs/{code}/events").json()
    assert [e["to_status"] for e in events] == ["new", "scheduled", "cancelled"]
    assert events[-1]["actor"] == "agent:agent-1"

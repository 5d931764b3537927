"""The promises hold, through the API, on SQLite and PostgreSQL: cover is picked on the
territory's local date whatever offset the call time is written with, the job shows its cover,
a credit hold set through the API stops quotes, bookings and new jobs, and a quote says whether
any slot keeps the SLA promise."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from dispatch import models as m
from dispatch.db import transaction
from tests.api.conftest import Api
from tests.api.test_bookings import CST, DAY, HEATER, NOW, at


def quote(api: Api, now: datetime = NOW, **body: Any) -> Any:
    at(api, now)
    return api.post(
        "/bookings/quote", who="agent", json={"preferred_days": [DAY.isoformat()], **HEATER, **body}
    )


def test_post_jobs_picks_the_cover_on_the_local_date_whatever_the_offset(api: Api) -> None:
    """C0002's GOLD contract ends on 30 November. A call at 07:00 on 1 December in Guangzhou
    (23:00 UTC the day before) is chargeable, quoted and booked alike, written with Z or +08:00."""
    with transaction(api.sessions) as s:
        s.execute(update(m.Contract).where(m.Contract.code == "K0002").values(ends_on=date(2026, 11, 30)))
    call = datetime(2026, 12, 1, 7, 0, tzinfo=CST)
    at(api, call + timedelta(minutes=5))
    r = api.post("/bookings/quote", who="agent", json=HEATER)
    assert r.status_code == 201, r.text
    assert r.json()["entitlement"]["cover"] == "chargeable"
    assert r.json()["entitlement"]["sla_policy"] == "BASIC"
    out = []
    for code, written in (("J-Z", "2026-11-30T23:00:00Z"), ("J-CST", "2026-12-01T07:00:00+08:00")):
        r = api.post("/jobs", who="agent", json={**HEATER, "code": code, "reported_at": written})
        assert r.status_code == 201, r.text
        out.append(r.json())
    for job in out:
        assert (job["sla_policy"], job["cover"], job["contract"], job["billable"]) == (
            "BASIC",
            "chargeable",
            None,
            True,
        ), job["code"]
    assert out[0]["response_deadline"] == out[1]["response_deadline"]
    # The contract's last day, local time (12:00 UTC): GOLD under K0002, not billed.
    r = api.post(
        "/jobs", who="agent", json={**HEATER, "code": "J-LAST", "reported_at": "2026-11-30T20:00+08:00"}
    )
    assert r.status_code == 201, r.text
    last = api.get("/jobs/J-LAST", who="agent").json()
    assert (last["sla_policy"], last["cover"], last["contract"], last["billable"]) == (
        "GOLD",
        "contract",
        "K0002",
        False,
    )
    listed = {j["code"]: j for j in api.get("/jobs", params={"site": "S0002"}).json()}
    assert listed["J-Z"]["cover"] == "chargeable" and listed["J-LAST"]["contract"] == "K0002"


def _hold(api: Api, code: str, on: bool, who: str = "dispatcher") -> Any:
    return api.put(f"/customers/{code}/credit-hold", who=who, json={"on_hold": on})


def _book(api: Api, quote_id: str, slot_id: str, key: str) -> Any:
    return api.post(
        "/bookings",
        who="agent",
        json={"quote_id": quote_id, "slot_id": slot_id},
        headers={"Idempotency-Key": key},
    )


def test_a_credit_hold_set_through_the_api_stops_quotes_bookings_and_jobs(api: Api) -> None:
    q = quote(api).json()
    assert q["slots"], q
    r = _hold(api, "C0002", True)
    assert r.status_code == 200, r.text
    assert r.json() == {
        "code": "C0002",
        "name": "Zhang Ying household",
        "phone": "+86 138 6576 9048",
        "on_credit_hold": True,
    }
    assert _hold(api, "C0002", True).json()["on_credit_hold"] is True  # idempotent
    assert _hold(api, "C0002", False, who="agent").status_code == 403
    r = _hold(api, "C9999", True)
    assert r.status_code == 404 and r.json()["detail"][0]["loc"] == ["customer"]
    # The quote given before the hold cannot be booked; no new quote or job either.
    r = _book(api, q["quote_id"], q["slots"][0]["slot_id"], "held-1")
    assert r.status_code == 409 and r.json()["detail"][0]["loc"] == ["customer"], r.text
    r = quote(api)
    assert r.status_code == 409 and r.json()["detail"][0]["loc"] == ["customer"]
    r = api.post("/jobs", who="agent", json=HEATER)
    assert r.status_code == 409 and r.json()["detail"][0]["loc"] == ["customer"]
    with api.sessions() as s:
        assert s.scalars(select(m.Booking)).first() is None
    # Released: the caller is booked, and the job keeps its cover.
    r = _hold(api, "C0002", False)
    assert r.status_code == 200 and r.json()["on_credit_hold"] is False
    q = quote(api).json()
    r = _book(api, q["quote_id"], q["slots"][0]["slot_id"], "released-1")
    assert r.status_code == 201, r.text
    job = api.get(f"/jobs/{r.json()['job']}", who="agent").json()
    assert (job["cover"], job["contract"], job["billable"], job["sla_policy"]) == (
        "contract",
        "K0002",
        False,
        "GOLD",
    )


def test_a_quote_says_whether_any_slot_keeps_the_promise(api: Api) -> None:
    r = quote(api)  # GOLD: on site by Tuesday 12:00; Tuesday morning slots keep it
    assert r.status_code == 201, r.text
    assert r.json()["promise_kept_by_any_slot"] is True
    assert any(s["sla_kept"] for s in r.json()["slots"])
    # P1 (4 h round the clock) from Monday 10:00 is due Monday 14:00: every Tuesday slot is late.
    with transaction(api.sessions) as s:
        p1 = s.scalars(select(m.SlaPolicy.id).where(m.SlaPolicy.code == "P1")).one()
        s.execute(update(m.Contract).where(m.Contract.code == "K0002").values(sla_policy_id=p1))
    r = quote(api)
    assert r.status_code == 201, r.text
    q = r.json()
    assert datetime.fromisoformat(q["response_deadline"]) == NOW + timedelta(hours=4)
    assert q["slots"] and not any(s["sla_kept"] for s in q["slots"])
    assert q["promise_kept_by_any_slot"] is False
    # No slot at all (nobody works on Wednesday) keeps no promise either.
    r = quote(api, preferred_days=["2026-11-25"])
    assert r.status_code == 201 and r.json()["slots"] == [] and r.json()["promise_kept_by_any_slot"] is False

"""Whatever the time of the call and the SLA calendar, a quote never promises the past: the
response deadline and every offered slot's arrival come after the call (property-based).

No plan yet and nobody has set off, so each engineer starts from home, no earlier than the
call or the shift: any visit is reached at least the direct drive later (travel times obey the
triangle inequality: speeds rise with trip length, so a detour never saves time)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from dispatch import models as m
from dispatch.db import transaction
from solver import Location, TravelMatrix
from solver.travel import GreatCircleProvider
from tests.api.conftest import Api
from tests.api.plans_helper import CST, DAY
from tests.api.test_bookings import HEATER
from tests.api.test_same_day_promises import only

CALENDARS = [
    {"calendar": m.Calendar.ALWAYS, "weekly_hours": "", "holidays": ""},
    {"calendar": m.Calendar.BUSINESS_HOURS, "weekly_hours": "", "holidays": ""},
    {"calendar": m.Calendar.BUSINESS_HOURS, "weekly_hours": "", "holidays": "2026-11-24;2026-11-25"},
    {
        "calendar": m.Calendar.BUSINESS_HOURS,
        "weekly_hours": "1=08:00-12:00;2=13:00-17:30;3=07:00-20:00;6=09:00-11:00",
        "holidays": "",
    },
]

def _matrix(engineer: m.Engineer, site: m.Site) -> TravelMatrix:
    points = [Location(lat=engineer.home_lat, lon=engineer.home_lon), Location(lat=site.lat, lon=site.lon)]
    return GreatCircleProvider().matrix(points)


def _between(a: datetime, b: datetime) -> st.SearchStrategy[datetime]:
    return st.datetimes(min_value=a, max_value=b, timezones=st.just(CST)).map(
        lambda d: d.replace(second=0, microsecond=0)
    )


# Mostly during the planned day (same-day slots), some the day before.
calls = st.one_of(
    _between(datetime(2026, 11, 24, 6, 0), datetime(2026, 11, 24, 17, 0)),
    _between(datetime(2026, 11, 24, 6, 0), datetime(2026, 11, 24, 17, 0)),
    _between(datetime(2026, 11, 23, 0, 0), datetime(2026, 11, 24, 6, 0)),
)


def test_no_quote_promises_before_the_call(api: Api) -> None:
    far = only(api, "E015")  # 94 minutes from the site: the case where it shows
    with api.sessions() as s:
        site = s.scalars(select(m.Site).where(m.Site.code == HEATER["site"])).one()
        drive = {
            e.code: timedelta(seconds=int(_matrix(e, site).durations[0, 1]))
            for e in s.scalars(select(m.Engineer))
        }
        shift_start = {
            (e.code, sh.day): sh.start for e in s.scalars(select(m.Engineer)) for sh in e.shifts
        }

    @settings(
        max_examples=40,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(
        call=calls,
        calendar=st.sampled_from(CALENDARS),
        minutes=st.sampled_from([60, 240, 720, 1200]),
        request=st.sampled_from([HEATER, far]),
    )
    def check(call: datetime, calendar: dict[str, object], minutes: int, request: dict[str, Any]) -> None:
        with transaction(api.sessions) as s:
            gold = s.scalars(select(m.SlaPolicy).where(m.SlaPolicy.code == "GOLD")).one()
            for key, value in calendar.items():
                setattr(gold, key, value)
            gold.response_minutes = minutes
            gold.resolution_minutes = 2 * minutes
        api.client.app.state.clock = lambda: call  # type: ignore[attr-defined]
        today = call.astimezone(CST).date()
        days = sorted({today, DAY} - {d for d in (DAY,) if d < today})
        body = {**request, "preferred_days": [d.isoformat() for d in days]}
        r = api.post("/bookings/quote", who="agent", json=body)
        assert r.status_code == 201, r.text
        q = r.json()
        deadline = datetime.fromisoformat(q["response_deadline"])
        assert deadline > call
        assert q["entitlement"]["sla_policy"] == "GOLD"
        for slot in q["slots"]:
            start, end, eta = (datetime.fromisoformat(slot[k]) for k in ("start", "end", "eta"))
            assert call <= start and call <= eta, (call, slot)
            assert start <= eta <= end
            leaves = max(call, shift_start[slot["engineer"], start.astimezone(CST).date()])
            assert eta >= leaves + drive[slot["engineer"]] - timedelta(seconds=2), (call, slot)
            assert slot["sla_kept"] is (eta <= deadline)
            assert end - start == timedelta(hours=2)

    check()

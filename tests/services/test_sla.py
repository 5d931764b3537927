"""Deadlines on calendars: 24x7 counts every minute, business hours only working time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dispatch.models import Calendar, SlaPolicy
from dispatch.sla import add_minutes, calendar_of, parse_weekly_hours

CST = timezone(timedelta(hours=8))


def policy(calendar: Calendar) -> SlaPolicy:
    return SlaPolicy(
        code="X",
        name="x",
        tier=1,
        response_minutes=60,
        resolution_minutes=60,
        calendar=calendar,
        business_start_hour=8,
        business_end_hour=18,
        business_days="12345",
    )


def test_round_the_clock_is_plain_addition() -> None:
    start = datetime(2026, 11, 27, 22, 0, tzinfo=CST)  # Friday night
    assert add_minutes(policy(Calendar.ALWAYS), start, 240, "Asia/Shanghai") == datetime(
        2026, 11, 27, 18, tzinfo=UTC
    )


def test_business_hours_skip_nights_and_weekends() -> None:
    p = policy(Calendar.BUSINESS_HOURS)
    friday_4pm = datetime(2026, 11, 27, 16, 0, tzinfo=CST)
    # 2 h left on Friday, then Monday 08:00 + 1 h.
    assert add_minutes(p, friday_4pm, 180, "Asia/Shanghai") == datetime(2026, 11, 30, 9, 0, tzinfo=CST)
    sunday = datetime(2026, 11, 29, 12, 0, tzinfo=CST)
    assert add_minutes(p, sunday, 30, "Asia/Shanghai") == datetime(2026, 11, 30, 8, 30, tzinfo=CST)
    early = datetime(2026, 11, 24, 6, 0, tzinfo=CST)
    assert add_minutes(p, early, 600, "Asia/Shanghai") == datetime(2026, 11, 24, 18, 0, tzinfo=CST)


# --- calendars with weekly hours and holidays, and their properties --------------------------


TZ = "Asia/Shanghai"


def weekday_policy(minutes: int = 720, weekly_hours: str = "", holidays: str = "") -> SlaPolicy:
    return SlaPolicy(
        code="B",
        name="b",
        tier=1,
        response_minutes=minutes,
        resolution_minutes=minutes,
        calendar=Calendar.BUSINESS_HOURS,
        business_start_hour=8,
        business_end_hour=18,
        business_days="12345",
        weekly_hours=weekly_hours,
        holidays=holidays,
    )


def test_a_friday_evening_call_under_12_business_hours_lands_on_tuesday() -> None:
    friday_1730 = datetime(2026, 11, 27, 17, 30, tzinfo=CST)
    # 30 min on Friday, 10 h on Monday, 1.5 h on Tuesday.
    assert add_minutes(weekday_policy(), friday_1730, 720, TZ) == datetime(2026, 12, 1, 9, 30, tzinfo=CST)
    # With Monday a holiday, Tuesday and Wednesday carry it.
    monday_off = weekday_policy(holidays="2026-11-30")
    assert add_minutes(monday_off, friday_1730, 720, TZ) == datetime(2026, 12, 2, 9, 30, tzinfo=CST)
    # Saturday mornings open: 30 min Friday + 4 h Saturday + 7.5 h Monday.
    saturdays = weekday_policy(
        weekly_hours="1=08:00-18:00;2=08:00-18:00;3=08:00-18:00;4=08:00-18:00;5=08:00-18:00;6=09:00-13:00"
    )
    assert add_minutes(saturdays, friday_1730, 720, TZ) == datetime(2026, 11, 30, 15, 30, tzinfo=CST)


def test_bad_weekly_hours_are_refused_with_the_reason() -> None:
    for text, reason in [
        ("8=08:00-18:00", "weekday"),
        ("1=18:00-08:00", "closes before"),
        ("1=08:00", "not"),
    ]:
        with pytest.raises(ValueError, match=reason):
            parse_weekly_hours(text)


def _business_minutes(policy: SlaPolicy, a: datetime, b: datetime) -> int:
    """Brute force: count the calendar's working minutes in [a, b), minute by minute."""
    hours, holidays = calendar_of(policy)
    zone = ZoneInfo(TZ)
    t, n = a.astimezone(zone), 0
    while t < b:
        span = hours.get(t.isoweekday())
        minute = t.hour * 60 + t.minute
        if span is not None and t.date() not in holidays and span[0] <= minute < span[1]:
            n += 1
        t += timedelta(minutes=1)
    return n


starts = st.datetimes(
    min_value=datetime(2026, 11, 20), max_value=datetime(2026, 12, 10), timezones=st.just(CST)
).map(lambda d: d.replace(second=0, microsecond=0))
calendars = st.sampled_from(
    [
        weekday_policy(),
        weekday_policy(holidays="2026-11-30;2026-12-01"),
        weekday_policy(weekly_hours="1=08:00-12:00;3=13:00-17:30;6=09:00-11:00"),
    ]
)


@settings(max_examples=60, deadline=None)
@given(policy=calendars, start=starts, minutes=st.integers(min_value=1, max_value=1500))
def test_a_deadline_is_exactly_that_many_working_minutes_later(
    policy: SlaPolicy, start: datetime, minutes: int
) -> None:
    due = add_minutes(policy, start, minutes, TZ)
    assert due > start
    assert _business_minutes(policy, start, due) == minutes
    # ... and not a minute later than needed: the last minute before it is a working one.
    assert _business_minutes(policy, due - timedelta(minutes=1), due) == 1


@settings(max_examples=60, deadline=None)
@given(policy=calendars, start=starts, a=st.integers(1, 900), b=st.integers(1, 900))
def test_deadlines_add_up_and_never_run_backwards(policy: SlaPolicy, start: datetime, a: int, b: int) -> None:
    once = add_minutes(policy, start, a + b, TZ)
    assert add_minutes(policy, add_minutes(policy, start, a, TZ), b, TZ) == once
    later = start + timedelta(minutes=b)
    assert add_minutes(policy, later, a, TZ) >= add_minutes(policy, start, a, TZ)

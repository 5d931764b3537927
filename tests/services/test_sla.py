"""Deadlines on calendars: 24x7 counts every minute, business hours only working time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from dispatch.models import Calendar, SlaPolicy
from dispatch.sla import add_minutes

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

"""SLA deadlines on calendars: a 24x7 promise counts every minute, a business-hours promise
counts only minutes inside the working hours of working days, in the territory's time zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from dispatch.models import Calendar, SlaPolicy


def add_minutes(policy: SlaPolicy, start: datetime, minutes: int, tz: str) -> datetime:
    """``start`` plus ``minutes`` of ``policy``'s calendar, as aware UTC."""
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    if policy.calendar is Calendar.ALWAYS:
        return (start + timedelta(minutes=minutes)).astimezone(UTC)
    zone = ZoneInfo(tz)
    days = {int(c) for c in policy.business_days}
    t = start.astimezone(zone)
    left = timedelta(minutes=minutes)
    for _ in range(3660):  # ten years of days: a guard against a calendar with no working hours
        opens = t.replace(hour=policy.business_start_hour, minute=0, second=0, microsecond=0)
        closes = t.replace(hour=policy.business_end_hour, minute=0, second=0, microsecond=0)
        if t.isoweekday() in days and t < closes:
            t = max(t, opens)
            if t + left <= closes:
                return (t + left).astimezone(UTC)
            left -= closes - t
        t = (t + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    raise ValueError(f"SLA policy {policy.code} has no business hours")


def response_deadline(policy: SlaPolicy, reported_at: datetime, tz: str) -> datetime:
    return add_minutes(policy, reported_at, policy.response_minutes, tz)


def resolution_deadline(policy: SlaPolicy, reported_at: datetime, tz: str) -> datetime:
    return add_minutes(policy, reported_at, policy.resolution_minutes, tz)

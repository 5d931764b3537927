"""SLA deadlines on calendars: a 24x7 promise counts every minute; a business-hours promise
counts only minutes inside the working hours of working days, skipping holidays, in the
territory's time zone (so a call at 17:30 on Friday under "12 business hours" with 08:00–18:00
Monday to Friday is due on Tuesday at 10:30)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from dispatch.models import Calendar, SlaPolicy

Hours = dict[int, tuple[int, int]]  # ISO weekday → (opening minute, closing minute) of the day


def parse_weekly_hours(text: str) -> Hours:
    """``"1=08:00-18:00;6=09:00-13:00"`` → {1: (480, 1080), 6: (540, 780)}."""
    out: Hours = {}
    for item in filter(None, (p.strip() for p in text.split(";"))):
        day, sep, span = item.partition("=")
        start, dash, end = span.partition("-")
        if not sep or not dash or not day.strip().isdigit() or not 1 <= int(day) <= 7:
            raise ValueError(f"{item!r} is not WEEKDAY=HH:MM-HH:MM (weekday 1 = Monday)")
        a, b = (_minute(x) for x in (start, end))
        if b <= a:
            raise ValueError(f"{item!r} closes before it opens")
        if int(day) in out:
            raise ValueError(f"weekday {day} is listed twice")
        out[int(day)] = (a, b)
    return out


def _minute(text: str) -> int:
    t = time.fromisoformat(text.strip()) if text.strip() != "24:00" else None
    return 24 * 60 if t is None else t.hour * 60 + t.minute


def parse_holidays(text: str) -> frozenset[date]:
    return frozenset(date.fromisoformat(p.strip()) for p in text.split(";") if p.strip())


@lru_cache(maxsize=256)
def _calendar(
    weekly_hours: str, start_hour: int, end_hour: int, days: str, holidays: str
) -> tuple[Hours, frozenset[date]]:
    hours = parse_weekly_hours(weekly_hours) or {int(d): (start_hour * 60, end_hour * 60) for d in days}
    return hours, parse_holidays(holidays)


def calendar_of(policy: SlaPolicy) -> tuple[Hours, frozenset[date]]:
    """The policy's working hours per weekday and its days off."""
    return _calendar(
        policy.weekly_hours or "",
        policy.business_start_hour,
        policy.business_end_hour,
        policy.business_days,
        policy.holidays or "",
    )


def add_minutes(policy: SlaPolicy, start: datetime, minutes: int, tz: str) -> datetime:
    """``start`` plus ``minutes`` of ``policy``'s calendar, as aware UTC."""
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    if policy.calendar is Calendar.ALWAYS:
        return (start + timedelta(minutes=minutes)).astimezone(UTC)
    hours, holidays = calendar_of(policy)
    zone = ZoneInfo(tz)
    t = start.astimezone(zone)
    left = timedelta(minutes=minutes)
    for _ in range(3660):  # ten years of days: a guard against a calendar with no working hours
        span = hours.get(t.isoweekday())
        if span is not None and t.date() not in holidays:
            midnight = t.replace(hour=0, minute=0, second=0, microsecond=0)
            opens = midnight + timedelta(minutes=span[0])
            closes = midnight + timedelta(minutes=span[1])
            if t < closes:
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

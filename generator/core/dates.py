"""Human dates for pages ("16 October 2026") and ISO 8601 for data files, both in the
operator's time zone. Locale-independent on purpose: the site must not change with the
build machine's locale."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def local(moment: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    return moment.astimezone(zone)


def human_date(moment: dt.datetime | dt.date | None, zone: ZoneInfo | None = None) -> str:
    """ "16 October 2026"; a date-time not at local midnight gets its time: "16 October 2026, 09:30"."""
    if moment is None:
        return ""
    if isinstance(moment, dt.datetime):
        if zone is not None:
            moment = moment.astimezone(zone)
        day = moment.date()
        text = f"{day.day} {MONTHS[day.month - 1]} {day.year}"
        if moment.time() != dt.time(0):
            text += f", {moment:%H:%M}"
        return text
    return f"{moment.day} {MONTHS[moment.month - 1]} {moment.year}"


def iso(moment: dt.datetime | None, zone: ZoneInfo | None = None) -> str | None:
    """ISO 8601 with the operator's offset, e.g. 2026-10-16T00:00:00+08:00."""
    if moment is None:
        return None
    return (moment.astimezone(zone) if zone is not None else moment).isoformat()


def short_date(moment: dt.datetime) -> str:
    """For messages: "2026-10-16" at local midnight, else the full ISO 8601 instant."""
    return moment.date().isoformat() if moment.time() == dt.time(0) else moment.isoformat()


def local_midnight(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0, 0), tzinfo=zone)


def parse_instant(text: str, zone: ZoneInfo) -> dt.datetime:
    """`--as-of`: an ISO date (00:00 of that day, local) or date-time (local if naive)."""
    text = text.strip()
    try:
        if len(text) == 10:
            return local_midnight(dt.date.fromisoformat(text), zone)
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"cannot read {text!r} as a date or date-time; use e.g. 2026-10-16 or 2026-10-16T09:30"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(zone)

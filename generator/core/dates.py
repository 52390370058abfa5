"""Human dates for pages ("16 October 2026", in Chinese "2026年10月16日") and ISO 8601 for
data files, both in the operator's time zone. Locale-independent on purpose: the site
must not change with the build machine's locale."""

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


def _english(day: dt.date) -> str:
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def _chinese(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


DATE_STYLES = {"zh": _chinese}
"""How a language writes a day, by its primary language code; any other language: English."""


def date_style(language: str | None) -> str:
    """The key of `DATE_STYLES` that `language` ("zh", "zh-CN", "en", None) writes dates in."""
    primary = (language or "").split("-")[0].lower()
    return primary if primary in DATE_STYLES else "en"


def human_date(
    moment: dt.datetime | dt.date | None, zone: ZoneInfo | None = None, *, language: str | None = None
) -> str:
    """ "16 October 2026"; a date-time not at local midnight gets its time: "16 October 2026, 09:30".
    In Chinese (`language` "zh", "zh-CN", ...): "2026年10月16日", "2026年10月16日 09:30"."""
    if moment is None:
        return ""
    write = DATE_STYLES.get(date_style(language), _english)
    if isinstance(moment, dt.datetime):
        if zone is not None:
            moment = moment.astimezone(zone)
        text = write(moment.date())
        if moment.time() != dt.time(0):
            text += (" " if write is _chinese else ", ") + f"{moment:%H:%M}"
        return text
    return write(moment)


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


INSTANTS = (dt.datetime(2, 1, 1, tzinfo=dt.UTC), dt.datetime(9998, 12, 31, 23, 59, 59, tzinfo=dt.UTC))
"""The instants `parse_instant` takes: a year inside the calendar's limits (years 1 to 9999)
at either end, so that windows and schedules counted from one stay in range."""


def parse_instant(text: str, zone: ZoneInfo) -> dt.datetime:
    """`--as-of`: an ISO date (00:00 of that day, local) or date-time (local if naive)."""
    text = text.strip()
    try:
        if len(text) == 10:
            moment = local_midnight(dt.date.fromisoformat(text), zone)
        else:
            moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"cannot read {text!r} as a date or date-time; use e.g. 2026-10-16 or 2026-10-16T09:30"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    try:
        utc = moment.astimezone(dt.UTC)
    except OverflowError:
        utc = None
    if utc is None or not INSTANTS[0] <= utc <= INSTANTS[1]:
        raise ValueError(
            f"{text!r} lies outside {INSTANTS[0].date()} to {INSTANTS[1].date()} (UTC), where the "
            "dates computed from an instant stay within the calendar; give an instant between them"
        )
    return utc.astimezone(zone)

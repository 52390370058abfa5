"""Human dates for pages ("16 October 2026", in Chinese "2026年10月16日", in French
"16 octobre 2026") and ISO 8601 for data files, both in the operator's time zone.

Human dates are written by Babel from CLDR for the page's language (a BCP 47 tag): its
long date ("2026年10月16日", "16 octobre 2026", "16 أكتوبر 2026"), and a time other than
midnight, its short time, after it the language's way ("16 October 2026, 09:30").
English without a region is written as in the United Kingdom, day first, as the site
always wrote it (CLDR's bare English is American: "October 16, 2026"); `en-US` and every
other tag read their own CLDR locale. Locale-independent on purpose: the site must not
change with the build machine's locale.
"""

from __future__ import annotations

import datetime as dt
import functools
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_time

ENGLISH = "en_GB"
"""The CLDR locale of English without a region (and of a tag CLDR does not know)."""


@functools.lru_cache(maxsize=64)
def _locale(language: str | None) -> Locale:
    if not language or language.lower() == "en":
        return Locale.parse(ENGLISH)
    try:
        return Locale.parse(language, sep="-")
    except (ValueError, UnknownLocaleError):
        return Locale.parse(ENGLISH)


@functools.lru_cache(maxsize=4096)
def _day(day: dt.date, language: str | None) -> str:
    return format_date(day, "long", locale=_locale(language))


@functools.lru_cache(maxsize=4096)
def _day_and_time(moment: dt.datetime, language: str | None) -> str:
    """`moment` (naive, local) as its day and its time, joined as the language joins them."""
    locale = _locale(language)
    time = format_time(moment.time(), "short", locale=locale)
    pattern = str(locale.datetime_formats.get("long") or "{1} {0}")
    return pattern.replace("{1}", _day(moment.date(), language)).replace("{0}", time)


def human_date(
    moment: dt.datetime | dt.date | None, zone: ZoneInfo | None = None, *, language: str | None = None
) -> str:
    """ "16 October 2026"; a date-time not at local midnight gets its time: "16 October 2026, 09:30".
    In the language of the tag `language` ("zh", "zh-Hant-TW", "fr", ...; None: English):
    "2026年10月16日", "2026年10月16日 09:30"."""
    if moment is None:
        return ""
    if isinstance(moment, dt.datetime):
        if zone is not None:
            moment = moment.astimezone(zone)
        if moment.time() != dt.time(0):
            return _day_and_time(moment.replace(tzinfo=None), language)
        return _day(moment.date(), language)
    return _day(moment, language)


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

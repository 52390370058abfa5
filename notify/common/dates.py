"""Instants as notices and answer pages write them, in the reader's language, and as the
answer service reads them."""

from __future__ import annotations

import functools
from datetime import UTC, datetime

from babel import Locale, UnknownLocaleError
from babel.dates import format_date as babel_date
from babel.dates import format_time, get_timezone_gmt

from notify.contract.tags import canonical, direction

ENGLISH = "en_GB"
"""The CLDR locale of English without a region: "16 October 2026, 00:00", as the site
writes English dates (CLDR's bare ``en`` is American: "October 16, 2026, 12:00 AM");
``en-US`` and every other tag read their own CLDR locale."""
LRM = "\u200e"


@functools.cache
def babel_locale(tag: str) -> Locale:
    """The CLDR locale that writes dates for ``tag`` (``zh-CN``, ``fr``, ``ar-EG``), else
    for its language, else English."""
    text = canonical(tag or "en")
    if text.lower() == "en":
        return Locale.parse(ENGLISH)
    for candidate in (text, text.split("-")[0]):
        try:
            return Locale.parse(candidate, sep="-")
        except (ValueError, TypeError, UnknownLocaleError):
            continue
    return Locale.parse(ENGLISH)


def format_date(when: datetime, locale: str) -> str:
    """``when`` as a reader of ``locale`` reads a date and time, by CLDR (Babel): its long
    date, its short time, joined by its pattern, and the offset from UTC:
    "16 October 2026, 00:00 (UTC+08:00)", "2026年10月16日 00:00 (UTC+08:00)",
    "16 octobre 2026, 00:00 (UTC+08:00)", "16 أكتوبر 2026، 12:00 ص (UTC+08:00)". The
    offset is written as ISO 8601 does in every language; in a right-to-left language it
    is kept in one left-to-right run (between LRM marks), so that its parentheses do not
    turn around."""
    where = babel_locale(locale)
    day = babel_date(when, "long", locale=where)
    time = format_time(when, "short", tzinfo=when.tzinfo, locale=where)
    pattern = where.datetime_formats.get("long") or "{1} {0}"
    text = str(pattern).replace("{1}", day).replace("{0}", time)
    zone = f"UTC{get_timezone_gmt(when, 'iso8601', locale=where)}" if when.tzinfo is not None else "UTC"
    if direction(str(where).replace("_", "-")) == "rtl":
        return f"{text} {LRM}({zone}){LRM}"
    return f"{text} ({zone})"


def parse_offset_instant(text: object) -> datetime:
    """An instant the API is given (``"at"``, ``as_of``): ISO 8601 with its offset, one that
    UTC can write (years 1 to 9999 there too); ValueError saying what is wrong."""
    if not isinstance(text, str) or len(text) > 64:
        raise ValueError("an ISO 8601 date-time with its offset, e.g. 2026-10-03T12:00:00+08:00")
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError("an ISO 8601 date-time with its offset, e.g. 2026-10-03T12:00:00+08:00") from None
    if moment.tzinfo is None:
        raise ValueError("a date-time with its offset, e.g. 2026-10-03T12:00:00+08:00")
    try:
        moment.astimezone(UTC)
    except OverflowError:
        raise ValueError("an instant within the years 1 to 9999 in UTC") from None
    return moment


def format_day(when: datetime, locale: str) -> str:
    """The day of ``when`` (in its own zone) as a reader of ``locale`` writes it briefly,
    CLDR's medium date: "20 Dec 2026", "2026年12月20日", "20 déc. 2026"; for a text
    message, where every character counts."""
    return str(babel_date(when.date(), "medium", locale=babel_locale(locale)))

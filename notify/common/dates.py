"""Instants as notices and answer pages write them, in the reader's language, and as the
answer service reads them."""

from __future__ import annotations

from datetime import UTC, datetime


def format_date(when: datetime, locale: str) -> str:
    offset = when.strftime("%z")
    zone = f"UTC{offset[:3]}:{offset[3:]}" if offset else "UTC"
    if locale.lower().startswith("zh"):
        return f"{when.year}年{when.month}月{when.day}日 {when:%H:%M} ({zone})"
    return f"{when.day} {when:%B %Y, %H:%M} ({zone})"


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

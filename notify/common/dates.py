"""Instants as notices and answer pages write them, in the reader's language."""

from __future__ import annotations

from datetime import datetime


def format_date(when: datetime, locale: str) -> str:
    offset = when.strftime("%z")
    zone = f"UTC{offset[:3]}:{offset[3:]}" if offset else "UTC"
    if locale.lower().startswith("zh"):
        return f"{when.year}年{when.month}月{when.day}日 {when:%H:%M} ({zone})"
    return f"{when.day} {when:%B %Y, %H:%M} ({zone})"

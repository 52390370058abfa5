"""Quiet hours (``--quiet-hours 21:00-08:00``): the hours of the day, in the calendar's
time zone, in which no text message goes out. A notice can wait a night; a phone that
buzzes at three in the morning for a privacy policy is a reason to block the sender.

A window may run over midnight (``21:00-08:00``) or not (``12:00-14:00``); its start
is in it, its end is not. Pure: the caller gives the instant.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from notify.common.errors import NotifyError

FLAG = "--quiet-hours"
_SPEC = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$")


@dataclass(frozen=True)
class QuietHours:
    start: dt.time
    end: dt.time
    zone: ZoneInfo

    @classmethod
    def parse(cls, spec: str, zone: str) -> QuietHours:
        """``HH:MM-HH:MM`` in the IANA ``zone``; NotifyError naming the flag otherwise."""
        match = _SPEC.match(spec.strip())
        if match is None:
            raise NotifyError(f"{FLAG} {spec!r}: give the hours as HH:MM-HH:MM, e.g. {FLAG} 21:00-08:00")
        h1, m1, h2, m2 = map(int, match.groups())
        if (h1, m1) == (h2, m2):
            raise NotifyError(f"{FLAG} {spec!r}: the hours start and end at the same time")
        try:
            where = ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise NotifyError(f"{FLAG}: unknown time zone {zone!r}") from exc
        return cls(dt.time(h1, m1), dt.time(h2, m2), where)

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M} {self.zone.key}"

    def until(self, instant: dt.datetime) -> dt.datetime | None:
        """When the quiet hours that ``instant`` falls in end (in their zone); None when
        ``instant`` is outside them."""
        local = instant.astimezone(self.zone)
        now = local.time().replace(tzinfo=None)
        if self.start < self.end:
            inside = self.start <= now < self.end
        else:
            inside = now >= self.start or now < self.end
        if not inside:
            return None
        day = local.date() if now < self.end else local.date() + dt.timedelta(days=1)
        return dt.datetime.combine(day, self.end, tzinfo=self.zone)

"""The operator's working-day calendar: official holidays, make-up days, time zone."""

from __future__ import annotations

import datetime as dt
import importlib
from dataclasses import dataclass
from functools import cached_property
from zoneinfo import ZoneInfo

import holidays


@dataclass(frozen=True)
class WorkingCalendar:
    """Which days count as working days for the operator, and in which time zone."""

    country: str
    subdivision: str | None
    timezone: str
    extra_holidays: frozenset[dt.date] = frozenset()
    extra_working_days: frozenset[dt.date] = frozenset()

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @cached_property
    def _official(self) -> holidays.HolidayBase:
        return holidays.country_holidays(self.country, subdiv=self.subdivision)

    def is_working_day(self, day: dt.date) -> bool:
        if day in self.extra_working_days:
            return True
        if day in self.extra_holidays:
            return False
        # Honours weekend make-up working days (调休) where the country has them.
        return bool(self._official.is_working_day(day))

    def working_days_after(self, day: dt.date, count: int) -> tuple[dt.date, ...]:
        """The next `count` working days after `day` (which itself is not counted)."""
        found: list[dt.date] = []
        current = day
        while len(found) < count:
            current += dt.timedelta(days=1)
            if self.is_working_day(current):
                found.append(current)
        return tuple(found)

    @cached_property
    def scheduled_through(self) -> int | None:
        """Last year whose official holiday schedule is known, for countries that
        announce their holidays and make-up working days year by year (e.g. CN).

        None when the calendar is rule-based and every year is known.
        """
        static = None
        for cls in type(self._official).__mro__:
            module = importlib.import_module(cls.__module__)
            static = getattr(module, f"{cls.__name__}StaticHolidays", None)
            if static is not None:
                break
        if static is None or not hasattr(static, "substituted_label"):
            return None
        years = [
            year
            for name in ("special_public_holidays", "special_holidays")
            for year in (getattr(static, name, None) or {})
        ]
        if not years:
            return None
        operator_years = {d.year for d in self.extra_working_days | self.extra_holidays}
        known = max(years)
        # An operator who entered its own dates for the following years has scheduled them.
        while known + 1 in operator_years:
            known += 1
        return known

    def unscheduled_years(self, days: tuple[dt.date, ...]) -> tuple[int, ...]:
        through = self.scheduled_through
        if through is None:
            return ()
        return tuple(sorted({d.year for d in days if d.year > through}))

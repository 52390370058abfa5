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
    known_years: frozenset[int] = frozenset()
    """Years beyond the holidays package's data whose official schedule the operator has
    entered (as extra holidays and working days) and declares complete."""

    @property
    def region(self) -> str:
        """The calendar's name in messages: "CN", or with a subdivision "US-CA"."""
        return f"{self.country}-{self.subdivision}" if self.subdivision else self.country

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
        """Last year whose official holiday schedule the holidays package knows, for
        countries that announce their holidays and make-up working days year by year
        (e.g. CN). Later years are known only if the operator lists them in `known_years`.

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
        return max(years) if years else None

    def is_scheduled(self, year: int) -> bool:
        """Whether `year`'s official schedule is known: from the holidays package, or
        because the operator declared it in `known_years` (having entered the announced
        days as extra holidays and working days). Dates the operator entered do not by
        themselves make a year known: a day off in February says nothing about January."""
        through = self.scheduled_through
        return through is None or year <= through or year in self.known_years

    def unscheduled_years(self, days: tuple[dt.date, ...]) -> tuple[int, ...]:
        """The years of `days` whose official schedule is not known yet."""
        return tuple(sorted({d.year for d in days if not self.is_scheduled(d.year)}))

"""The publicity window: a revision is shown for N working days before it takes effect.

Rule (China Civil Code art. 201 style): the publication day is not counted; the
window is the next N working days; the earliest effective instant is 00:00 local
time on the day after the N-th working day.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from generator.core.calendar import WorkingCalendar
from generator.core.dates import local_midnight


@dataclass(frozen=True)
class Window:
    """The publicity window of a revision published on a given day."""

    published: dt.date
    working_days: tuple[dt.date, ...]
    """The counted working days, in order."""
    earliest_effective: dt.datetime
    """00:00 local time on the day after the last counted working day."""
    unscheduled_years: tuple[int, ...] = ()
    """Years the window reaches for which the calendar has no official schedule yet."""

    @property
    def provisional(self) -> bool:
        """The earliest effective date may move once those years' schedules are known."""
        return bool(self.unscheduled_years)

    @property
    def provisional_reason(self) -> str | None:
        """Why the date is provisional, e.g. "the 2027 holiday schedule is not known yet"."""
        return unknown_schedules(self.unscheduled_years) if self.unscheduled_years else None


@dataclass(frozen=True)
class ScheduleWords:
    """How `unknown_schedules` says its sentence: in English by default (said here once,
    for `check`, `status` and the English site); a site in another language passes its
    own (`generator.site.words`)."""

    one: str = "the {years} holiday schedule is not known yet"
    """The sentence for one year; `{years}` is where the year goes."""
    many: str = "the {years} holiday schedules are not known yet"
    """The sentence for several years, `{years}` the list of them."""
    year: str = "{year}"
    """One year in the list."""
    separator: str = ", "
    last: str = " and "
    """Between the last two years of the list."""


ENGLISH_SCHEDULES = ScheduleWords()
"""The English words (the defaults)."""


def unknown_schedules(years: tuple[int, ...], words: ScheduleWords = ENGLISH_SCHEDULES) -> str:
    """Why a date is provisional: "the 2027 holiday schedule is not known yet" (with
    `words`: in their language). `years` is the fact: `Window.unscheduled_years`."""
    named = [words.year.format(year=year) for year in years]
    if len(named) == 1:
        return words.one.format(years=named[0])
    names = words.separator.join(named[:-1]) + words.last + named[-1]
    return words.many.format(years=names)


def publicity_window(published: dt.date, calendar: WorkingCalendar, working_days: int) -> Window:
    days = calendar.working_days_after(published, working_days)
    effective = local_midnight(days[-1] + dt.timedelta(days=1), calendar.zone)
    return Window(
        published=published,
        working_days=days,
        earliest_effective=effective,
        unscheduled_years=calendar.unscheduled_years(days),
    )

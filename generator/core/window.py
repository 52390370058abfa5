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


@dataclass(frozen=True)
class EarliestEffective:
    """When a revision published on a given day may take effect at the earliest: the end
    of its publicity window, and after the version it follows (`earliest_effective`)."""

    window: Window | None
    """Its publicity window; None for a document's first version (in force on publication)."""
    lawful: dt.datetime
    """The earliest instant the window allows: 00:00 local time after its last counted
    working day; for a first version, 00:00 of its publication day."""
    after: dt.datetime | None = None
    """The effective instant of the version it follows: it takes effect strictly later
    (a document's effective dates strictly increase). None: no version before it."""

    def in_order(self, instant: dt.datetime) -> bool:
        """Taking effect at `instant` keeps the document's effective dates strictly
        increasing: it is later than `after` (or nothing comes before it)."""
        return self.after is None or instant > self.after

    @property
    def follows(self) -> bool:
        """The version it follows, not the window, decides its earliest day: that
        version takes effect at `lawful` or later."""
        return self.after is not None and self.after >= self.lawful

    @property
    def day(self) -> dt.date:
        """The earliest day whose 00:00 is allowed (what `policyctl publish` writes as
        `effective:`): the day `lawful` falls on, or the day after the followed version's."""
        if self.after is not None and self.follows:
            return self.after.astimezone(self.lawful.tzinfo).date() + dt.timedelta(days=1)
        return self.lawful.date()


def earliest_effective(
    published: dt.date,
    calendar: WorkingCalendar,
    working_days: int,
    *,
    first: bool = False,
    after: dt.datetime | None = None,
) -> EarliestEffective:
    """The earliest lawful effective instant of a revision published on `published`:
    the end of its `working_days`-working-day publicity window (a document's `first`
    version has none: in force on publication), and strictly after `after`, the
    effective instant of the latest version before it. The history's rules
    (`generator.core.history`) and `policyctl publish` both ask it."""
    if first:
        return EarliestEffective(None, local_midnight(published, calendar.zone), after)
    window = publicity_window(published, calendar, working_days)
    return EarliestEffective(window, window.earliest_effective, after)

"""The publicity window: a revision is shown for a notice period before it takes effect.

Rule (China Civil Code art. 201 style): the publication day is not counted; the
window is the next N working days (or, for a period of calendar days, the next N days
in the operator's time zone); the earliest effective instant is 00:00 local time on
the day after the N-th counted day.
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
    """The counted days, in order: working days, or every day for a calendar-day period."""
    earliest_effective: dt.datetime
    """00:00 local time on the day after the last counted day."""
    period: NoticePeriod | None = None
    """The notice period the window was counted with (None: working days, not said)."""
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


@dataclass(frozen=True)
class NoticePeriod:
    """How long a revision is shown before it takes effect: `working_days` working days
    in the operator's calendar, or `calendar_days` days of any kind (exactly one is set,
    at least 1). Both count the same way: the publication day is not counted, the next N
    days of the kind are, and the revision may take effect at 00:00 local time on the day
    after the last of them (`publicity_window`)."""

    working_days: int | None = None
    calendar_days: int | None = None

    def __post_init__(self) -> None:
        given = [n for n in (self.working_days, self.calendar_days) if n is not None]
        if len(given) != 1:
            raise ValueError("a notice period is either working_days or calendar_days")
        if isinstance(given[0], bool) or not isinstance(given[0], int) or given[0] < 1:
            raise ValueError(f"a notice period is a whole number of days of at least 1, got {given[0]!r}")

    @classmethod
    def of(cls, period: NoticePeriod | int) -> NoticePeriod:
        """`period` itself, or a number of working days as a period."""
        return period if isinstance(period, NoticePeriod) else cls(working_days=period)

    @property
    def days(self) -> int:
        """How many days are counted."""
        return self.working_days if self.working_days is not None else int(self.calendar_days or 0)

    @property
    def key(self) -> str:
        """`working_days` or `calendar_days`: how the settings and versions.json name it."""
        return "working_days" if self.working_days is not None else "calendar_days"

    @property
    def unit(self) -> str:
        """ "working day" or "calendar day"."""
        return "working day" if self.working_days is not None else "calendar day"

    def __str__(self) -> str:
        """ "7 working days", "30 calendar days", "1 working day"."""
        return f"{self.days} {self.unit}{'s' if self.days != 1 else ''}"

    @property
    def adjective(self) -> str:
        """ "7-working-day", "30-calendar-day": as in "its 7-working-day window"."""
        return f"{self.days}-{self.unit.replace(' ', '-')}"

    def as_dict(self) -> dict[str, int]:
        """{"working_days": 7} or {"calendar_days": 30}, as written in the settings."""
        return {self.key: self.days}


def publicity_window(published: dt.date, calendar: WorkingCalendar, period: NoticePeriod | int) -> Window:
    """The window of a revision published on `published`: the next N working days of
    `calendar` (a number is working days), or the next N calendar days in its time zone;
    it may take effect at 00:00 local time on the day after the last of them."""
    period = NoticePeriod.of(period)
    if period.calendar_days is not None:
        days = tuple(published + dt.timedelta(days=n) for n in range(1, period.calendar_days + 1))
        unscheduled: tuple[int, ...] = ()
    else:
        days = calendar.working_days_after(published, period.days)
        unscheduled = calendar.unscheduled_years(days)
    effective = local_midnight(days[-1] + dt.timedelta(days=1), calendar.zone)
    return Window(
        published=published,
        working_days=days,
        earliest_effective=effective,
        period=period,
        unscheduled_years=unscheduled,
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
    period: NoticePeriod | int,
    *,
    first: bool = False,
    after: dt.datetime | None = None,
) -> EarliestEffective:
    """The earliest lawful effective instant of a revision published on `published`:
    the end of its publicity window of `period` (a number: working days; a document's `first`
    version has none: in force on publication), and strictly after `after`, the
    effective instant of the latest version before it. The history's rules
    (`generator.core.history`) and `policyctl publish` both ask it."""
    if first:
        return EarliestEffective(None, local_midnight(published, calendar.zone), after)
    window = publicity_window(published, calendar, period)
    return EarliestEffective(window, window.earliest_effective, after)

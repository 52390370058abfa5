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


def unknown_schedules(years: tuple[int, ...]) -> str:
    """Why a date is provisional: "the 2027 holiday schedule is not known yet"."""
    if len(years) == 1:
        return f"the {years[0]} holiday schedule is not known yet"
    names = ", ".join(str(y) for y in years[:-1]) + f" and {years[-1]}"
    return f"the {names} holiday schedules are not known yet"


def publicity_window(published: dt.date, calendar: WorkingCalendar, working_days: int) -> Window:
    days = calendar.working_days_after(published, working_days)
    effective = local_midnight(days[-1] + dt.timedelta(days=1), calendar.zone)
    return Window(
        published=published,
        working_days=days,
        earliest_effective=effective,
        unscheduled_years=calendar.unscheduled_years(days),
    )

"""When a policy is due for review (`review_months`): some laws want a privacy policy
looked at and updated at least every so often (California's CCPA, §1798.130(a)(5): every
12 months). A document is due when the version in force took effect `review_months`
calendar months ago or longer, and no revision is on its way (a pending revision is the
review). Pure: the state and the instant come from the caller."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

from generator.core.dates import short_date
from generator.core.timeline import DocumentState


@dataclass(frozen=True)
class ReviewDue:
    """A document whose version in force is older than the review period."""

    document: str
    version: str
    effective: dt.datetime
    due: dt.datetime
    """When the review fell due: `effective` plus `months`."""
    months: int

    def __str__(self) -> str:
        return (
            f"{self.document}: review due since {short_date(self.due)}: version {self.version}, in force "
            f"since {short_date(self.effective)}, is older than review_months ({self.months})\n"
            "  -> review the policy; publish a revision if anything changed (`policyctl publish`)"
        )


def add_months(moment: dt.datetime, months: int) -> dt.datetime:
    """`moment` that many calendar months later, on the same day, or on the month's last
    day when it has fewer (31 January + 1 month: 28 or 29 February)."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def review_due(state: DocumentState, as_of: dt.datetime, months: int | None) -> ReviewDue | None:
    """The review `state`'s document is due for at `as_of`, None when none is (no period
    set, nothing in force, a revision pending, or the version in force recent enough)."""
    in_force = state.in_force
    if months is None or in_force is None or state.pending:
        return None
    due = add_months(in_force.effective, months)
    if as_of < due:
        return None
    return ReviewDue(in_force.document, in_force.version, in_force.effective, due, months)

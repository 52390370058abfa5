"""The publicity window in the operator's calendar: working days, holidays, make-up days."""

from __future__ import annotations

import datetime as dt

import pytest

from generator.core.calendar import WorkingCalendar
from generator.core.dates import parse_instant
from generator.core.window import publicity_window, unknown_schedules
from generator.site.words import words

CN = WorkingCalendar("CN", None, "Asia/Shanghai")


def effective(published: str, calendar: WorkingCalendar = CN, days: int = 7) -> str:
    return publicity_window(dt.date.fromisoformat(published), calendar, days).earliest_effective.isoformat()


def test_revision_published_2026_09_10_takes_effect_after_the_sunday_make_up_day():
    # Sunday 2026-09-20 is a make-up working day in China and counts.
    assert effective("2026-09-10") == "2026-09-21T00:00:00+08:00"


def test_revision_published_before_golden_week_takes_effect_after_it():
    window = publicity_window(dt.date(2026, 9, 30), CN, 7)
    assert window.earliest_effective.isoformat() == "2026-10-16T00:00:00+08:00"
    assert [d.isoformat() for d in window.working_days] == [
        "2026-10-08",
        "2026-10-09",
        "2026-10-10",
        "2026-10-12",
        "2026-10-13",
        "2026-10-14",
        "2026-10-15",
    ]


def test_make_up_saturday_counts_as_a_working_day():
    assert CN.is_working_day(dt.date(2026, 10, 10))  # a Saturday
    assert not CN.is_working_day(dt.date(2026, 10, 17))  # an ordinary Saturday


def test_publication_day_itself_is_not_counted():
    # Monday 2026-11-23: the window is Tue..Fri and Mon..Wed of the next week.
    assert effective("2026-11-23") == "2026-12-03T00:00:00+08:00"


def test_subdivision_holiday_extends_the_window():
    # 2026-03-31 is Cesar Chavez Day in California but not a federal holiday.
    federal = WorkingCalendar("US", None, "America/Los_Angeles")
    california = WorkingCalendar("US", "CA", "America/Los_Angeles")
    assert effective("2026-03-27", federal) == "2026-04-08T00:00:00-07:00"
    assert effective("2026-03-27", california) == "2026-04-09T00:00:00-07:00"


def test_an_operators_extra_holiday_is_not_counted_and_the_window_ends_a_day_later():
    calendar = WorkingCalendar("CN", None, "Asia/Shanghai", extra_holidays=frozenset({dt.date(2026, 11, 24)}))
    assert not calendar.is_working_day(dt.date(2026, 11, 24))  # an ordinary Tuesday otherwise
    # Without it: 2026-12-03 (see above).
    assert effective("2026-11-23", calendar) == "2026-12-04T00:00:00+08:00"


def test_an_operators_extra_working_saturday_counts_and_the_window_ends_a_day_earlier():
    calendar = WorkingCalendar(
        "CN", None, "Asia/Shanghai", extra_working_days=frozenset({dt.date(2026, 11, 28)})
    )
    assert calendar.is_working_day(dt.date(2026, 11, 28))  # a Saturday
    # Without it: 2026-12-03 (see above).
    assert effective("2026-11-23", calendar) == "2026-12-02T00:00:00+08:00"


def test_an_extra_holiday_and_an_extra_working_day_change_which_days_count():
    calendar = WorkingCalendar(
        "CN",
        None,
        "Asia/Shanghai",
        extra_holidays=frozenset({dt.date(2026, 11, 24)}),
        extra_working_days=frozenset({dt.date(2026, 11, 28)}),
    )
    window = publicity_window(dt.date(2026, 11, 23), calendar, 7)
    # One day lost, one gained: the same end, counted over other days.
    assert [d.isoformat() for d in window.working_days] == [
        "2026-11-25",
        "2026-11-26",
        "2026-11-27",
        "2026-11-28",
        "2026-11-30",
        "2026-12-01",
        "2026-12-02",
    ]
    assert window.earliest_effective.isoformat() == "2026-12-03T00:00:00+08:00"


def test_longer_window_setting_gives_more_notice():
    assert effective("2026-09-10", days=10) == "2026-09-24T00:00:00+08:00"


def test_window_reaching_a_year_without_official_schedule_is_flagged():
    window = publicity_window(dt.date(2026, 12, 25), CN, 7)
    assert window.unscheduled_years == (2027,)
    assert publicity_window(dt.date(2026, 9, 30), CN, 7).unscheduled_years == ()


def test_why_a_date_is_provisional_is_said_in_english_and_in_chinese():
    # Core gives the years; each language says the sentence its own way.
    assert unknown_schedules((2027,)) == "the 2027 holiday schedule is not known yet"
    assert unknown_schedules((2027, 2028)) == "the 2027 and 2028 holiday schedules are not known yet"
    assert (
        unknown_schedules((2027, 2028, 2029)) == "the 2027, 2028 and 2029 holiday schedules are not known yet"
    )
    assert unknown_schedules((2027,), words("en").schedules) == "the 2027 holiday schedule is not known yet"
    chinese = words("zh-CN").schedules
    assert unknown_schedules((2027,), chinese) == "2027年的节假日安排尚未公布"
    assert unknown_schedules((2027, 2028, 2029), chinese) == "2027年、2028年和2029年的节假日安排尚未公布"


def test_rule_based_calendars_have_no_unscheduled_years():
    us = WorkingCalendar("US", None, "America/New_York")
    assert publicity_window(dt.date(2026, 12, 25), us, 7).unscheduled_years == ()


def test_as_of_bare_date_means_local_midnight():
    zone = CN.zone
    assert parse_instant("2026-10-16", zone).isoformat() == "2026-10-16T00:00:00+08:00"
    assert parse_instant("2026-10-16T09:30", zone).isoformat() == "2026-10-16T09:30:00+08:00"
    assert parse_instant("2026-10-15T16:00:00Z", zone).isoformat() == "2026-10-16T00:00:00+08:00"
    with pytest.raises(ValueError, match="2026-10-16"):
        parse_instant("next tuesday", zone)

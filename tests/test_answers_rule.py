"""The rule of `policyctl applies`: which version governs a user's data at an instant.

Privacy Policy: 1.0 in force from 1 September 2026, 1.1 from 20 September, 2.0 from
16 October, 3.0 from 1 December (all 00:00 in Shanghai).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from notify.answers.rule import ACCEPT, OBJECT, Answer, DocumentFacts, VersionFacts, governing, unanswered

CST = timezone(timedelta(hours=8))


def day(month: int, d: int, hour: int = 0) -> datetime:
    return datetime(2026, month, d, hour, tzinfo=CST)


PRIVACY = DocumentFacts(
    "privacy",
    "Privacy Policy",
    (
        VersionFacts("1.0", day(9, 1)),
        VersionFacts("1.1", day(9, 20)),
        VersionFacts("2.0", day(10, 16)),
        VersionFacts("3.0", day(12, 1)),
    ),
)


def at(when: datetime, *answers: Answer):
    return governing(PRIVACY, "42", answers, when)


def test_a_user_who_never_answered_is_on_the_version_in_force_since_it_took_effect():
    result = at(day(10, 20))
    assert (result.version, result.since, result.because) == ("2.0", day(10, 16), None)
    assert unanswered(PRIVACY, "42", day(10, 20)) == result
    assert at(day(8, 1)).version is None  # before the first version takes effect


def test_an_objection_before_the_revision_takes_effect_changes_nothing_yet_but_shows_why():
    objection = Answer("2.0", OBJECT, day(10, 3, 12))
    before = at(day(10, 10), objection)
    assert (before.version, before.since) == ("1.1", day(9, 20))
    assert before.because == objection


def test_an_objector_keeps_the_version_before_the_revision_from_when_it_takes_effect():
    objection = Answer("2.0", OBJECT, day(10, 3, 12))
    after = at(day(10, 20), objection)
    assert (after.version, after.since, after.because) == ("1.1", day(9, 20), objection)


def test_an_objection_after_the_revision_took_effect_counts_from_the_moment_it_is_given():
    objection = Answer("2.0", OBJECT, day(10, 25, 9))
    assert at(day(10, 24), objection).version == "2.0"  # not yet given
    result = at(day(10, 26), objection)
    assert (result.version, result.since) == ("1.1", day(10, 25, 9))


def test_an_objector_stays_on_the_old_version_through_later_revisions():
    objection = Answer("2.0", OBJECT, day(10, 3))
    result = at(day(12, 5), objection)
    assert (result.version, result.since, result.because) == ("1.1", day(9, 20), objection)


def test_accepting_the_objected_version_later_moves_the_user_to_it_from_the_acceptance():
    objection = Answer("2.0", OBJECT, day(10, 3))
    acceptance = Answer("2.0", ACCEPT, day(10, 28, 15))
    result = at(day(11, 2), objection, acceptance)
    assert (result.version, result.since, result.because) == ("2.0", day(10, 28, 15), acceptance)
    # ...and afterwards the next revision applies by continued use again.
    assert at(day(12, 2), objection, acceptance).version == "3.0"


def test_accepting_a_later_version_lifts_the_objection_from_when_that_version_takes_effect():
    objection = Answer("2.0", OBJECT, day(10, 3))
    acceptance = Answer("3.0", ACCEPT, day(11, 20))  # 3.0 is still pending
    result = at(day(12, 3), objection, acceptance)
    assert (result.version, result.since, result.because) == ("3.0", day(12, 1), acceptance)
    # Accepting 3.0 accepts what comes before it: from the acceptance 2.0 (in force) applies.
    meanwhile = at(day(11, 25), objection, acceptance)
    assert (meanwhile.version, meanwhile.since) == ("2.0", day(11, 20))


def test_accepting_a_version_older_than_the_one_objected_to_lifts_nothing():
    objection = Answer("3.0", OBJECT, day(11, 25))
    older = Answer("2.0", ACCEPT, day(11, 26))
    result = at(day(12, 3), objection, older)
    assert (result.version, result.because) == ("2.0", objection)


def test_an_answer_recorded_before_an_objection_does_not_lift_it():
    acceptance = Answer("3.0", ACCEPT, day(10, 20))
    objection = Answer("2.0", OBJECT, day(10, 22))
    result = at(day(12, 3), acceptance, objection)
    assert (result.version, result.since, result.because) == ("1.1", day(10, 22), objection)


def test_objections_to_two_revisions_keep_the_version_before_the_first_of_them():
    first = Answer("2.0", OBJECT, day(10, 3))
    second = Answer("3.0", OBJECT, day(11, 22))
    result = at(day(12, 3), second, first)  # in any order
    assert (result.version, result.because) == ("1.1", first)
    # Accepting 2.0 lifts the first; the standing objection to 3.0 keeps 2.0.
    acceptance = Answer("2.0", ACCEPT, day(12, 10))
    later = at(day(12, 15), first, second, acceptance)
    assert (later.version, later.since, later.because) == ("2.0", day(12, 10), second)


def test_changing_an_answer_twice_uses_the_latest_and_the_time_it_was_given():
    answers = (
        Answer("2.0", OBJECT, day(10, 3)),
        Answer("2.0", ACCEPT, day(10, 5)),
        Answer("2.0", OBJECT, day(10, 20)),
    )
    result = at(day(10, 25), *answers)
    assert (result.version, result.since, result.because) == ("1.1", day(10, 20), answers[2])
    # As of 18 October the acceptance counted: 2.0 since it took effect.
    earlier = at(day(10, 18), *answers)
    assert (earlier.version, earlier.since, earlier.because) == ("2.0", day(10, 16), answers[1])


def test_answers_the_history_cannot_place_are_ignored():
    unknown = Answer("9.9", OBJECT, day(10, 3))
    first = Answer("1.0", OBJECT, day(10, 3))  # nothing older to keep
    result = at(day(10, 20), unknown, first)
    assert result.version == "2.0"


def test_the_worked_example_of_the_operators_guide():
    document = DocumentFacts(
        "privacy",
        "Privacy Policy",
        (
            VersionFacts("1.0", day(8, 3)),
            VersionFacts("1.1", day(9, 11)),
            VersionFacts("2.0", day(10, 16)),
            VersionFacts("3.0", day(12, 1)),
        ),
    )
    users = {
        "41": (),
        "42": (Answer("2.0", OBJECT, day(10, 3)),),
        "43": (Answer("2.0", OBJECT, day(10, 25)),),
        "44": (Answer("2.0", OBJECT, day(10, 3)), Answer("3.0", ACCEPT, day(11, 20))),
        "45": (Answer("2.0", OBJECT, day(10, 3)), Answer("2.0", ACCEPT, day(10, 28))),
    }
    table = {
        user: [
            (r.version, r.since.date().isoformat() if r.since else None)
            for r in (
                governing(document, user, answers, when) for when in (day(10, 10), day(10, 20), day(12, 5))
            )
        ]
        for user, answers in users.items()
    }
    assert table == {
        "41": [("1.1", "2026-09-11"), ("2.0", "2026-10-16"), ("3.0", "2026-12-01")],
        "42": [("1.1", "2026-09-11"), ("1.1", "2026-09-11"), ("1.1", "2026-09-11")],
        "43": [("1.1", "2026-09-11"), ("2.0", "2026-10-16"), ("1.1", "2026-10-25")],
        "44": [("1.1", "2026-09-11"), ("1.1", "2026-09-11"), ("3.0", "2026-12-01")],
        "45": [("1.1", "2026-09-11"), ("1.1", "2026-09-11"), ("3.0", "2026-12-01")],
    }
    assert governing(document, "42", users["42"], day(10, 10)).because == users["42"][0]


def test_the_latest_answer_is_the_latest_by_its_time_then_as_recorded_whatever_order_it_came_in():
    from notify.answers.rule import latest

    accept = Answer("2.0", ACCEPT, day(10, 4), seq=1)  # recorded first
    objection = Answer("2.0", OBJECT, day(10, 3), seq=2)  # imported later, given earlier
    assert latest([accept, objection]) == accept
    assert latest([accept, objection], until=day(10, 3, 12)) == objection
    assert latest([accept, objection], version="1.1") is None
    again = Answer("2.0", OBJECT, day(10, 4), seq=3)  # the same instant: as recorded
    assert latest([again, accept]) == again
    result = at(day(10, 20), accept, objection)
    assert (result.version, result.because) == ("2.0", accept)

"""Answers in the ledger's database, SQLite and PostgreSQL alike: one record per repeated
answer even when requests race, every changed answer kept, and the commands that read
them (`answers record|import|report`, `applies --all`) on the `history` fixture's
privacy policy (1.0 from 1 September 2026, 2.0 from 16 October)."""

from __future__ import annotations

import csv
import io
import threading
from datetime import datetime, timedelta, timezone

import pytest

from notify.answers.store import AnswerBook
from notify.delivery.ledger.ledger import SENT, Campaign, Ledger, Outcome
from notify.delivery.recipients.sources import Recipient

CST = timezone(timedelta(hours=8))


@pytest.fixture(params=["sqlite", "postgresql"])
def ledger_url(request: pytest.FixtureRequest, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    return request.getfixturevalue("fresh_postgres")


def test_racing_identical_answers_make_one_record_and_a_changed_answer_keeps_the_earlier(ledger_url):
    books = [AnswerBook(ledger_url) for _ in range(6)]
    start = threading.Barrier(len(books))
    outcomes: list[bool] = []

    def answer(book: AnswerBook) -> None:
        start.wait()
        outcomes.append(book.record("privacy", "2.0", "u-1", "object", source="page").recorded)

    threads = [threading.Thread(target=answer, args=(book,)) for book in books]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for book in books[1:]:
        book.close()
    book = books[0]
    try:
        assert sorted(outcomes) == [False] * 5 + [True]
        assert book.count() == 1
        assert book.record("privacy", "2.0", "u-1", "accept", source="page").recorded
        assert not book.record("privacy", "2.0", "u-1", "accept", source="page").recorded
        assert [a.answer for a in book.of_user("privacy", "u-1")] == ["object", "accept"]
    finally:
        book.close()


def notified(ledger_url: str, *people: Recipient) -> None:
    """Notices of privacy 2.0 delivered to ``people`` on 1 October, through the ledger's own
    enqueue, claim and record, as a campaign leaves them."""
    ledger = Ledger(ledger_url)
    try:
        campaign = Campaign("privacy", "2.0", "email", "0" * 64)
        ledger.enqueue(campaign, "run-1", list(people), lambda key: f"<policy.{key}@shop.example>")
        claimed = ledger.claim(campaign, "worker-1", limit=10, lease=60)
        when = datetime(2026, 10, 1, 10, tzinfo=CST).timestamp()
        ledger.record([Outcome(c.id, SENT, "250 2.0.0 Queued", 1, when, when) for c in claimed])
    finally:
        ledger.close()


def test_record_import_report_and_applies_all_read_the_same_answers(
    ledger_url, history, policyctl, tmp_path, monkeypatch
):
    monkeypatch.setenv("POLICYCTL_ANSWER_SECRET", "test-answer-secret-0123456789abcdef")
    notified(
        ledger_url,
        Recipient("ann@example.com", "ann@example.com", "Ann", "en", "u-1", "users.csv line 2"),
        Recipient("bob@example.com", "bob@example.com", "Bob", "", "", "users.csv line 3"),
    )
    common = ("--repo", history.path, "--ledger", ledger_url)
    recorded = policyctl(
        "answers", "record", *common, "--document", "privacy", "--version", "2.0", "--user", "u-1",
        "--answer", "object", "--at", "2026-10-02T09:00",
    )  # fmt: skip
    assert recorded.code == 0, recorded.err
    assert "recorded: privacy 2.0: object at 2026-10-02T09:00:00+08:00" in recorded.out
    again = policyctl(
        "answers", "record", *common, "--document", "privacy", "--version", "2.0", "--user", "u-1",
        "--answer", "object",
    )  # fmt: skip
    assert again.code == 0 and "nothing new" in again.out
    first = policyctl(
        "answers", "record", *common, "--document", "privacy", "--version", "1.0", "--user", "u-1",
        "--answer", "object",
    )  # fmt: skip
    assert first.code == 2 and "first version" in first.err

    bad = tmp_path / "bad.csv"
    bad.write_text(
        "document,version,user,answer,at\nprivacy,2.0,=HYPERLINK(1),accept,2026-10-05T10:00\nprivacy,9.9,u-3,object,\n"
    )
    refused = policyctl("answers", "import", *common, bad)
    assert refused.code == 2
    assert (
        "bad.csv line 3: privacy has no version '9.9'" in refused.err
        and "nothing was recorded" in refused.err
    )
    good = tmp_path / "answers.jsonl"
    good.write_text(
        '{"document": "privacy", "version": "2.0", "user": "=HYPERLINK(1)", "answer": "object", "at": "2026-10-05T10:00"}\n'
        '{"document": "privacy", "version": "2.0", "user": "u-4", "answer": "accept", "at": "2026-10-06T10:00"}\n'
    )
    imported = policyctl("answers", "import", *common, good)
    assert imported.code == 0 and "2 answers read, 2 recorded" in imported.out
    assert "2 answers read, 0 recorded, 2 already there" in policyctl("answers", "import", *common, good).out

    everyone = policyctl("applies", *common, "--all", "--csv", "--as-of", "2026-10-20")
    assert everyone.code == 0, everyone.err
    rows = list(csv.DictReader(io.StringIO(everyone.out)))
    by_user = {row["user"]: row for row in rows}
    assert by_user["u-1"]["version"] == "1.0" and by_user["u-1"]["because_answer"] == "object"
    assert by_user["u-4"]["version"] == "2.0"
    assert by_user["'=HYPERLINK(1)"]["version"] == "1.0"  # neutralised: no formula runs
    [bob] = [row for user, row in by_user.items() if user.startswith("email-hmac:")]
    assert (
        bob["version"] == "2.0"
        and bob["since"] == "2026-10-16T00:00:00+08:00"
        and bob["because_answer"] == ""
    )
    assert len(rows) == 4

    report = policyctl("answers", "report", *common, "--document", "privacy", "--version", "2.0", "--csv")
    assert report.code == 0, report.err
    lines = {row["user"]: row for row in csv.DictReader(io.StringIO(report.out))}
    assert lines["u-1"]["notified_at"] == "2026-10-01T10:00:00+08:00" and lines["u-1"]["answer"] == "object"
    assert lines["u-4"]["notified_at"] == "" and lines["u-4"]["answer"] == "accept"
    assert "4 users: 2 notified, 1 accepted, 2 objected, 1 no answer" in report.err


def test_a_live_answer_repeating_the_latest_records_nothing_even_when_stamped_a_moment_earlier(ledger_url):
    """Two identical answers racing: the one recorded second may carry the earlier clock
    reading; it is the same answer, not one that counts before the other."""
    with AnswerBook(ledger_url) as book:
        first = datetime(2026, 10, 3, 12, 0, 0, 500, tzinfo=CST)
        assert book.record("privacy", "2.0", "u-1", "object", now=first, source="page").recorded
        raced = book.record(
            "privacy", "2.0", "u-1", "object", now=first - timedelta(microseconds=400), source="api"
        )
        assert not raced.recorded and raced.answer.at == first
        # Given earlier (an import, a letter): an answer with its own time takes its place.
        assert book.record(
            "privacy", "2.0", "u-1", "accept", at=first - timedelta(days=1), source="import"
        ).recorded
        assert [a.answer for a in book.of_user("privacy", "u-1")] == ["object", "accept"]
        assert book.latest("privacy", "2.0", "u-1").answer == "object"  # the latest by its time


def test_applies_all_on_a_ledger_with_no_user_says_so(ledger_url, history, policyctl):
    """Nothing to list is said, not left to a blank screen: every user is then governed by
    the version in force (continued use)."""
    result = policyctl(
        "applies", "--all", "--repo", history.path, "--ledger", ledger_url, "--as-of", "2026-10-20"
    )
    assert result.code == 0, result.err
    assert result.out == ""
    assert "No user in the ledger" in result.err and "the version in force governs every user" in result.err

"""`policyctl notify` end to end: the timeline decides what is owed, the outbox receives it."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import hashlib
import re

import pytest
from tests_support import BASE_POLICY, CORE_RIGHTS_REVISION, policy_file

from generator.core.calendar import WorkingCalendar
from notify.delivery.ledger.ledger import SENT, Campaign, Ledger, Outcome, first_notice_times
from notify.delivery.recipients.sources import Recipient

PRIVACY = "policy/privacy.md"
SITE = "https://shop.example/legal/"
CORE_CHANGE = CORE_RIGHTS_REVISION
PLAIN_CHANGE = BASE_POLICY.replace("privacy@example.com", "dpo@example.com")
CN = WorkingCalendar("CN", None, "Asia/Shanghai")


@pytest.fixture
def revised(policy_repo):
    def make(body: str = CORE_CHANGE, published: str = "2026-09-30"):
        policy_repo.publish(
            PRIVACY,
            policy_file(version="1.0", published="2026-09-01", summary="First."),
            "2026-09-01T10:00:00+08:00",
        )
        policy_repo.publish(
            PRIVACY,
            policy_file(body, version="2.0", published=published, summary="Phone numbers & more."),
            f"{published if published < '2026-10-20' else '2026-10-20'}T10:00:00+08:00",
        )
        (policy_repo.path / "users.csv").write_text(
            "email,name\nann@example.com,Ann\nbob@example.com,Bob\nnot-an-address,Broken\nANN@example.com,Ann again\n"
        )
        return policy_repo

    return make


def notify(policyctl, repo, *extra: str):
    return policyctl(
        "notify", "--repo", repo.path, "--recipients", repo.path / "users.csv", "--site-url", SITE, *extra
    )


def outbox(repo) -> list[email.message.EmailMessage]:
    folder = repo.path / ".policy" / "outbox"
    if not folder.exists():
        return []
    return [
        email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
        for p in sorted(folder.rglob("*.eml"))
    ]


def test_pending_core_rights_revision_reaches_each_user_once_in_the_outbox(revised, policyctl):
    repo = revised()
    first = notify(policyctl, repo, "--as-of", "2026-10-01")
    assert first.code == 1, first.err  # the user with an unusable address is not reached
    messages = outbox(repo)
    assert sorted(m["To"] for m in messages) == ["Ann <ann@example.com>", "Bob <bob@example.com>"]
    message = messages[0]
    assert "Privacy Policy" in message["Subject"] and "16 October 2026" in message["Subject"]
    text = message.get_body(("plain",)).get_content()
    assert f"{SITE}privacy/changes/1.0-to-2.0/" in text
    assert f"{SITE}privacy/versions/2.0/" in text
    assert "Information You Provide" in text  # the changed core-rights section, by title
    # The operator is told who was left out and why.
    assert re.search(r"│ sent +│ 2 ", first.err)
    assert "users.csv line 4: address has no '@'" in first.err
    assert "Duplicate recipients:\n  users.csv line 5" in first.err
    ending = " ".join(first.err.split())
    assert "1 registered user not reached: 1 with an unusable address or phone number in the source" in ending
    assert "Correct the unusable addresses and phone numbers listed above in the source and rerun" in ending

    again = notify(policyctl, repo, "--as-of", "2026-10-02")
    assert again.code == 1
    assert re.search(r"│ sent +│ 0 ", again.err) and re.search(
        r"│ sent by earlier runs or other workers +│ 2 ", again.err
    )
    assert len(outbox(repo)) == 2  # nobody is notified twice


def test_revision_without_core_rights_change_sends_nothing_and_says_so(revised, policyctl):
    repo = revised(PLAIN_CHANGE)
    result = notify(policyctl, repo, "--as-of", "2026-10-01")
    assert result.code == 0
    assert "no core-rights section changed" in result.out
    assert outbox(repo) == []


def test_scheduled_revision_is_refused(revised, policyctl):
    repo = revised(published="2026-11-02")
    result = notify(policyctl, repo, "--as-of", "2026-10-25", "--version", "2.0")
    assert result.code == 2
    assert "scheduled for publication on 2026-11-02" in result.err


def test_revision_in_effect_needs_late_and_then_warns(revised, policyctl):
    repo = revised()
    refused = notify(policyctl, repo, "--as-of", "2026-10-20", "--version", "2.0")
    assert refused.code == 2 and "--late" in refused.err
    late = notify(policyctl, repo, "--as-of", "2026-10-20", "--version", "2.0", "--late")
    assert late.code == 1, late.err  # sent to all but the unusable address of users.csv
    assert "after the fact" in late.err
    assert len(outbox(repo)) == 2


def test_notify_without_site_url_is_refused(revised, policyctl):
    repo = revised()
    result = policyctl(
        "notify", "--repo", repo.path, "--recipients", repo.path / "users.csv", "--as-of", "2026-10-01"
    )
    assert result.code == 2 and "site_url" in result.err


def ledger_of(repo) -> str:
    return f"sqlite:///{repo.path / '.policy' / 'ledger.sqlite3'}"


def record_notice(ledger_url: str, repo, version: str, sent_at: dt.datetime) -> None:
    """The ledger as a campaign that delivered `version` to Ann at `sent_at` leaves it:
    the rows go through the ledger's own enqueue, claim and record, as in a real run
    (the real runs of the tests above record the real clock)."""
    sha256 = policy_sha256(repo, version)
    ledger = Ledger(ledger_url)
    try:
        campaign = Campaign("privacy", version, "email", sha256)
        ann = Recipient("ann@example.com", "ann@example.com", "Ann", "", "", "users.csv line 2")
        ledger.enqueue(campaign, "run-1", [ann], lambda key: f"<policy.{key}@shop.example>")
        [claimed] = ledger.claim(campaign, "worker-1", limit=10, lease=60)
        when = sent_at.timestamp()
        ledger.record([Outcome(claimed.id, SENT, "250 2.0.0 Queued", 1, when, when)])
    finally:
        ledger.close()


def policy_sha256(repo, version: str) -> str:
    for commit in repo.git("log", "--format=%H", "--", PRIVACY).split():
        text = repo.git("show", f"{commit}:{PRIVACY}")
        if f'version: "{version}"' in text:
            return hashlib.sha256(text.encode()).hexdigest()
    raise AssertionError(f"no version {version} in the history")


def test_check_with_ledger_reports_a_notice_that_went_out_after_the_window_began(revised, policyctl):
    repo = revised()
    assert notify(policyctl, repo, "--as-of", "2026-10-09").code == 1  # users.csv has an unusable address
    # The ledger records when the notice really went out: today, long after 2.0 (effective
    # 16 October) was published on 30 September.
    sent = first_notice_times(ledger_of(repo), "privacy")["2.0"].astimezone(CN.zone)
    result = policyctl("check", "--repo", repo.path, "--ledger", ledger_of(repo), "--as-of", "2026-10-09")
    assert result.code == 1
    assert "version 2.0 takes effect 2026-10-16" in result.out
    assert f"first notice went out {sent.isoformat(timespec='minutes')}" in result.out
    assert "the 7-working-day window counted from the notice ends" in result.out


def test_check_with_ledger_reports_a_notice_sent_two_working_days_into_the_window(revised, policyctl):
    repo = revised()
    # Friday 9 October: Oct 10 (make-up Saturday), 12, 13, 14, 15, 16, 19 -> 20 October.
    record_notice(ledger_of(repo), repo, "2.0", dt.datetime(2026, 10, 9, 10, 0, tzinfo=CN.zone))
    result = policyctl(
        "check", "--repo", repo.path, "--ledger", ledger_of(repo), "--as-of", "2026-10-09T12:00"
    )
    assert result.code == 1
    assert (
        "version 2.0 takes effect 2026-10-16, but its first notice went out 2026-10-09T10:00+08:00: "
        "the 7-working-day window counted from the notice ends 2026-10-20"
    ) in result.out


def test_check_with_ledger_accepts_a_notice_sent_on_the_publication_day(revised, policyctl):
    repo = revised()
    record_notice(ledger_of(repo), repo, "2.0", dt.datetime(2026, 9, 30, 18, 0, tzinfo=CN.zone))
    result = policyctl("check", "--repo", repo.path, "--ledger", ledger_of(repo), "--as-of", "2026-10-09")
    assert result.code == 0, result.out
    assert result.err == ""  # no warning either
    assert "pending 2.0 takes effect 2026-10-16 (changes core rights)" in result.out


def test_check_with_ledger_warns_about_a_core_revision_nobody_was_told_of(revised, policyctl):
    repo = revised()
    result = policyctl(
        "check", "--repo", repo.path, "--ledger", ledger_of(repo), "--as-of", "2026-09-30T12:00"
    )
    assert result.code == 0
    assert "no user has been notified yet" in result.err and "policyctl notify" in result.err


def test_check_with_ledger_fails_once_a_notice_sent_now_would_come_too_late(revised, policyctl):
    repo = revised()
    result = policyctl("check", "--repo", repo.path, "--ledger", ledger_of(repo), "--as-of", "2026-10-09")
    assert result.code == 1
    assert "version 2.0 changes core rights, takes effect 2026-10-16, and no user has been notified yet" in (
        result.out
    )
    assert "move `effective:` to 2026-10-20 or later" in result.out

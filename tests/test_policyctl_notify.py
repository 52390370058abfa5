"""`policyctl notify` end to end: the timeline decides what is owed, the outbox receives it."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
from zoneinfo import ZoneInfo

import pytest
from tests_support import BASE_POLICY, policy_file

from generator.core.calendar import WorkingCalendar

PRIVACY = "policy/privacy.md"
SITE = "https://shop.example/legal/"
CORE_CHANGE = BASE_POLICY.replace("2. Order data: address.", "2. Order data: address, phone number.")
PLAIN_CHANGE = BASE_POLICY.replace("privacy@example.com", "dpo@example.com")


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
    assert first.code == 0, first.err
    messages = outbox(repo)
    assert sorted(m["To"] for m in messages) == ["Ann <ann@example.com>", "Bob <bob@example.com>"]
    message = messages[0]
    assert "Privacy Policy" in message["Subject"] and "16 October 2026" in message["Subject"]
    text = message.get_body(("plain",)).get_content()
    assert f"{SITE}privacy/changes/1.0-to-2.0/" in text
    assert f"{SITE}privacy/versions/2.0/" in text
    assert "Information You Provide" in text  # the changed core-rights section, by title

    again = notify(policyctl, repo, "--as-of", "2026-10-02")
    assert again.code == 0
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
    assert late.code == 0, late.err
    assert "after the fact" in late.err
    assert len(outbox(repo)) == 2


def test_notify_without_site_url_is_refused(revised, policyctl):
    repo = revised()
    result = policyctl(
        "notify", "--repo", repo.path, "--recipients", repo.path / "users.csv", "--as-of", "2026-10-01"
    )
    assert result.code == 2 and "site_url" in result.err


def _publish_relative_to_now(repo, days_ago: int) -> dt.date:
    """The ledger records real send times, so these histories are built around today."""
    zone = ZoneInfo("Asia/Shanghai")
    today = dt.datetime.now(zone).date()
    published = today - dt.timedelta(days=days_ago)
    repo.publish(
        PRIVACY,
        policy_file(version="1.0", published="2020-01-06", summary="First."),
        "2020-01-06T10:00:00+08:00",
    )
    repo.publish(
        PRIVACY,
        policy_file(CORE_CHANGE, version="2.0", published=published.isoformat(), summary="Phone numbers."),
        f"{published.isoformat()}T00:30:00+08:00",
    )
    (repo.path / "users.csv").write_text("email,name\nann@example.com,Ann\n")
    return published


def test_check_with_ledger_reports_a_notice_that_started_late(policy_repo, policyctl):
    calendar = WorkingCalendar("CN", None, "Asia/Shanghai")
    today = dt.datetime.now(calendar.zone).date()
    # Published some days ago, with working days in between, and still pending now:
    # a first notice sent today leaves fewer than 7 working days before it takes effect.
    days_ago = next(
        back
        for back in range(2, 12)
        if len([d for d in calendar.working_days_after(today - dt.timedelta(days=back), 7) if d <= today])
        >= 2
    )
    _publish_relative_to_now(policy_repo, days_ago)
    ledger = f"sqlite:///{policy_repo.path / '.policy' / 'ledger.sqlite3'}"
    assert notify(policyctl, policy_repo).code == 0
    result = policyctl("check", "--repo", policy_repo.path, "--ledger", ledger)
    assert result.code == 1
    assert f"first notice went out {today.isoformat()}" in result.out
    assert "the 7-working-day window counted from the notice ends" in result.out


def test_check_with_ledger_accepts_a_notice_sent_on_the_publication_day(policy_repo, policyctl):
    _publish_relative_to_now(policy_repo, 0)
    ledger = f"sqlite:///{policy_repo.path / '.policy' / 'ledger.sqlite3'}"
    assert notify(policyctl, policy_repo).code == 0
    result = policyctl("check", "--repo", policy_repo.path, "--ledger", ledger)
    assert result.code == 0, result.out


def test_check_with_ledger_warns_about_a_core_revision_nobody_was_told_of(policy_repo, policyctl):
    _publish_relative_to_now(policy_repo, 0)
    ledger = f"sqlite:///{policy_repo.path / '.policy' / 'ledger.sqlite3'}"
    result = policyctl("check", "--repo", policy_repo.path, "--ledger", ledger)
    assert result.code == 0
    assert "no user has been notified yet" in result.err and "policyctl notify" in result.err

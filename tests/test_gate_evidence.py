"""What the gate knows beyond the history: the ledger of notices, the previous build, and
the editor's working tree."""

from __future__ import annotations

from tests_support import CORE_RIGHTS_REVISION, PolicyRepo, policy_file

PRIVACY = "policy/privacy.md"


def notified_revision(repo: PolicyRepo, policyctl) -> str:
    """1.0 in force, 2.0 (a core-rights change) pending and notified to one user as of 1
    October. Returns the ledger URL."""
    repo.publish(PRIVACY, policy_file(published="2026-09-01"), "2026-09-01T10:00:00+08:00")
    repo.publish(
        PRIVACY,
        policy_file(CORE_RIGHTS_REVISION, version="2.0", published="2026-09-30", summary="Phone numbers."),
        "2026-09-30T10:00:00+08:00",
    )
    (repo.path / "users.csv").write_text("email,name\nann@example.com,Ann\n", encoding="utf-8")
    sent = policyctl(
        "notify",
        "--repo",
        repo.path,
        "--as-of",
        "2026-10-01",
        "--recipients",
        repo.path / "users.csv",
        "--site-url",
        "https://shop.example/legal/",
    )
    assert sent.code == 0, sent.err
    return f"sqlite:///{repo.path / '.policy' / 'ledger.sqlite3'}"


def test_a_notified_version_that_vanished_from_history_fails_check_with_the_ledger(policy_repo, policyctl):
    ledger = notified_revision(policy_repo, policyctl)
    policy_repo.git("reset", "-q", "--hard", "HEAD~1")  # someone force-pushes 2.0 away

    result = policyctl("check", "--repo", policy_repo.path, "--as-of", "2026-10-02", "--ledger", ledger)

    assert result.code == 1
    assert "users were notified of privacy version 2.0 on " in result.out  # when the ledger says
    assert "no longer holds it" in result.out
    assert "restore the commits that published it" in result.out


def test_an_unsupported_ledger_is_unusable_input(policy_repo, policyctl):
    policy_repo.publish(PRIVACY, policy_file(published="2026-09-01"), "2026-09-01T10:00:00+08:00")

    result = policyctl(
        "check",
        "--repo",
        policy_repo.path,
        "--as-of",
        "2026-09-02",
        "--ledger",
        "mysql://shop:secret@db/shop",
    )

    assert result.code == 2
    assert "only SQLite and PostgreSQL ledgers are supported" in result.err
    assert "secret" not in result.out + result.err
    assert "Traceback" not in result.out + result.err


def test_a_rebuild_says_which_permanent_urls_disappear(policy_repo, policyctl, tmp_path):
    policy_repo.publish(PRIVACY, policy_file(published="2026-09-01"), "2026-09-01T10:00:00+08:00")
    policy_repo.publish(
        PRIVACY,
        policy_file(CORE_RIGHTS_REVISION, version="2.0", published="2026-09-30", summary="Phone numbers."),
        "2026-09-30T10:00:00+08:00",
    )
    site = tmp_path / "site"
    first = policyctl("build", "--repo", policy_repo.path, "--as-of", "2026-10-01", "--site-dir", site)
    assert first.code == 0, first.err
    policy_repo.git("reset", "-q", "--hard", "HEAD~1")

    again = policyctl("build", "--repo", policy_repo.path, "--as-of", "2026-10-02", "--site-dir", site)

    assert again.code == 0, again.err
    assert "privacy version 2.0 was published at privacy/versions/2.0/ by the previous build" in again.err
    assert "its permanent URL disappears" in again.err


def test_check_warns_about_a_stamped_revision_left_uncommitted(policy_repo, policyctl):
    policy_repo.publish(PRIVACY, policy_file(published="2026-09-01"), "2026-09-01T10:00:00+08:00")
    policy_repo.write(
        PRIVACY,
        policy_file(CORE_RIGHTS_REVISION, version="2.0", published="2026-09-30", summary="Phone numbers."),
    )

    result = policyctl("check", "--repo", policy_repo.path, "--as-of", "2026-09-30T12:00")

    assert result.code == 0, result.out
    assert "policy/privacy.md: version 2.0 is stamped in the working tree but not committed" in result.err


def test_an_unstamped_edit_in_the_working_tree_is_not_called_a_stamped_revision(policy_repo, policyctl):
    policy_repo.publish(PRIVACY, policy_file(published="2026-09-01"), "2026-09-01T10:00:00+08:00")
    policy_repo.write(PRIVACY, policy_file(CORE_RIGHTS_REVISION, published="2026-09-01"))

    result = policyctl("check", "--repo", policy_repo.path, "--as-of", "2026-09-30T12:00")

    assert result.code == 0, result.out
    assert "stamped in the working tree" not in result.err

"""Clock sanity: a commit date that cannot be true is refused, in words that say so.

The publicity window counts from the date of the commit that brought a version to the
built branch. A commit dated before its parent (a merge too) or after this machine's
clock carries a wrong date; `check` and `build` refuse it, naming the commits and dates.
Real repositories in temporary folders, `policyctl` as a user runs it.
"""

from __future__ import annotations

import datetime as dt

from tests_support import CORE_RIGHTS_REVISION, PolicyRepo, policy_file

PRIVACY = "policy/privacy.md"
V1_DAY = "2026-09-01T10:00:00+08:00"
MAIN_TIP_DAY = "2026-10-05T10:00:00+08:00"


def short(repo: PolicyRepo, rev: str = "HEAD") -> str:
    return repo.git("rev-parse", "--short=7", rev).strip()


def v2(published: str) -> str:
    return policy_file(CORE_RIGHTS_REVISION, version="2.0", published=published, summary="Phone numbers.")


def main_with_a_later_tip(repo: PolicyRepo) -> None:
    """1.0 on 1 September; then a commit outside policy/ on 5 October: main's tip."""
    repo.publish(PRIVACY, policy_file(published="2026-09-01"), V1_DAY, "1.0")
    repo.publish("README.md", "Our legal documents.\n", MAIN_TIP_DAY, "Readme")


def revision_on_a_branch(repo: PolicyRepo, day: str) -> None:
    """2.0, published `day`, committed on branch `revision` from 1.0 at 09:00 that day."""
    repo.git("checkout", "-q", "-b", "revision", "HEAD~1")
    repo.publish(PRIVACY, v2(day), f"{day}T09:00:00+08:00", "2.0")
    repo.git("checkout", "-q", "main")


def check(policyctl, repo: PolicyRepo, as_of: str = "2026-10-20"):
    result = policyctl("check", "--repo", repo.path, "--as-of", as_of)
    assert "Traceback" not in result.out + result.err
    return result


def test_a_commit_dated_before_its_parent_fails_check_naming_both(policy_repo, policyctl):
    main_with_a_later_tip(policy_repo)
    tip = short(policy_repo)
    policy_repo.publish(PRIVACY, v2("2026-09-29"), "2026-09-29T10:00:00+08:00", "2.0")
    backdated = short(policy_repo)

    result = check(policyctl, policy_repo)

    assert result.code == 1, result.out + result.err
    assert (
        f"error: commit {backdated}: the commit is dated 2026-09-29 10:00:00+08:00, before its parent "
        f"{tip} (dated 2026-10-05 10:00:00+08:00)"
    ) in result.out
    assert "git commit --amend --no-edit --date=now" in result.out
    assert "GIT_COMMITTER_DATE unset" in result.out
    assert "the publicity window counts from it" in result.out


def test_a_merge_dated_before_the_branch_tip_fails_check(policy_repo, policyctl):
    """main's tip is dated 5 October; the merge bringing 2.0, made on 6 October with
    GIT_COMMITTER_DATE=2026-09-29, claims 2.0 reached main on 29 September."""
    main_with_a_later_tip(policy_repo)
    tip = short(policy_repo)
    revision_on_a_branch(policy_repo, "2026-09-29")
    policy_repo.git("merge", "-q", "--no-ff", "revision", "-m", "Merge 2.0", date="2026-09-29T10:00:00+08:00")
    merge = short(policy_repo)

    result = check(policyctl, policy_repo)

    assert result.code == 1, result.out + result.err
    assert (
        f"error: commit {merge}: the merge commit is dated 2026-09-29 10:00:00+08:00, before its "
        f"first parent {tip} (dated 2026-10-05 10:00:00+08:00)"
    ) in result.out
    assert "1 problem found." in result.out


def test_a_merge_dated_before_the_merged_commit_fails_check(policy_repo, policyctl):
    policy_repo.publish(PRIVACY, policy_file(published="2026-09-01"), V1_DAY, "1.0")
    policy_repo.git("checkout", "-q", "-b", "revision")
    policy_repo.publish(PRIVACY, v2("2026-09-30"), "2026-09-30T09:00:00+08:00", "2.0")
    merged = short(policy_repo)
    policy_repo.git("checkout", "-q", "main")
    policy_repo.publish("README.md", "Our legal documents.\n", "2026-09-10T10:00:00+08:00", "Readme")
    policy_repo.git("merge", "-q", "--no-ff", "revision", "-m", "Merge 2.0", date="2026-09-20T10:00:00+08:00")
    merge = short(policy_repo)

    result = check(policyctl, policy_repo)

    assert result.code == 1, result.out + result.err
    assert (
        f"error: commit {merge}: the merge commit is dated 2026-09-20 10:00:00+08:00, before the "
        f"merged commit {merged} (dated 2026-09-30 09:00:00+08:00)"
    ) in result.out


def test_build_refuses_the_backdated_merge(policy_repo, policyctl, tmp_path):
    main_with_a_later_tip(policy_repo)
    tip = short(policy_repo)
    revision_on_a_branch(policy_repo, "2026-09-29")
    policy_repo.git("merge", "-q", "--no-ff", "revision", "-m", "Merge 2.0", date="2026-09-29T10:00:00+08:00")
    merge = short(policy_repo)
    site = tmp_path / "site"

    result = policyctl("build", "--repo", policy_repo.path, "--as-of", "2026-10-20", "--site-dir", site)

    assert result.code == 1, result.out + result.err
    assert f"error: commit {merge}: the merge commit is dated 2026-09-29 10:00:00+08:00" in result.out
    assert f"first parent {tip} (dated 2026-10-05 10:00:00+08:00)" in result.out
    assert "The site was not built" in result.out
    assert not (site / "privacy" / "versions" / "2.0").exists()


def test_a_clean_history_with_merges_passes(policy_repo, policyctl):
    main_with_a_later_tip(policy_repo)
    revision_on_a_branch(policy_repo, "2026-10-06")
    policy_repo.git("merge", "-q", "--no-ff", "revision", "-m", "Merge 2.0", date="2026-10-06T10:00:00+08:00")
    policy_repo.git("checkout", "-q", "-b", "typo")
    policy_repo.publish("README.md", "Our legal documents, in force.\n", "2026-10-07T09:00:00+08:00", "Typo")
    policy_repo.git("checkout", "-q", "main")
    policy_repo.git("merge", "-q", "--no-ff", "typo", "-m", "Merge typo", date="2026-10-07T10:00:00+08:00")

    result = check(policyctl, policy_repo)

    assert result.code == 0, result.out + result.err
    assert "dated" not in result.out + result.err


def test_clocks_minutes_apart_on_one_day_pass_but_not_across_midnight(policy_repo, policyctl):
    """A server that merges and an editor's laptop disagree by a few minutes: forgiven,
    unless the earlier date falls on the day before (the window counts days)."""
    policy_repo.publish(PRIVACY, policy_file(published="2026-09-01"), V1_DAY, "1.0")
    policy_repo.publish("README.md", "Our legal documents.\n", "2026-10-06T10:02:00+08:00", "Readme")
    policy_repo.publish(PRIVACY, v2("2026-10-06"), "2026-10-06T10:00:00+08:00", "2.0")
    assert check(policyctl, policy_repo).code == 0

    policy_repo.publish("README.md", "Our legal documents!\n", "2026-10-08T00:01:00+08:00", "Readme")
    policy_repo.publish(
        PRIVACY,
        policy_file(
            CORE_RIGHTS_REVISION + "\nMore.\n", version="3.0", published="2026-10-07", summary="More."
        ),
        "2026-10-07T23:59:00+08:00",
        "3.0",
    )
    result = check(policyctl, policy_repo)
    assert result.code == 1, result.out + result.err
    assert f"error: commit {short(policy_repo)}: the commit is dated 2026-10-07 23:59:00+08:00" in result.out


def test_a_future_dated_commit_is_reported_as_clock_skew_not_as_backdated(policy_repo, policyctl):
    """The committer's clock ran a year ahead; the version says it is published today."""
    zone = dt.timezone(dt.timedelta(hours=8))
    now = dt.datetime.now(zone).replace(microsecond=0)
    today = now.date().isoformat()
    policy_repo.publish(
        PRIVACY, policy_file(published=(now - dt.timedelta(days=60)).date().isoformat()),
        (now - dt.timedelta(days=60)).isoformat(), "1.0",
    )  # fmt: skip
    future = now + dt.timedelta(days=365)
    policy_repo.publish(PRIVACY, v2(today), future.isoformat(), "2.0")
    skewed = short(policy_repo)

    result = policyctl("check", "--repo", policy_repo.path)

    assert result.code == 1, result.out + result.err
    assert (
        f"error: commit {skewed}: the commit is dated {future.isoformat(sep=' ')}, after this machine's time ("
    ) in result.out
    assert "the committer's clock was wrong" in result.out
    assert "re-commit it with a correct date" in result.out
    assert "reached the branch only on" not in result.out
    assert "1 problem found." in result.out

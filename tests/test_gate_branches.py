"""The gate reads what reached main, and when: the first-parent chain of the built branch.

Editors work on branches and merge by merge commit, squash, rebase or fast-forward; each
test builds such a history in a real repository and runs `policyctl check` as CI does.
"""

from __future__ import annotations

import json

from tests_support import BASE_POLICY, PolicyRepo, policy_file

PRIVACY = "policy/privacy.md"
REVISED = BASE_POLICY.replace("name and email address", "name, email address and phone number")


def published_v1(repo: PolicyRepo) -> None:
    repo.publish(PRIVACY, policy_file(published="2026-09-01"), "2026-09-01T10:00:00+08:00", "Publish 1.0")


def edit_then_stamp_on_a_branch(repo: PolicyRepo, day: str = "2026-09-30") -> None:
    """Commit 1 edits the text (still version 1.0), commit 2 stamps it as 2.0."""
    repo.git("checkout", "-q", "-b", "revision")
    repo.publish(PRIVACY, policy_file(REVISED, published="2026-09-01"), f"{day}T09:00:00+08:00", "Edit")
    repo.publish(
        PRIVACY,
        policy_file(REVISED, version="2.0", published=day, summary="Phone numbers."),
        f"{day}T09:30:00+08:00",
        "Stamp 2.0",
    )
    repo.git("checkout", "-q", "main")


def status(policyctl, repo: PolicyRepo, as_of: str) -> dict:
    result = policyctl("status", "--repo", repo.path, "--as-of", as_of, "--json")
    return json.loads(result.out)["documents"][0]


def test_edit_and_stamp_merged_with_a_merge_commit_passes_the_gate(policy_repo, policyctl):
    published_v1(policy_repo)
    edit_then_stamp_on_a_branch(policy_repo)
    policy_repo.git(
        "merge", "-q", "--no-ff", "revision", "-m", "Merge revision", date="2026-09-30T10:00:00+08:00"
    )

    result = policyctl("check", "--repo", policy_repo.path, "--as-of", "2026-10-01")

    assert result.code == 0, result.out
    assert (
        "privacy: 2 versions; in force 1.0 since 2026-09-01; pending 2.0 takes effect 2026-10-16"
        in result.out
    )
    assert "Traceback" not in result.out + result.err


def test_edit_and_stamp_squash_merged_passes_the_gate(policy_repo, policyctl):
    published_v1(policy_repo)
    edit_then_stamp_on_a_branch(policy_repo)
    policy_repo.git("merge", "-q", "--squash", "revision")
    policy_repo.commit("2026-09-30T10:00:00+08:00", "Revision 2.0 (squashed)")

    result = policyctl("check", "--repo", policy_repo.path, "--as-of", "2026-10-01")

    assert result.code == 0, result.out
    assert "pending 2.0 takes effect 2026-10-16" in result.out


def test_edit_and_stamp_fast_forwarded_passes_with_a_warning(policy_repo, policyctl):
    published_v1(policy_repo)
    edit_then_stamp_on_a_branch(policy_repo)
    policy_repo.git("merge", "-q", "--ff-only", "revision")

    result = policyctl("check", "--repo", policy_repo.path, "--as-of", "2026-10-01")

    assert result.code == 0, result.out
    assert "pending 2.0 takes effect 2026-10-16" in result.out
    assert "before version 2.0 was stamped" in result.err
    # The archived text of 1.0 is the text it was published with, not the later edit.
    data = status(policyctl, policy_repo, "2026-10-01")
    assert data["in_force"]["version"] == "1.0"


def test_revision_merged_late_counts_its_window_from_the_merge(policy_repo, policyctl):
    published_v1(policy_repo)
    # Stamped and committed on a branch on 16 November, merged only on 30 November.
    policy_repo.git("checkout", "-q", "-b", "revision")
    policy_repo.publish(
        PRIVACY,
        policy_file(REVISED, version="2.0", published="2026-11-16", summary="Phone numbers."),
        "2026-11-16T10:00:00+08:00",
    )
    policy_repo.git("checkout", "-q", "main")
    policy_repo.git("merge", "-q", "--no-ff", "revision", "-m", "Merge", date="2026-11-30T10:00:00+08:00")
    merge = policy_repo.git("rev-parse", "--short=7", "HEAD").strip()

    result = policyctl("check", "--repo", policy_repo.path, "--as-of", "2026-11-30T12:00")

    assert result.code == 1
    assert (
        f"version 2.0 says published 2026-11-16, but it reached the branch only on 2026-11-30 (commit {merge})"
        in (result.out)
    )
    assert "set `published: 2026-11-30`" in result.out
    # Never in force before a full window counted from the merge.
    data = status(policyctl, policy_repo, "2026-11-30T12:00")
    assert data["in_force"]["version"] == "1.0"
    assert [p["version"] for p in data["pending"]] == ["2.0"]
    assert data["pending"][0]["effective"] > "2026-12-09"


def test_rewriting_a_published_text_fails_and_its_advice_makes_the_gate_pass(policy_repo, policyctl):
    published_v1(policy_repo)
    policy_repo.publish(PRIVACY, policy_file(REVISED, published="2026-09-01"), "2026-09-20T10:00:00+08:00")

    failed = policyctl("check", "--repo", policy_repo.path, "--as-of", "2026-09-21")

    assert failed.code == 1
    assert "changes the text of version 1.0, published 2026-09-01, without a new version" in failed.out
    advice = failed.out.split("git checkout ", 1)[1].split("`", 1)[0]
    policy_repo.git("checkout", *advice.split())
    policy_repo.commit("2026-09-21T10:00:00+08:00", "Restore the published text of 1.0")

    fixed = policyctl("check", "--repo", policy_repo.path, "--as-of", "2026-09-22")
    assert fixed.code == 0, fixed.out
    assert "a later commit restored it" in fixed.err


def test_policy_with_a_non_ascii_file_name_keeps_its_full_history(policy_repo, policyctl):
    policy_repo.publish("policy/条款.md", policy_file(published="2026-09-01"), "2026-09-01T10:00:00+08:00")
    policy_repo.publish(
        "policy/条款.md",
        policy_file(REVISED, version="2.0", published="2026-09-30", summary="Phone numbers."),
        "2026-09-30T10:00:00+08:00",
    )

    result = policyctl("check", "--repo", policy_repo.path, "--as-of", "2026-10-01")

    assert result.code == 0, result.out
    assert "条款: 2 versions; in force 1.0 since 2026-09-01; pending 2.0" in result.out


def test_a_copied_policy_starts_its_own_history(policy_repo, policyctl):
    published_v1(policy_repo)
    policy_repo.publish(
        PRIVACY,
        policy_file(REVISED, version="2.0", published="2026-09-30", summary="Phone numbers."),
        "2026-09-30T10:00:00+08:00",
    )
    copy = policy_file(REVISED, version="1.0", published="2026-10-20", title="Terms")
    policy_repo.publish("policy/terms.md", copy, "2026-10-20T10:00:00+08:00", "Copy privacy to terms")

    result = policyctl("check", "--repo", policy_repo.path, "--as-of", "2026-10-21")

    assert result.code == 0, result.out
    assert "terms: 1 version; in force 1.0 since 2026-10-20" in result.out


def test_a_renamed_policy_keeps_its_history(policy_repo, policyctl):
    published_v1(policy_repo)
    policy_repo.git("mv", PRIVACY, "policy/privacy-policy.md")
    policy_repo.commit("2026-09-10T10:00:00+08:00", "Rename")

    result = policyctl("check", "--repo", policy_repo.path, "--as-of", "2026-09-11")

    assert result.code == 0, result.out
    assert "privacy-policy: 1 version; in force 1.0 since 2026-09-01" in result.out


def test_a_symbolic_link_under_policy_is_refused_by_name(policy_repo, policyctl):
    published_v1(policy_repo)
    (policy_repo.path / "policy" / "terms.md").symlink_to("/etc/passwd")
    policy_repo.commit("2026-09-10T10:00:00+08:00", "Link")

    result = policyctl("check", "--repo", policy_repo.path, "--as-of", "2026-09-11")

    assert result.code == 2
    assert "policy/terms.md: a symbolic link is not a policy document" in result.err
    assert "root:" not in result.out + result.err
    assert "Traceback" not in result.out + result.err

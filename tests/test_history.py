"""The published history read from real git repositories, and the rules `check` enforces."""

from __future__ import annotations

import json
import subprocess

from tests_support import BASE_POLICY, CORE_RIGHTS_REVISION, policy_file

PRIVACY = "policy/privacy.md"
V1 = policy_file(version="1.0", published="2026-09-01", summary="First version.")
CHANGED_CORE = CORE_RIGHTS_REVISION


def status(policyctl, repo, as_of: str) -> dict:
    result = policyctl("status", "--json", "--repo", repo.path, "--as-of", as_of)
    assert result.code == 0, result.err
    return json.loads(result.out)


def test_revision_published_before_golden_week_is_pending_until_16_october(policy_repo, policyctl):
    policy_repo.publish(PRIVACY, V1, "2026-09-01T10:00:00+08:00")
    policy_repo.publish(
        PRIVACY,
        policy_file(CHANGED_CORE, version="2.0", published="2026-09-30", summary="Phone numbers."),
        "2026-09-30T11:00:00+08:00",
    )
    data = status(policyctl, policy_repo, "2026-10-15T23:59")
    doc = data["documents"][0]
    assert data["as_of"] == "2026-10-15T23:59:00+08:00"
    assert doc["in_force"]["version"] == "1.0"
    assert doc["in_force"]["effective"] == "2026-09-01T00:00:00+08:00"
    pending = doc["pending"][0]
    assert pending["version"] == "2.0"
    assert pending["effective"] == "2026-10-16T00:00:00+08:00"
    assert pending["core_rights_changed"] is True
    assert pending["changes"] == {
        "added": [],
        "removed": [],
        "changed": ["information-you-provide"],
        "moved": [],
        "renamed": [],
    }
    assert doc["next_change"] == "2026-10-16T00:00:00+08:00"

    after = status(policyctl, policy_repo, "2026-10-16")["documents"][0]
    assert after["in_force"]["version"] == "2.0" and after["pending"] == []
    assert after["next_change"] is None


def test_revision_published_on_10_september_counts_the_make_up_sunday(policy_repo, policyctl):
    policy_repo.publish(PRIVACY, V1, "2026-09-01T10:00:00+08:00")
    policy_repo.publish(
        PRIVACY,
        policy_file(CHANGED_CORE, version="1.1", published="2026-09-10", summary="Phone."),
        "2026-09-10T09:00:00+08:00",
    )
    doc = status(policyctl, policy_repo, "2026-09-11")["documents"][0]
    assert doc["pending"][0]["effective"] == "2026-09-21T00:00:00+08:00"
    checked = policyctl("check", "--repo", policy_repo.path, "--as-of", "2026-09-11")
    assert checked.code == 0, checked.out
    assert checked.out == (
        "privacy: 2 versions; in force 1.0 since 2026-09-01; "
        "pending 1.1 takes effect 2026-09-21 (changes core rights)\n"
    )


def test_in_force_entry_carries_commit_and_file_hash(policy_repo, policyctl):
    commit = policy_repo.publish(PRIVACY, V1, "2026-09-01T10:00:00+08:00")
    import hashlib

    expected = hashlib.sha256(V1.encode()).hexdigest()
    doc = status(policyctl, policy_repo, "2026-09-02")["documents"][0]
    assert doc["in_force"]["commit"] == commit
    assert doc["in_force"]["sha256"] == expected


def test_scheduled_version_is_not_pending_and_sets_the_next_change(policy_repo, policyctl):
    policy_repo.publish(PRIVACY, V1, "2026-09-01T10:00:00+08:00")
    policy_repo.publish(
        PRIVACY,
        policy_file(CHANGED_CORE, version="2.0", published="2026-11-02", summary="Later."),
        "2026-10-20T10:00:00+08:00",
    )
    doc = status(policyctl, policy_repo, "2026-10-25")["documents"][0]
    assert doc["pending"] == []
    assert doc["in_force"]["version"] == "1.0"
    assert doc["next_change"] == "2026-11-02T00:00:00+08:00"


def test_effective_date_inside_the_window_is_refused_naming_the_earliest(policy_repo, policyctl):
    policy_repo.publish(PRIVACY, V1, "2026-09-01T10:00:00+08:00")
    policy_repo.publish(
        PRIVACY,
        policy_file(CHANGED_CORE, version="2.0", published="2026-09-30", effective="2026-10-09", summary="x"),
        "2026-09-30T10:00:00+08:00",
    )
    result = policyctl("check", "--repo", policy_repo.path, "--as-of", "2026-10-01")
    assert result.code == 1
    assert "policy/privacy.md" in result.out
    assert "earliest allowed is 2026-10-16" in result.out
    assert "effective: 2026-10-16" in result.out


def test_too_early_effective_date_added_later_names_the_commit_that_added_it(policy_repo, policyctl):
    policy_repo.publish(PRIVACY, V1, "2026-09-01T10:00:00+08:00")
    policy_repo.publish(
        PRIVACY,
        policy_file(CHANGED_CORE, version="2.0", published="2026-09-30", summary="x"),
        "2026-09-30T10:00:00+08:00",
    )
    culprit = policy_repo.publish(
        PRIVACY,
        policy_file(CHANGED_CORE, version="2.0", published="2026-09-30", effective="2026-10-12", summary="x"),
        "2026-09-30T15:00:00+08:00",
    )
    result = policyctl("check", "--repo", policy_repo.path, "--as-of", "2026-10-01")
    assert result.code == 1
    assert f"(commit {culprit[:7]}): version 2.0 takes effect 2026-10-12" in result.out


def test_effective_date_after_the_window_is_accepted(policy_repo, policyctl):
    policy_repo.publish(PRIVACY, V1, "2026-09-01T10:00:00+08:00")
    policy_repo.publish(
        PRIVACY,
        policy_file(CHANGED_CORE, version="2.0", published="2026-09-30", effective="2026-11-01", summary="x"),
        "2026-09-30T10:00:00+08:00",
    )
    checked = policyctl("check", "--repo", policy_repo.path, "--as-of", "2026-10-01")
    assert checked.code == 0, checked.out
    assert "pending 2.0 takes effect 2026-11-01 (changes core rights)" in checked.out
    doc = status(policyctl, policy_repo, "2026-10-20")["documents"][0]
    assert doc["pending"][0]["effective"] == "2026-11-01T00:00:00+08:00"


def test_revision_without_summary_fails_check(policy_repo, policyctl):
    policy_repo.publish(PRIVACY, V1, "2026-09-01T10:00:00+08:00")
    policy_repo.publish(
        PRIVACY, policy_file(CHANGED_CORE, version="2.0", published="2026-09-30"), "2026-09-30T10:00:00+08:00"
    )
    result = policyctl("check", "--repo", policy_repo.path, "--as-of", "2026-10-01")
    assert result.code == 1
    assert "version 2.0 has no `summary`" in result.out


def test_backdated_publication_fails_check(policy_repo, policyctl):
    policy_repo.publish(PRIVACY, V1, "2026-09-01T10:00:00+08:00")
    commit = policy_repo.publish(
        PRIVACY,
        policy_file(CHANGED_CORE, version="2.0", published="2026-09-20", summary="x"),
        "2026-09-30T10:00:00+08:00",
    )
    result = policyctl("check", "--repo", policy_repo.path, "--as-of", "2026-10-20")
    assert result.code == 1
    assert (
        f"version 2.0 says published 2026-09-20, but it reached the branch only on 2026-09-30 "
        f"(commit {commit[:7]})"
    ) in result.out
    assert "set `published: 2026-09-30` (or later)" in result.out


def test_changing_a_published_text_without_new_version_names_the_commit(policy_repo, policyctl):
    published = policy_repo.publish(PRIVACY, V1, "2026-09-01T10:00:00+08:00")
    sneaky = policy_repo.publish(
        PRIVACY,
        V1.replace("name and email address", "name, email address and photo"),
        "2026-09-15T10:00:00+08:00",
    )
    result = policyctl("check", "--repo", policy_repo.path, "--as-of", "2026-09-16")
    assert result.code == 1
    assert f"commit {sneaky[:7]} changes the text of version 1.0" in result.out
    # The advice restores the published text and publishes the change as a new version.
    assert f"git checkout {published[:7]} -- policy/privacy.md" in result.out
    assert "policyctl publish privacy --version <new>" in result.out


def test_same_day_typo_fix_before_the_published_day_ends_is_allowed(policy_repo, policyctl):
    policy_repo.publish(PRIVACY, V1, "2026-09-01T10:00:00+08:00")
    fixed = policy_repo.publish(PRIVACY, V1.replace("Website.", "Website!"), "2026-09-01T15:00:00+08:00")
    checked = policyctl("check", "--repo", policy_repo.path, "--as-of", "2026-09-02")
    assert checked.code == 0, checked.out
    assert checked.out == "privacy: 1 version; in force 1.0 since 2026-09-01\n"
    doc = status(policyctl, policy_repo, "2026-09-02")["documents"][0]
    # Still version 1.0, and its text is the corrected one.
    assert doc["in_force"]["version"] == "1.0" and doc["in_force"]["commit"] == fixed


def test_effective_instants_must_increase(policy_repo, policyctl):
    policy_repo.publish(PRIVACY, V1, "2026-09-01T10:00:00+08:00")
    policy_repo.publish(
        PRIVACY,
        policy_file(CHANGED_CORE, version="2.0", published="2026-09-02", effective="2026-12-01", summary="x"),
        "2026-09-02T10:00:00+08:00",
    )
    policy_repo.publish(
        PRIVACY,
        policy_file(CHANGED_CORE + "\nMore.\n", version="3.0", published="2026-09-03", summary="y"),
        "2026-09-03T10:00:00+08:00",
    )
    result = policyctl("check", "--repo", policy_repo.path, "--as-of", "2026-09-04")
    assert result.code == 1
    assert "version 3.0 takes effect 2026-09-15, not after version 2.0 (2026-12-01)" in result.out


def test_reused_version_number_fails_check(policy_repo, policyctl):
    policy_repo.publish(PRIVACY, V1, "2026-09-01T10:00:00+08:00")
    policy_repo.publish(
        PRIVACY,
        policy_file(CHANGED_CORE, version="2.0", published="2026-09-02", summary="x"),
        "2026-09-02T10:00:00+08:00",
    )
    policy_repo.publish(
        PRIVACY,
        policy_file(BASE_POLICY, version="1.0", published="2026-09-03", summary="y"),
        "2026-09-03T10:00:00+08:00",
    )
    result = policyctl("check", "--repo", policy_repo.path, "--as-of", "2026-09-04")
    assert result.code == 1
    assert "version '1.0' was already used" in result.out


def test_malformed_front_matter_names_file_commit_and_line(policy_repo, policyctl):
    commit = policy_repo.publish(
        PRIVACY, "---\ntitle: Privacy\nsummary: Note: bad\n---\n\nText\n", "2026-09-01T10:00:00+08:00"
    )
    result = policyctl("check", "--repo", policy_repo.path, "--as-of", "2026-09-02")
    assert result.code == 2
    assert f"policy/privacy.md:3 (commit {commit[:7]}): malformed front matter" in result.err
    assert "Traceback" not in result.err


def test_not_a_git_repository_is_unusable_input(tmp_path, policyctl):
    result = policyctl("check", "--repo", tmp_path, "--as-of", "2026-09-02")
    assert result.code == 2
    assert "not a git repository" in result.err


def test_shallow_clone_says_how_to_fetch_the_full_history(policy_repo, policyctl, tmp_path):
    policy_repo.publish(PRIVACY, V1, "2026-09-01T10:00:00+08:00")
    policy_repo.publish(
        PRIVACY,
        policy_file(CHANGED_CORE, version="2.0", published="2026-09-30", summary="x"),
        "2026-09-30T10:00:00+08:00",
    )
    clone = tmp_path / "shallow"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "1", f"file://{policy_repo.path}", str(clone)], check=True
    )
    result = policyctl("status", "--repo", clone, "--as-of", "2026-10-01")
    assert result.code == 2
    assert "shallow clone" in result.err
    assert "git fetch --unshallow" in result.err and "fetch-depth: 0" in result.err


def test_renamed_document_keeps_its_history(policy_repo, policyctl):
    policy_repo.publish("policy/privacy-policy.md", V1, "2026-09-01T10:00:00+08:00")
    policy_repo.git("mv", "policy/privacy-policy.md", PRIVACY)
    policy_repo.commit("2026-09-05T10:00:00+08:00", "Rename")
    policy_repo.publish(
        PRIVACY,
        policy_file(CHANGED_CORE, version="2.0", published="2026-09-30", summary="x"),
        "2026-09-30T10:00:00+08:00",
    )
    from generator.policies import read_history
    from generator.settings import Settings

    history = read_history(policy_repo.path, Settings())
    [document] = history.documents
    assert document.id == "privacy"
    assert [(v.version, v.path) for v in document.versions] == [
        ("1.0", PRIVACY),  # its last commit is the rename
        ("2.0", PRIVACY),
    ]
    assert history.violations == ()


def test_two_documents_have_their_own_timelines(policy_repo, policyctl):
    policy_repo.write(PRIVACY, V1)
    policy_repo.write(
        "policy/terms.md",
        policy_file("## Terms {#terms}\n\nBe nice.\n", title="Terms of Service", published="2026-09-01"),
    )
    policy_repo.commit("2026-09-01T10:00:00+08:00")
    policy_repo.publish(
        "policy/terms.md",
        policy_file(
            "## Terms {#terms}\n\nBe kind.\n",
            title="Terms of Service",
            version="1.1",
            published="2026-09-30",
            summary="Kinder.",
        ),
        "2026-09-30T10:00:00+08:00",
    )
    data = status(policyctl, policy_repo, "2026-10-01")
    by_id = {d["id"]: d for d in data["documents"]}
    assert set(by_id) == {"privacy", "terms"}
    assert by_id["privacy"]["pending"] == []
    assert by_id["terms"]["title"] == "Terms of Service"
    assert by_id["terms"]["pending"][0]["core_rights_changed"] is False
    assert by_id["terms"]["pending"][0]["changes"]["changed"] == ["terms"]


def test_repository_without_front_matter_is_versioned_per_commit(policy_repo, policyctl):
    policy_repo.publish(PRIVACY, "# Privacy\n\nWe collect little.\n", "2026-09-01T10:00:00+08:00")
    policy_repo.publish(PRIVACY, "# Privacy\n\nWe collect less.\n", "2026-09-30T09:00:00+08:00")
    policy_repo.publish(PRIVACY, "# Privacy\n\nWe collect nothing.\n", "2026-09-30T17:00:00+08:00")
    from generator.policies import read_history
    from generator.settings import Settings

    [document] = read_history(policy_repo.path, Settings()).documents
    names = [v.version for v in document.versions]
    assert names == ["2026-09-01", "2026-09-30", "2026-09-30-2"]
    effective = [v.effective.isoformat() for v in document.versions]
    assert effective[0] == "2026-09-01T00:00:00+08:00"
    assert effective[1] == "2026-10-16T00:00:00+08:00"
    assert [v.summary for v in document.versions] == [None, None, None]
    # No summaries needed; of two versions of one day, the later one takes effect.
    checked = policyctl("check", "--repo", policy_repo.path, "--as-of", "2026-10-01")
    assert checked.code == 0, checked.out
    assert "pending 2026-09-30-2 takes effect 2026-10-16" in checked.out
    assert (
        status(policyctl, policy_repo, "2026-10-16")["documents"][0]["in_force"]["version"] == "2026-09-30-2"
    )


def test_renumbering_insertion_is_reported_as_one_added_section(policy_repo, policyctl):
    policy_repo.publish(PRIVACY, V1, "2026-09-01T10:00:00+08:00")
    inserted = BASE_POLICY.replace(
        "## III. Contact {#contact}",
        "## III. Cookies {#cookies .core-rights}\n\nWe use cookies.\n\n## IV. Contact {#contact}",
    )
    policy_repo.publish(
        PRIVACY,
        policy_file(inserted, version="2.0", published="2026-09-30", summary="Cookies."),
        "2026-09-30T10:00:00+08:00",
    )
    pending = status(policyctl, policy_repo, "2026-10-01")["documents"][0]["pending"][0]
    assert pending["changes"] == {
        "added": ["cookies"],
        "removed": [],
        "changed": [],
        "moved": [],
        "renamed": [],
    }
    assert pending["core_rights_changed"] is True


def test_window_into_2027_warns_that_the_schedule_is_unknown(policy_repo, policyctl):
    policy_repo.publish(PRIVACY, V1, "2026-09-01T10:00:00+08:00")
    policy_repo.publish(
        PRIVACY,
        policy_file(CHANGED_CORE, version="2.0", published="2026-12-28", summary="x"),
        "2026-11-27T10:00:00+08:00",  # scheduled ahead: a commit from the future is clock skew
    )
    result = policyctl("check", "--repo", policy_repo.path, "--as-of", "2026-12-28")
    assert result.code == 0
    assert "warning:" in result.err and "2027" in result.err and "no official holiday schedule" in result.err


def test_settings_come_from_mkdocs_yml_and_flags_override(policy_repo, policyctl):
    policy_repo.write(
        "mkdocs.yml",
        "site_name: Legal\nmarkdown_extensions:\n  - pymdownx.emoji:\n      emoji_index: !!python/name:material.extensions.emoji.twemoji\n"
        "plugins:\n  - policy:\n      country: US\n      timezone: America/New_York\n      working_days: 5\n",
    )
    policy_repo.publish(PRIVACY, V1, "2026-09-01T10:00:00-04:00")
    policy_repo.publish(
        PRIVACY,
        policy_file(CHANGED_CORE, version="2.0", published="2026-09-30", summary="x"),
        "2026-09-30T10:00:00-04:00",
    )
    doc = status(policyctl, policy_repo, "2026-10-01")["documents"][0]
    assert doc["pending"][0]["effective"] == "2026-10-08T00:00:00-04:00"  # 5 US working days
    result = policyctl(
        "status", "--json", "--repo", policy_repo.path, "--as-of", "2026-10-01", "--working-days", "7"
    )
    assert json.loads(result.out)["documents"][0]["pending"][0]["effective"] == "2026-10-10T00:00:00-04:00"


def test_invalid_setting_is_unusable_input(policy_repo, policyctl):
    policy_repo.publish(PRIVACY, V1, "2026-09-01T10:00:00+08:00")
    result = policyctl(
        "check", "--repo", policy_repo.path, "--as-of", "2026-09-02", "--timezone", "Mars/Olympus"
    )
    assert result.code == 2 and "unknown time zone 'Mars/Olympus'" in result.err
    result = policyctl("check", "--repo", policy_repo.path, "--as-of", "soon")
    assert result.code == 2 and "--as-of" in result.err


def test_misspelled_core_rights_mark_fails_check(policy_repo, policyctl):
    policy_repo.publish(
        PRIVACY,
        policy_file(BASE_POLICY.replace(".core-rights", ".core-right"), published="2026-09-01"),
        "2026-09-01T10:00:00+08:00",
    )
    result = policyctl("check", "--repo", policy_repo.path, "--as-of", "2026-09-02")
    assert result.code == 1 and "`.core-right` looks like a misspelling of `.core-rights`" in result.out


def test_publish_stamps_the_revision_and_prints_the_earliest_effective_date(policy_repo, policyctl):
    policy_repo.publish(PRIVACY, V1, "2026-09-01T10:00:00+08:00")
    policy_repo.write(PRIVACY, V1.replace("name and email", "name, phone and email"))
    refused = policyctl(
        "publish", "privacy", "--version", "2.0", "--repo", policy_repo.path, "--as-of", "2026-09-30"
    )
    assert refused.code == 2 and "summary" in refused.err
    result = policyctl(
        "publish",
        "privacy",
        "--version",
        "2.0",
        "--summary",
        "We now collect phone numbers.",
        "--repo",
        policy_repo.path,
        "--as-of",
        "2026-09-30",
    )
    assert result.code == 0, result.err
    assert "Earliest effective: 2026-10-16T00:00:00+08:00" in result.out
    text = (policy_repo.path / PRIVACY).read_text()
    assert 'version: "2.0"' in text and "published: 2026-09-30" in text
    assert 'summary: "We now collect phone numbers."' in text
    assert "name, phone and email" in text
    policy_repo.commit("2026-09-30T11:00:00+08:00")
    checked = policyctl("check", "--repo", policy_repo.path, "--as-of", "2026-10-01")
    assert checked.code == 0, checked.out
    assert "pending 2.0 takes effect 2026-10-16" in checked.out

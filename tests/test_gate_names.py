"""Hostile names and broken input: the gate says what is wrong and where, and nothing
broken is published (`check` exit 1 for a broken rule, 2 for unusable input)."""

from __future__ import annotations

import pytest
from tests_support import BASE_POLICY, PolicyRepo, policy_file

PRIVACY = "policy/privacy.md"
REVISED = BASE_POLICY.replace("name and email address", "name, email address and phone number")


def with_revision(repo: PolicyRepo, version: str) -> None:
    repo.publish(PRIVACY, policy_file(published="2026-09-01"), "2026-09-01T10:00:00+08:00")
    repo.publish(
        PRIVACY,
        policy_file(REVISED, version=version, published="2026-09-30", summary="Phone numbers."),
        "2026-09-30T10:00:00+08:00",
    )


@pytest.mark.parametrize("name", ["..", ".", "a/b", "<b>", "3 0", "2.0/../../index"])
def test_a_version_name_that_cannot_be_a_url_is_refused_by_check_and_build(
    policy_repo, policyctl, tmp_path, name
):
    with_revision(policy_repo, name)

    check = policyctl("check", "--repo", policy_repo.path, "--as-of", "2026-10-01")
    build = policyctl(
        "build", "--repo", policy_repo.path, "--as-of", "2026-10-01", "--site-dir", tmp_path / "s"
    )

    assert check.code == 1
    assert f"version {name!r} cannot be part of a URL" in check.out
    assert "e.g. `2.0`" in check.out
    assert build.code == 1
    assert not (tmp_path / "s").exists()
    assert "Traceback" not in check.out + check.err + build.out + build.err


def test_two_version_names_with_the_same_address_are_refused(policy_repo, policyctl):
    with_revision(policy_repo, "3-0")
    policy_repo.publish(
        PRIVACY,
        policy_file(REVISED + "\nMore.\n", version="3 0", published="2026-10-20", summary="More."),
        "2026-10-20T10:00:00+08:00",
    )

    result = policyctl("check", "--repo", policy_repo.path, "--as-of", "2026-10-21")

    assert result.code == 1
    assert "versions '3-0' and '3 0' would share the address privacy/versions/3-0/" in result.out


def test_hidden_files_are_not_documents(policy_repo, policyctl):
    policy_repo.publish(PRIVACY, policy_file(published="2026-09-01"), "2026-09-01T10:00:00+08:00")
    policy_repo.publish(".x.md", "not a policy", "2026-09-02T10:00:00+08:00")
    policy_repo.publish("policy/.notes.md", "editor's notes", "2026-09-02T11:00:00+08:00")

    result = policyctl("check", "--repo", policy_repo.path, "--as-of", "2026-09-03")

    assert result.code == 0, result.out
    assert result.out.count("version") == 1  # only privacy is reported
    assert "notes" not in result.out


@pytest.mark.parametrize("stem", ["updates", "a#b", "what?", "100%"])
def test_a_document_id_that_cannot_be_its_url_is_refused_by_check(policy_repo, policyctl, stem):
    policy_repo.publish(f"policy/{stem}.md", policy_file(published="2026-09-01"), "2026-09-01T10:00:00+08:00")

    result = policyctl("check", "--repo", policy_repo.path, "--as-of", "2026-09-02")

    assert result.code == 2
    assert f"policy/{stem}.md: document id {stem!r}" in result.err
    assert "rename the file" in result.err
    assert "Traceback" not in result.out + result.err


def test_a_policy_file_that_is_not_utf8_is_refused_with_the_byte(policy_repo, policyctl, tmp_path):
    text = policy_file(published="2026-09-01").replace("Write to", "Écrivez à")
    (policy_repo.path / "policy").mkdir()
    (policy_repo.path / PRIVACY).write_bytes(text.encode("latin-1"))
    policy_repo.commit("2026-09-01T10:00:00+08:00")

    check = policyctl("check", "--repo", policy_repo.path, "--as-of", "2026-09-02")
    build = policyctl(
        "build", "--repo", policy_repo.path, "--as-of", "2026-09-02", "--site-dir", tmp_path / "s"
    )

    assert check.code == 2
    assert "policy/privacy.md" in check.err and "is not UTF-8 text" in check.err
    assert "save the file as UTF-8" in check.err
    assert build.code == 2
    assert not (tmp_path / "s").exists()
    assert "\ufffd" not in check.out + check.err


def test_a_duplicated_heading_id_stops_the_build_as_it_fails_the_check(policy_repo, policyctl, tmp_path):
    body = BASE_POLICY.replace("## III. Contact {#contact}", "## III. Contact {#scope}")
    policy_repo.publish(PRIVACY, policy_file(body, published="2026-09-01"), "2026-09-01T10:00:00+08:00")

    check = policyctl("check", "--repo", policy_repo.path, "--as-of", "2026-09-02")
    build = policyctl(
        "build", "--repo", policy_repo.path, "--as-of", "2026-09-02", "--site-dir", tmp_path / "s"
    )

    assert check.code == 1
    assert "section id 'scope' is used by 2 headings" in check.out
    assert build.code == 1
    assert "section id 'scope' is used by 2 headings" in build.out
    assert not (tmp_path / "s").exists()


def test_publish_refuses_a_version_name_that_cannot_be_a_url_before_writing(policy_repo, policyctl):
    policy_repo.publish(PRIVACY, policy_file(published="2026-09-01"), "2026-09-01T10:00:00+08:00")
    policy_repo.write(PRIVACY, policy_file(REVISED, published="2026-09-01"))
    before = (policy_repo.path / PRIVACY).read_bytes()

    result = policyctl(
        "publish",
        "privacy",
        "--repo",
        policy_repo.path,
        "--as-of",
        "2026-09-30",
        "--version",
        "2.0 final",
        "--summary",
        "Phone numbers.",
    )

    assert result.code == 2
    assert "version '2.0 final' cannot be part of a URL" in result.err
    assert 'e.g. --version "2.0-final"' in result.err
    assert (policy_repo.path / PRIVACY).read_bytes() == before


def test_the_first_version_can_be_stamped_before_anything_is_committed(policy_repo, policyctl):
    policy_repo.write(PRIVACY, policy_file(version=None))

    result = policyctl(
        "publish", "privacy", "--repo", policy_repo.path, "--as-of", "2026-09-01", "--version", "1.0"
    )

    assert result.code == 0, result.err
    assert "version 1.0, published 2026-09-01" in result.out
    assert 'version: "1.0"' in (policy_repo.path / PRIVACY).read_text(encoding="utf-8")

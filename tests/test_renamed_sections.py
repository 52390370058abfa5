"""A section renamed in a history without ids (issue 19): the data files say so, and a
rename does not hide a core-rights mark that the revision dropped."""

from __future__ import annotations

import json

from tests_support import PolicyRepo, build, policy_file

V1 = """\
Intro.

## Our legal basis for processing {.core-rights}

We process your data to perform our contract with you and to meet our legal duties.

## Contact

Write to privacy@example.com.
"""
V2 = V1.replace("Our legal basis for processing {.core-rights}", "Our legal bases for processing")


def history(repo: PolicyRepo) -> None:
    repo.publish("policy/privacy.md", policy_file(V1, published="2026-09-01"), "2026-09-01T10:00:00+08:00")
    repo.publish(
        "policy/privacy.md",
        policy_file(V2, version="2.0", published="2026-11-02", summary="Wording."),
        "2026-11-02T10:00:00+08:00",
    )


def test_versions_json_lists_the_renamed_section_with_its_old_title(policy_repo, policyctl, tmp_path):
    history(policy_repo)
    site = tmp_path / "site"
    build(policyctl, policy_repo, "2026-11-03", site)
    versions = json.loads((site / "versions.json").read_text())["documents"][0]["versions"]
    changes = next(v for v in versions if v["version"] == "2.0")["changes"]
    assert changes["renamed"] == [
        {
            "id": "our-legal-bases-for-processing",
            "from": "Our legal basis for processing",
            "to": "Our legal bases for processing",
        }
    ]
    assert changes["added"] == [] and changes["removed"] == []
    assert changes["changed"] == ["our-legal-bases-for-processing"]


def test_a_renamed_section_that_lost_its_core_rights_mark_is_named_by_check(policy_repo, policyctl):
    history(policy_repo)
    result = policyctl("check", "--repo", policy_repo.path, "--as-of", "2026-11-03")
    assert "version 2.0 drops the core-rights mark from our-legal-bases-for-processing" in result.err

"""`policyctl publish` on real git repositories: the front matter edited in place (the
editor's comments, key order, `summary: >` blocks and titles with `---` kept), the
effective date written out, a revision already pending taken into account, document ids
that are not a file of policy/ refused, and a broken front matter refused with the file
left as it was. Every run but one is at an explicit --as-of; the operator calendar is CN."""

from __future__ import annotations

import datetime as dt
import json
import os
from zoneinfo import ZoneInfo

import pytest
from tests_support import BASE_POLICY, CORE_RIGHTS_REVISION, INSERTED_SECTION_REVISION, policy_file

from generator.commands.publish import merge_advice

PRIVACY = "policy/privacy.md"
V1 = policy_file(version="1.0", published="2026-09-01", summary="First version.")

EDITED_FRONT_MATTER = """\
---
# Reviewed by Legal; keep the keys in this order.
title: Terms --- Privacy and Cookies   # shown as the page title
version: "1.0"
published: 2026-09-01
summary: >
  We now collect your phone number
  so that the carrier can reach you.
owner: legal@example.com
---

"""


def publish(policyctl, repo, *args: str, as_of: str = "2026-09-30"):
    result = policyctl("publish", *args, "--repo", repo.path, "--as-of", as_of)
    assert "Traceback" not in result.out + result.err
    return result


def read(repo, name: str = PRIVACY) -> str:
    return (repo.path / name).read_bytes().decode("utf-8")


def with_v1(policy_repo) -> None:
    """Version 1.0 of the privacy policy, published on 1 September 2026."""
    policy_repo.publish(PRIVACY, V1, "2026-09-01T10:00:00+08:00")


def test_publish_keeps_comments_key_order_and_a_multi_line_summary_and_writes_the_effective_date(
    policy_repo, policyctl
):
    with_v1(policy_repo)
    edited = EDITED_FRONT_MATTER + CORE_RIGHTS_REVISION
    policy_repo.write(PRIVACY, edited)

    result = publish(policyctl, policy_repo, "privacy", "--version", "2.0")

    assert result.code == 0, result.err
    assert result.out.splitlines() == [
        "policy/privacy.md: version 2.0, published 2026-09-30.",
        "Earliest effective: 2026-10-16T00:00:00+08:00 (7 working days in CN).",
        "Effective: 2026-10-16, written to the front matter "
        "(the announced date no longer depends on the calendar settings).",
        # Stamped for 30 September 2026 by --as-of, a day that has passed.
        "The publication date 2026-09-30 (set by --as-of) has passed: a merge today comes after it, "
        "and `policyctl check` refuses a version published before it reached main. "
        "Run publish again without --as-of to stamp today's date.",
    ]
    assert result.err == ""
    assert read(policy_repo) == edited.replace('version: "1.0"', 'version: "2.0"').replace(
        "published: 2026-09-01\n", "published: 2026-09-30\neffective: 2026-10-16\n"
    )


def test_a_revision_published_with_a_multi_line_summary_and_a_title_with_dashes_passes_check(
    policy_repo, policyctl
):
    with_v1(policy_repo)
    policy_repo.write(PRIVACY, EDITED_FRONT_MATTER + CORE_RIGHTS_REVISION)
    assert publish(policyctl, policy_repo, "privacy", "--version", "2.0").code == 0
    policy_repo.commit("2026-09-30T11:00:00+08:00")

    checked = policyctl("check", "--repo", policy_repo.path, "--as-of", "2026-10-01")
    assert checked.code == 0, checked.out + checked.err
    assert "pending 2.0 takes effect 2026-10-16" in checked.out
    status = policyctl("status", "--json", "--repo", policy_repo.path, "--as-of", "2026-10-01")
    pending = json.loads(status.out)["documents"][0]["pending"][0]
    assert pending["summary"] == "We now collect your phone number so that the carrier can reach you."
    assert json.loads(status.out)["documents"][0]["title"] == "Terms --- Privacy and Cookies"


def test_the_written_effective_date_does_not_move_when_the_calendar_settings_change_later(
    policy_repo, policyctl
):
    with_v1(policy_repo)
    policy_repo.write(PRIVACY, policy_file(CORE_RIGHTS_REVISION, summary="First version."))
    assert publish(policyctl, policy_repo, "privacy", "--version", "2.0", "--summary", "Phone.").code == 0
    assert "effective: 2026-10-16\n" in read(policy_repo)
    policy_repo.commit("2026-09-30T11:00:00+08:00")

    # With a 5-working-day window the computed date would be 14 October: the announced
    # 16 October stays.
    status = policyctl(
        "status", "--json", "--working-days", "5", "--repo", policy_repo.path, "--as-of", "2026-10-01"
    )
    assert status.code == 0, status.err
    assert json.loads(status.out)["documents"][0]["pending"][0]["effective"] == "2026-10-16T00:00:00+08:00"


def test_a_later_effective_date_given_with_the_flag_is_written_instead_of_the_earliest(
    policy_repo, policyctl
):
    with_v1(policy_repo)
    policy_repo.write(PRIVACY, policy_file(CORE_RIGHTS_REVISION, effective="2026-09-01"))

    result = publish(
        policyctl,
        policy_repo,
        "privacy",
        "--version",
        "2.0",
        "--summary",
        "Phone.",
        "--effective",
        "2026-11-02",
    )

    assert result.code == 0, result.err
    assert "Effective as set: 2026-11-02." in result.out
    assert read(policy_repo) == policy_file(
        CORE_RIGHTS_REVISION, version="2.0", published="2026-09-30", effective="2026-11-02"
    ).replace("effective: 2026-11-02\n", 'effective: 2026-11-02\nsummary: "Phone."\n')


def test_an_effective_date_inside_the_window_is_refused_and_the_file_is_left_as_it_was(
    policy_repo, policyctl
):
    with_v1(policy_repo)
    edited = policy_file(CORE_RIGHTS_REVISION, summary="Phone.")
    policy_repo.write(PRIVACY, edited)

    result = publish(policyctl, policy_repo, "privacy", "--version", "2.0", "--effective", "2026-10-15")

    assert result.code == 2
    assert (
        "effective 2026-10-15 is too early" in result.err
        and "the earliest allowed is 2026-10-16" in result.err
    )
    assert read(policy_repo) == edited


def test_the_first_version_of_a_document_is_in_force_on_publication_without_an_effective_date(
    policy_repo, policyctl
):
    with_v1(policy_repo)
    policy_repo.write("policy/terms.md", "# Terms\n\nBe nice.\n")

    result = publish(policyctl, policy_repo, "terms", "--version", "1.0")

    assert result.code == 0, result.err
    assert "First version: in force on publication." in result.out
    assert read(policy_repo, "policy/terms.md") == (
        '---\ntitle: "Terms"\nversion: "1.0"\npublished: 2026-09-30\n---\n# Terms\n\nBe nice.\n'
    )
    policy_repo.commit("2026-09-30T11:00:00+08:00")
    checked = policyctl("check", "--repo", policy_repo.path, "--as-of", "2026-09-30T12:00")
    assert checked.code == 0, checked.out + checked.err


def test_publishing_over_a_pending_revision_warns_and_takes_effect_the_day_after_it(policy_repo, policyctl):
    with_v1(policy_repo)
    policy_repo.publish(
        PRIVACY,
        policy_file(
            CORE_RIGHTS_REVISION,
            version="2.0",
            published="2026-09-30",
            effective="2026-11-02",
            summary="Phone.",
        ),
        "2026-09-30T11:00:00+08:00",
    )
    third = BASE_POLICY.replace("privacy@example.com", "dpo@example.com")
    policy_repo.write(
        PRIVACY,
        policy_file(third, version="2.0", published="2026-09-30", effective="2026-11-02", summary="Phone."),
    )

    result = publish(
        policyctl, policy_repo, "privacy", "--version", "3.0", "--summary", "New DPO.", as_of="2026-10-09"
    )

    assert result.code == 0, result.err
    assert result.err.splitlines() == [
        "warning: policy/privacy.md: version 2.0 is pending (published 2026-09-30, takes effect 2026-11-02); "
        "it still takes effect as announced",
        "  -> version 3.0 must take effect after it (effective dates of a document strictly increase): "
        "2026-11-03 at the earliest, later than its own publicity window alone would allow (2026-10-20)",
    ]
    assert "Earliest effective: 2026-10-20T00:00:00+08:00 (7 working days in CN)." in result.out
    assert "After version 2.0 (effective 2026-11-02): earliest 2026-11-03T00:00:00+08:00." in result.out
    assert "effective: 2026-11-03\n" in read(policy_repo)
    policy_repo.commit("2026-10-09T11:00:00+08:00")
    checked = policyctl("check", "--repo", policy_repo.path, "--as-of", "2026-10-10")
    assert checked.code == 0, checked.out + checked.err


def test_publishing_over_a_pending_revision_that_ends_before_the_new_window_still_warns(
    policy_repo, policyctl
):
    with_v1(policy_repo)
    policy_repo.publish(
        PRIVACY,
        policy_file(CORE_RIGHTS_REVISION, version="2.0", published="2026-09-30", summary="Phone."),
        "2026-09-30T11:00:00+08:00",
    )
    policy_repo.write(
        PRIVACY, policy_file(BASE_POLICY, version="2.0", published="2026-09-30", summary="Undo.")
    )

    result = publish(policyctl, policy_repo, "privacy", "--version", "3.0", as_of="2026-10-09")

    assert result.code == 0, result.err
    assert "version 2.0 is pending (published 2026-09-30, takes effect 2026-10-16)" in result.err
    assert "2026-10-20 at the earliest" in result.err
    assert "effective: 2026-10-20\n" in read(policy_repo)


def test_an_effective_date_not_after_the_pending_revision_is_refused_naming_it(policy_repo, policyctl):
    with_v1(policy_repo)
    policy_repo.publish(
        PRIVACY,
        policy_file(
            CORE_RIGHTS_REVISION,
            version="2.0",
            published="2026-09-30",
            effective="2026-11-02",
            summary="Phone.",
        ),
        "2026-09-30T11:00:00+08:00",
    )
    edited = policy_file(BASE_POLICY, version="2.0", published="2026-09-30", summary="Undo.")
    policy_repo.write(PRIVACY, edited)

    result = publish(
        policyctl, policy_repo, "privacy", "--version", "3.0", "--effective", "2026-11-02", as_of="2026-10-09"
    )

    assert result.code == 2
    assert (
        "effective 2026-11-02 is too early: not after version 2.0, which takes effect 2026-11-02"
        in result.err
    )
    assert "the earliest allowed is 2026-11-03" in result.err
    assert read(policy_repo) == edited


@pytest.mark.parametrize(
    "document",
    ["../outside", "policy/privacy", "privacy/", ".hidden", "..", "a\\b", "../policy/privacy"],
)
def test_a_document_id_that_is_a_path_is_refused_naming_it_and_the_valid_ids(
    policy_repo, policyctl, document
):
    with_v1(policy_repo)
    outside = "---\ntitle: Outside\n---\nNot a policy.\n"
    policy_repo.write("outside.md", outside)
    policy_repo.write("policy/.hidden.md", outside)

    result = publish(policyctl, policy_repo, document, "--version", "2.0", "--summary", "x")

    assert result.code == 2
    assert f"cannot publish {document!r}" in result.err
    assert "name one of the documents in policy/: privacy" in result.err
    assert read(policy_repo, "outside.md") == outside
    assert read(policy_repo, "policy/.hidden.md") == outside
    assert read(policy_repo) == V1


def test_a_symbolic_link_in_the_policy_folder_is_refused_and_its_target_left_alone(policy_repo, policyctl):
    with_v1(policy_repo)
    outside = "---\ntitle: Outside\n---\nNot a policy.\n"
    policy_repo.write("outside.md", outside)
    os.symlink("../outside.md", policy_repo.path / "policy" / "link.md")

    result = publish(policyctl, policy_repo, "link", "--version", "1.0")

    assert result.code == 2
    assert "cannot publish 'link': policy/link.md is a symbolic link" in result.err
    assert "name one of the documents in policy/: privacy" in result.err
    assert read(policy_repo, "outside.md") == outside


def test_an_unknown_document_is_refused_naming_the_valid_ids(policy_repo, policyctl):
    with_v1(policy_repo)

    result = publish(policyctl, policy_repo, "privacy.md", "--version", "2.0")

    assert result.code == 2
    assert "cannot publish 'privacy.md': there is no policy/privacy.md.md" in result.err
    assert "name one of the documents in policy/: privacy" in result.err


@pytest.mark.parametrize(
    ("line", "broken_line", "expected"),
    [
        (
            "published: 2026-09-01",
            "published: 2026-13-45",
            [
                "policy/privacy.md:4: `published: 2026-13-45` is not a date (month must be in 1..12)",
                "write published as an ISO date, e.g. `published: 2026-10-16`",
            ],
        ),
        (
            'version: "1.0"',
            "version: {a: 1}",
            [
                "policy/privacy.md:3: `version` is a mapping: a version must be a string or a number",
                'write the version name in quotes, e.g. `version: "2.0"`',
            ],
        ),
        (
            'version: "1.0"',
            "version: [1, 2]",
            ["policy/privacy.md:3: `version` is a list: a version must be a string or a number"],
        ),
        (
            "title: Privacy Policy",
            "title: {Privacy: Policy}",
            ["policy/privacy.md:2: `title` is a mapping, not text", "e.g. `title: Privacy Policy`"],
        ),
    ],
)
def test_a_broken_front_matter_value_is_refused_naming_file_key_and_a_valid_example(
    policy_repo, policyctl, line, broken_line, expected
):
    with_v1(policy_repo)
    broken = V1.replace(line, broken_line, 1)
    policy_repo.write(PRIVACY, broken)

    result = publish(policyctl, policy_repo, "privacy", "--version", "2.0", "--summary", "Phone.")

    assert result.code == 2
    for words in expected:
        assert words in result.err
    assert read(policy_repo) == broken


def test_front_matter_opened_and_not_closed_is_refused_without_a_traceback(policy_repo, policyctl):
    with_v1(policy_repo)
    unclosed = '---\ntitle: Privacy Policy\nversion: "1.0"\n\n' + BASE_POLICY
    policy_repo.write(PRIVACY, unclosed)

    result = publish(policyctl, policy_repo, "privacy", "--version", "2.0", "--summary", "Phone.")

    assert result.code == 2
    assert "policy/privacy.md:1: front matter is not closed" in result.err
    assert read(policy_repo) == unclosed


def test_a_stamp_that_would_change_another_key_is_refused_and_the_file_left_as_it_was(policy_repo, policyctl):
    with_v1(policy_repo)
    # `previous` repeats the version through a YAML alias: stamping 2.0 would change it too.
    aliased = V1.replace('version: "1.0"', 'version: &current "1.0"\nprevious: *current')
    policy_repo.write(PRIVACY, aliased)

    result = publish(policyctl, policy_repo, "privacy", "--version", "2.0", "--summary", "Phone.")

    assert result.code == 2
    assert "policy/privacy.md: stamping the front matter would break it (found undefined alias" in result.err
    assert (
        'the file is left as it was\n  -> set them by hand: `version: "2.0"`, `published: 2026-09-30`'
        in result.err
    )
    assert read(policy_repo) == aliased


def test_publish_replaces_the_file_at_once_keeping_its_mode_and_windows_line_endings(policy_repo, policyctl):
    with_v1(policy_repo)
    edited = policy_file(CORE_RIGHTS_REVISION, summary="Phone.").replace("\n", "\r\n")
    policy_repo.write(PRIVACY, "")
    (policy_repo.path / PRIVACY).write_bytes(edited.encode("utf-8"))
    os.chmod(policy_repo.path / PRIVACY, 0o640)

    result = publish(policyctl, policy_repo, "privacy", "--version", "2.0")

    assert result.code == 0, result.err
    assert read(policy_repo) == edited.replace(
        'version: "1.0"\r\n', 'version: "2.0"\r\npublished: 2026-09-30\r\neffective: 2026-10-16\r\n'
    )
    assert sorted(p.name for p in (policy_repo.path / "policy").iterdir()) == ["privacy.md"]
    assert (policy_repo.path / PRIVACY).stat().st_mode & 0o777 == 0o640


def test_publishing_over_a_pending_and_a_scheduled_revision_names_both_and_follows_the_later(
    history, policyctl
):
    # The `history` fixture: 2.0 pending until 16 October, 3.0 published only on 20 November.
    policy_repo = history
    edited = read(policy_repo).replace("We share your address", "We share your name and address")
    policy_repo.write(PRIVACY, edited)

    result = publish(
        policyctl, policy_repo, "privacy", "--version", "4.0", "--summary", "Names.", as_of="2026-10-09"
    )

    assert result.code == 0, result.err
    lines = result.err.splitlines()
    assert lines[0] == (
        "warning: policy/privacy.md: version 2.0 is pending (published 2026-09-30, takes effect 2026-10-16); "
        "it still takes effect as announced"
    )
    assert lines[1].startswith("warning: policy/privacy.md: version 3.0 is scheduled (published 2026-11-20, ")
    assert lines[2].startswith("  -> version 4.0 must take effect after them")
    assert "After version 3.0 (effective " in result.out
    policy_repo.commit("2026-10-09T11:00:00+08:00")
    checked = policyctl("check", "--repo", policy_repo.path, "--as-of", "2026-10-10")
    assert checked.code == 0, checked.out + checked.err


def test_publish_without_as_of_says_to_merge_today(policy_repo, policyctl):
    with_v1(policy_repo)
    policy_repo.write(PRIVACY, EDITED_FRONT_MATTER + CORE_RIGHTS_REVISION)
    result = policyctl("publish", "privacy", "--version", "2.0", "--repo", policy_repo.path)
    assert result.code == 0, result.err
    today = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
    assert result.out.splitlines()[0] == f"policy/privacy.md: version 2.0, published {today}."
    assert result.out.splitlines()[-1] == "Commit and merge it today so that the publication date holds."


def test_publish_as_of_a_later_day_says_to_merge_by_that_day_and_an_earlier_day_that_it_is_too_late():
    later = merge_advice(dt.date(2026, 12, 1), today=dt.date(2026, 11, 30))
    assert later.startswith("Commit it, and merge it by 2026-12-01 (the publication date set by --as-of)")
    assert "today" not in later
    earlier = merge_advice(dt.date(2026, 11, 1), today=dt.date(2026, 11, 30))
    assert earlier.startswith("The publication date 2026-11-01 (set by --as-of) has passed")
    assert "Run publish again without --as-of" in earlier
    assert merge_advice(dt.date(2026, 11, 30), today=dt.date(2026, 11, 30)) == (
        "Commit and merge it today so that the publication date holds."
    )


def test_publish_stamps_each_translation_of_the_version_with_the_source_dates(policy_repo, policyctl):
    """Issue 23: the dates of a revision are the source's in every language; publish
    writes them into each translation that carries the version (its own title and
    summary kept), and says which language is still behind."""
    from test_translations import PRIVACY_ZH, ZH_REVISION, two_languages

    from generator.core.frontmatter import split

    two_languages(policy_repo)
    policy_repo.write("mkdocs.yml", "plugins:\n  - policy:\n      languages: [en, zh, fr]\n")
    policy_repo.write(PRIVACY, policy_file(INSERTED_SECTION_REVISION, version="1.0", published="2026-09-01"))
    # The translator copied an old date by hand: publish puts the source's in its place.
    policy_repo.write(
        PRIVACY_ZH,
        policy_file(
            ZH_REVISION,
            version="2.0",
            published="2026-09-01",
            title="隐私政策",
            summary="我们现在与承运人共享您的地址。",
        ),
    )
    policy_repo.write(
        "policy/privacy.fr.md", policy_file(BASE_POLICY, version="1.0", title="Confidentialité")
    )

    result = publish(
        policyctl, policy_repo, "privacy", "--version", "2.0", "--summary", "We now share your address."
    )
    assert result.code == 0, result.out + result.err
    assert "The same dates in policy/privacy.zh.md." in result.out
    assert (
        "warning: policy/privacy.fr.md: the fr translation carries version 1.0, not 2.0: translate it "
        '(`version: "2.0"`) in the same pull request' in result.err
    )
    source, _ = split(read(policy_repo), file=PRIVACY)
    chinese, body = split(read(policy_repo, PRIVACY_ZH), file=PRIVACY_ZH)
    assert (source.published, source.effective) == (dt.date(2026, 9, 30), dt.date(2026, 10, 16))
    assert (chinese.published, chinese.effective) == (source.published, source.effective)
    assert (chinese.version, chinese.title, chinese.summary) == (
        "2.0",
        "隐私政策",
        "我们现在与承运人共享您的地址。",
    )
    assert body.strip() == ZH_REVISION.strip()
    assert "published" not in read(policy_repo, "policy/privacy.fr.md")  # not this version's translation


def test_a_translation_whose_front_matter_cannot_be_stamped_leaves_every_file_as_it_was(
    policy_repo, policyctl
):
    from test_translations import PRIVACY_ZH, ZH_REVISION, two_languages

    two_languages(policy_repo)
    policy_repo.write(PRIVACY, policy_file(INSERTED_SECTION_REVISION, version="1.0", published="2026-09-01"))
    broken = policy_file(ZH_REVISION, version="2.0", title="隐私政策").replace("title:", "title: [", 1)
    policy_repo.write(PRIVACY_ZH, broken)
    before = read(policy_repo)

    result = publish(
        policyctl, policy_repo, "privacy", "--version", "2.0", "--summary", "We now share your address."
    )
    assert result.code == 2, result.out + result.err
    assert "policy/privacy.zh.md" in result.err
    assert read(policy_repo) == before and read(policy_repo, PRIVACY_ZH) == broken

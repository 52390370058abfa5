"""Every language in step (issue 14): translations read from real git histories with
English and Chinese files, the publication rule across languages, and what `check`
says when a language lags, loses a mark, or claims what it should not."""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

from tests_support import BASE_POLICY, INSERTED_SECTION_REVISION, PolicyRepo, policy_file

from generator.core import urls
from generator.core.timeline import state_at
from generator.policies import read_history
from generator.settings import load_settings

PRIVACY, PRIVACY_ZH = "policy/privacy.md", "policy/privacy.zh.md"
SHANGHAI = ZoneInfo("Asia/Shanghai")
TWO_LANGUAGES = "site_name: Shop\nplugins:\n  - policy:\n      languages: [en, zh]\n"

ZH_POLICY = """\
本政策的引言。

## 一、适用范围 {#scope}

本政策适用于本网站。

## 二、个人信息的收集 {#collection .core-rights}

我们收集您的姓名和电子邮件地址。

### （一）您提供的信息 {#information-you-provide}

1. 账户数据：姓名、电子邮件。
2. 订单数据：地址。

## 三、联系我们 {#contact}

请写信至 privacy@example.com。
"""

# 2.0 in Chinese: the core-rights "Sharing" section inserted before "Contact".
ZH_REVISION = ZH_POLICY.replace(
    "## 三、联系我们 {#contact}",
    "## 三、共享 {#sharing .core-rights}\n\n我们与承运人共享您的地址。\n\n## 四、联系我们 {#contact}",
).replace("姓名和电子邮件地址", "姓名、电子邮件地址和电话号码")

EN_V1 = policy_file(version="1.0", published="2026-09-01")
ZH_V1 = policy_file(ZH_POLICY, version="1.0", title="隐私政策")
EN_V2 = policy_file(
    INSERTED_SECTION_REVISION,
    version="2.0",
    published="2026-09-30",
    effective="2026-10-16",
    summary="We now share your address with the carrier.",
)
ZH_V2 = policy_file(ZH_REVISION, version="2.0", title="隐私政策", summary="我们现在与承运人共享您的地址。")


def two_languages(repo: PolicyRepo) -> PolicyRepo:
    """Version 1.0 in English and Chinese, committed together on 1 September 2026."""
    repo.write("mkdocs.yml", TWO_LANGUAGES)
    repo.write(PRIVACY, EN_V1)
    repo.write(PRIVACY_ZH, ZH_V1)
    repo.commit("2026-09-01T10:00:00+08:00", "Privacy policy 1.0 in English and Chinese")
    return repo


def check(policyctl, repo: PolicyRepo, as_of: str):
    return policyctl("check", "--repo", repo.path, "--as-of", as_of)


def history_of(repo: PolicyRepo):
    return read_history(repo.path, load_settings(repo.path))


def test_a_revision_in_both_languages_passes_and_each_language_has_its_own_words(policy_repo, policyctl):
    two_languages(policy_repo)
    policy_repo.write(PRIVACY, EN_V2)
    policy_repo.write(PRIVACY_ZH, ZH_V2)
    policy_repo.commit("2026-09-30T09:00:00+08:00", "Privacy policy 2.0 in English and Chinese")

    result = check(policyctl, policy_repo, "2026-10-01")
    assert result.code == 0, result.out + result.err
    assert result.out == (
        "privacy: 2 versions; in force 1.0 since 2026-09-01; "
        "pending 2.0 takes effect 2026-10-16 (changes core rights)\n"
    )
    assert result.err == ""

    [document] = history_of(policy_repo).documents
    chinese = document.in_language("zh")
    assert [v.version for v in document.complete_versions] == ["1.0", "2.0"]
    assert (chinese.path, chinese.title) == (PRIVACY_ZH, "隐私政策")
    zh2 = chinese.version("2.0")
    assert zh2 is not None and zh2.summary == "我们现在与承运人共享您的地址。"
    assert "我们与承运人共享您的地址。" in zh2.text
    assert [s.id for s in zh2.sections] == [s.id for s in document.version("2.0").sections]
    assert zh2.effective == dt.datetime(2026, 10, 16, tzinfo=SHANGHAI)
    # Phase 2 reads a language's pages through the same timeline: 2.0 is pending in Chinese too.
    state = state_at(chinese, dt.datetime(2026, 10, 1, tzinfo=SHANGHAI))
    assert state.in_force is not None and state.in_force.language == "zh" and state.in_force.version == "1.0"
    assert [(v.version, v.title) for v in state.pending] == [("2.0", "隐私政策")]
    changes = state.pending_changes(state.pending[0])
    assert changes.core_rights_changed and "sharing" in changes.added
    assert urls.version("privacy", "2.0", language=zh2.translation_language) == "zh/privacy/versions/2.0/"
    assert urls.version("privacy", "2.0", language=document.version("2.0").translation_language) == (
        "privacy/versions/2.0/"
    )


def test_a_translation_that_lags_behind_the_source_is_refused_and_holds_the_revision_back(
    policy_repo, policyctl
):
    two_languages(policy_repo)
    policy_repo.publish(PRIVACY, EN_V2, "2026-09-30T09:00:00+08:00", "Privacy policy 2.0 (English only)")

    result = check(policyctl, policy_repo, "2026-10-01")
    assert result.code == 1
    assert (
        "error: policy/privacy.zh.md: the zh translation carries version 1.0, the source "
        "policy/privacy.md version 2.0: version 2.0 is published in no language until "
        "policy/privacy.zh.md carries it\n"
        '  -> translate version 2.0 into policy/privacy.zh.md (front matter: `version: "2.0"`'
    ) in result.out
    assert "privacy: 1 version; in force 1.0 since 2026-09-01; 2.0 waits for zh\n" in result.out

    status = policyctl("status", "--json", "--repo", policy_repo.path, "--as-of", "2026-10-01")
    doc = json.loads(status.out)["documents"][0]
    assert doc["in_force"]["version"] == "1.0" and doc["pending"] == []
    assert doc["lagging_translations"] == [
        {
            "language": "zh",
            "file": "policy/privacy.zh.md",
            "carries": "1.0",
            "source_version": "2.0",
            "held_back": True,
            "uncommitted": False,
        }
    ]
    said = policyctl("status", "--repo", policy_repo.path, "--as-of", "2026-10-01").out
    assert (
        "  behind:        zh: policy/privacy.zh.md carries 1.0, the source is at 2.0 "
        "(held back: 2.0 is published in no language)\n"
    ) in said

    # the build still runs (the site keeps 1.0 in every language) and says why 2.0 is missing
    built = policyctl(
        "build",
        "--repo",
        policy_repo.path,
        "--as-of",
        "2026-10-01",
        "--site-dir",
        policy_repo.path.parent / "site",
    )
    assert built.code == 0, built.out + built.err
    assert (
        "warning: policy/privacy.zh.md: the zh translation carries version 1.0, the source "
        "policy/privacy.md version 2.0: version 2.0 is published in no language until "
        "policy/privacy.zh.md carries it; translate version 2.0 into policy/privacy.zh.md"
    ) in built.err


def test_a_translation_three_working_days_after_the_source_leaves_too_short_a_window(policy_repo, policyctl):
    two_languages(policy_repo)
    policy_repo.publish(PRIVACY, EN_V2, "2026-09-30T09:00:00+08:00", "Privacy policy 2.0 (English)")
    # 8, 9 and 10 October (a make-up Saturday) are working days: the Chinese text comes after them.
    late = policy_repo.publish(PRIVACY_ZH, ZH_V2, "2026-10-12T10:00:00+08:00", "Privacy policy 2.0 (Chinese)")

    result = check(policyctl, policy_repo, "2026-10-12T12:00")
    assert result.code == 1
    assert (
        f"error: policy/privacy.zh.md (commit {late[:7]}): version 2.0 says published 2026-09-30, "
        "but it reached the branch in every language only on 2026-10-12, when this translation arrived\n"
        "  -> the 7-working-day window counts from the day the last language reaches the branch: set "
        "`published: 2026-10-12` and `effective: 2026-10-22` (or later) in policy/privacy.md, and merge "
        "translations in the same pull request as the source\n"
    ) in result.out
    # Counted from 12 October (13, 14, 15, 16, 19, 20, 21): in force from 22 October at the earliest.
    assert "version 2.0 takes effect 2026-10-16, before the end of its 7-working-day publicity window; " in (
        result.out
    )
    assert "the earliest allowed is 2026-10-22" in result.out

    [document] = history_of(policy_repo).documents
    assert document.version("2.0").published == dt.datetime(2026, 10, 12, tzinfo=SHANGHAI)


def test_the_late_revision_passes_once_its_dates_count_from_the_last_language(policy_repo, policyctl):
    two_languages(policy_repo)
    policy_repo.publish(PRIVACY, EN_V2, "2026-09-30T09:00:00+08:00")
    policy_repo.publish(PRIVACY_ZH, ZH_V2, "2026-10-12T10:00:00+08:00")
    policy_repo.publish(
        PRIVACY,
        EN_V2.replace("published: 2026-09-30", "published: 2026-10-12").replace(
            "effective: 2026-10-16", "effective: 2026-10-22"
        ),
        "2026-10-12T11:00:00+08:00",
    )
    result = check(policyctl, policy_repo, "2026-10-13")
    assert result.code == 0, result.out
    assert "pending 2.0 takes effect 2026-10-22 (changes core rights)" in result.out


def test_a_translation_with_other_section_ids_or_marks_is_refused_listing_the_ids(policy_repo, policyctl):
    two_languages(policy_repo)
    unmarked = ZH_REVISION.replace("{#collection .core-rights}", "{#collection}").replace(
        "## 四、联系我们 {#contact}", "## 四、联系我们"
    )
    policy_repo.write(PRIVACY, EN_V2)
    policy_repo.write(PRIVACY_ZH, policy_file(unmarked, version="2.0", title="隐私政策", summary="共享。"))
    commit = policy_repo.commit("2026-09-30T09:00:00+08:00")

    result = check(policyctl, policy_repo, "2026-10-01")
    assert result.code == 1
    assert (
        f"error: policy/privacy.zh.md (commit {commit[:7]}): version 2.0 in zh does not have the source's "
        "sections and marks (policy/privacy.md): missing section ids: contact; "
        "section ids the source lacks: 联系我们; "
        "not marked `.core-rights` as in the source: collection, information-you-provide\n"
        "  -> give each translated heading the same `{#id}` and `.core-rights` mark"
    ) in result.out


def test_a_translation_carrying_a_version_the_source_lacks_is_refused(policy_repo, policyctl):
    two_languages(policy_repo)
    policy_repo.write(PRIVACY, EN_V2)
    policy_repo.write(PRIVACY_ZH, ZH_V2.replace('version: "2.0"', 'version: "2.1"'))
    commit = policy_repo.commit("2026-09-30T09:00:00+08:00")

    result = check(policyctl, policy_repo, "2026-10-01")
    assert result.code == 1
    assert (
        f"error: policy/privacy.zh.md (commit {commit[:7]}): the zh translation carries version 2.1, "
        "which the source policy/privacy.md does not have (its versions: 1.0, 2.0)"
    ) in result.out


def test_a_translation_that_changes_the_publication_date_is_refused(policy_repo, policyctl):
    two_languages(policy_repo)
    policy_repo.write(PRIVACY, EN_V2)
    policy_repo.write(PRIVACY_ZH, ZH_V2.replace("title: 隐私政策", "title: 隐私政策\npublished: 2026-10-01"))
    commit = policy_repo.commit("2026-09-30T09:00:00+08:00")

    result = check(policyctl, policy_repo, "2026-10-01")
    assert result.code == 1
    assert (
        f"error: policy/privacy.zh.md (commit {commit[:7]}): version 2.0 says published 2026-10-01 here, "
        "but the source policy/privacy.md says 2026-09-30\n"
        "  -> remove `published:` from the translation (it comes from the source)"
    ) in result.out


def test_a_new_document_without_its_translation_is_refused(policy_repo, policyctl):
    two_languages(policy_repo)
    policy_repo.publish(
        "policy/terms.md", policy_file(BASE_POLICY, title="Terms"), "2026-09-02T10:00:00+08:00"
    )

    result = check(policyctl, policy_repo, "2026-09-03")
    assert result.code == 1
    assert (
        "error: policy/terms.zh.md: there is no zh translation of policy/terms.md (version 1.0)\n"
        '  -> translate version 1.0 into policy/terms.zh.md (front matter: `version: "1.0"`'
    ) in result.out


def test_a_translation_for_a_language_not_configured_names_the_file_and_the_setting(policy_repo, policyctl):
    policy_repo.write(PRIVACY, EN_V1)
    policy_repo.write(PRIVACY_ZH, ZH_V1)
    policy_repo.commit("2026-09-01T10:00:00+08:00")

    result = check(policyctl, policy_repo, "2026-09-02")
    assert result.code == 2
    assert result.err == (
        "error: policy/privacy.zh.md: this looks like the 'zh' translation of policy/privacy.md, "
        "but 'zh' is not in `languages` (en)\n"
        "  -> add zh to `languages` under `plugins: - policy:` in mkdocs.yml, or rename the file "
        "(git mv) if it is a document of its own\n"
    )


def test_a_regional_variant_beside_the_configured_language_points_at_the_translation(policy_repo, policyctl):
    two_languages(policy_repo)
    policy_repo.publish("policy/privacy.zh-CN.md", ZH_V1, "2026-09-02T10:00:00+08:00")

    result = check(policyctl, policy_repo, "2026-09-03")
    assert result.code == 2
    assert (
        "error: policy/privacy.zh-CN.md: this looks like the 'zh-CN' translation of policy/privacy.md, "
        "but 'zh-CN' is not in `languages` (en, zh) (the zh translation is policy/privacy.zh.md)"
    ) in result.err


def test_two_files_claiming_one_language_are_refused_naming_both(policy_repo, policyctl):
    two_languages(policy_repo)
    policy_repo.publish("policy/privacy.ZH.md", ZH_V1, "2026-09-02T10:00:00+08:00")

    result = check(policyctl, policy_repo, "2026-09-03")
    assert result.code == 2
    assert (
        "error: policy/privacy.ZH.md: 2 files claim the zh text of 'privacy': "
        "policy/privacy.ZH.md, policy/privacy.zh.md"
    ) in result.err


def test_a_source_language_suffix_beside_the_source_is_refused(policy_repo, policyctl):
    two_languages(policy_repo)
    policy_repo.publish("policy/privacy.en.md", EN_V1, "2026-09-02T10:00:00+08:00")

    result = check(policyctl, policy_repo, "2026-09-03")
    assert result.code == 2
    assert "2 files claim the en text of 'privacy': policy/privacy.en.md, policy/privacy.md" in result.err


def test_a_translation_without_its_source_is_refused(policy_repo, policyctl):
    two_languages(policy_repo)
    policy_repo.git("rm", "-q", PRIVACY)
    policy_repo.commit("2026-09-02T10:00:00+08:00", "Remove the English text")

    result = check(policyctl, policy_repo, "2026-09-03")
    assert result.code == 2
    assert result.err.startswith(
        "error: policy/privacy.zh.md: the zh translation of 'privacy' has no source text: "
        "policy/privacy.md does not exist\n"
    )


def test_a_document_named_like_a_language_would_hide_its_pages(policy_repo, policyctl):
    two_languages(policy_repo)
    policy_repo.publish("policy/zh.md", policy_file(title="Zhejiang"), "2026-09-02T10:00:00+08:00")

    result = check(policyctl, policy_repo, "2026-09-03")
    assert result.code == 2
    assert "error: policy/zh.md: document id 'zh' would take the address /zh/ of the zh pages" in result.err


def test_an_existing_policy_takes_on_a_translation_without_moving_its_dates(policy_repo, policyctl):
    """Versions from before the translation file existed stay published in English only."""
    policy_repo.publish(PRIVACY, EN_V1, "2026-09-01T10:00:00+08:00")
    policy_repo.publish(PRIVACY, EN_V2, "2026-09-30T09:00:00+08:00")
    policy_repo.write("mkdocs.yml", TWO_LANGUAGES)
    policy_repo.write(PRIVACY_ZH, ZH_V2)
    policy_repo.commit("2026-10-20T10:00:00+08:00", "Chinese translation of the policy in force")

    result = check(policyctl, policy_repo, "2026-10-21")
    assert result.code == 0, result.out
    assert result.out == "privacy: 2 versions; in force 2.0 since 2026-10-16\n"
    [document] = history_of(policy_repo).documents
    assert [v.languages for v in document.versions] == [("en",), ("en", "zh")]
    # Chinese readers read 1.0, from before the Chinese file, in English.
    assert [(v.version, v.language) for v in document.in_language("zh").versions] == [
        ("1.0", "en"),
        ("2.0", "zh"),
    ]
    assert [v.version for v in document.complete_versions] == ["2.0"]


def test_a_translation_that_skipped_a_version_leaves_it_unpublished(policy_repo, policyctl):
    two_languages(policy_repo)
    policy_repo.publish(PRIVACY, EN_V2, "2026-09-30T09:00:00+08:00")
    en3 = policy_file(
        INSERTED_SECTION_REVISION.replace("privacy@example.com", "dpo@example.com"),
        version="3.0",
        published="2026-10-20",
        summary="A new contact address.",
    )
    zh3 = policy_file(
        ZH_REVISION.replace("privacy@example.com", "dpo@example.com"),
        version="3.0",
        title="隐私政策",
        summary="新的联系地址。",
    )
    policy_repo.write(PRIVACY, en3)
    policy_repo.write(PRIVACY_ZH, zh3)
    policy_repo.commit("2026-10-20T09:00:00+08:00")

    result = check(policyctl, policy_repo, "2026-10-21")
    assert result.code == 0, result.out
    assert (
        "warning: policy/privacy.md: version 2.0 never reached the branch in zh: it was not published; "
        "version 3.0 followed"
    ) in result.err
    assert [v.version for v in history_of(policy_repo).documents[0].versions] == ["1.0", "3.0"]


def test_an_uncommitted_translation_does_not_disturb_check(policy_repo, policyctl):
    two_languages(policy_repo)
    policy_repo.write(PRIVACY_ZH, ZH_V1.replace("本政策的引言。", "本政策的引言（草稿）。"))

    result = check(policyctl, policy_repo, "2026-09-02")
    assert result.code == 0, result.out + result.err
    assert result.out == "privacy: 1 version; in force 1.0 since 2026-09-01\n"


def test_raw_html_in_a_translation_is_reported_with_the_translation_file(policy_repo, policyctl):
    two_languages(policy_repo)
    policy_repo.publish(
        PRIVACY_ZH,
        ZH_V1.replace("本政策适用于本网站。", '本政策适用于本网站。<img src="x" onerror="alert(1)">'),
        "2026-09-01T11:00:00+08:00",
    )
    result = check(policyctl, policy_repo, "2026-09-02")
    assert result.code == 0, result.out
    assert "warning: policy/privacy.zh.md: version 1.0: raw HTML left out of the site: onerror= on <img>" in (
        result.err
    )


def test_a_revision_stamped_in_the_working_tree_before_its_translation_is_previewed(policy_repo, policyctl):
    two_languages(policy_repo)
    policy_repo.write(PRIVACY, EN_V2.replace("published: 2026-09-30", "published: 2026-09-02"))

    result = check(policyctl, policy_repo, "2026-09-02")
    assert result.code == 0, result.out + result.err
    assert (
        "warning: policy/privacy.md: version 2.0 is stamped in the working tree but not committed"
        in result.err
    )

    preview = read_history(
        policy_repo.path,
        load_settings(policy_repo.path),
        drafts_at=dt.datetime(2026, 9, 2, 9, tzinfo=SHANGHAI),
    )
    [document] = preview.documents
    assert [(v.version, v.draft, v.languages) for v in document.versions] == [
        ("1.0", False, ("en", "zh")),
        ("2.0", True, ("en",)),
    ]
    # Chinese readers of the preview read the draft in English: it has no Chinese text yet.
    assert [(v.version, v.language) for v in document.in_language("zh").versions] == [
        ("1.0", "zh"),
        ("2.0", "en"),
    ]

    policy_repo.write(PRIVACY_ZH, ZH_V2)
    preview = read_history(
        policy_repo.path,
        load_settings(policy_repo.path),
        drafts_at=dt.datetime(2026, 9, 2, 9, tzinfo=SHANGHAI),
    )
    zh = preview.documents[0].in_language("zh").version("2.0")
    assert zh is not None and zh.draft and zh.title == "隐私政策" and "共享" in zh.text


def test_a_translation_without_a_version_is_told_which_version_to_write(policy_repo, policyctl):
    policy_repo.write("mkdocs.yml", TWO_LANGUAGES)
    policy_repo.write(PRIVACY, EN_V1)
    policy_repo.write(PRIVACY_ZH, policy_file(ZH_POLICY, version=None, title="隐私政策"))
    commit = policy_repo.commit("2026-09-01T10:00:00+08:00")

    result = check(policyctl, policy_repo, "2026-09-02")
    assert result.code == 1
    assert (
        f"error: policy/privacy.zh.md (commit {commit[:7]}): the zh translation has no `version`: "
        "it must name the version of the source it translates\n"
        '  -> write `version: "1.0"` in its front matter'
    ) in result.out


def test_a_translation_without_a_title_is_warned_about_once(policy_repo, policyctl):
    policy_repo.write("mkdocs.yml", TWO_LANGUAGES)
    policy_repo.write(PRIVACY, EN_V1)
    policy_repo.write(PRIVACY_ZH, ZH_V1.replace("title: 隐私政策\n", ""))
    policy_repo.commit("2026-09-01T10:00:00+08:00")

    result = check(policyctl, policy_repo, "2026-09-02")
    assert result.code == 0, result.out
    assert result.err == (
        "warning: policy/privacy.zh.md: version 1.0 has no `title` in zh: its pages show the source's title\n"
        "  -> add `title:` in zh to the front matter\n"
    )


def test_a_published_translation_changed_without_a_new_version_is_refused(policy_repo, policyctl):
    two_languages(policy_repo)
    changed = policy_repo.publish(
        PRIVACY_ZH,
        ZH_V1.replace("订单数据：地址。", "订单数据：地址、电话号码。"),
        "2026-09-15T10:00:00+08:00",
    )
    result = check(policyctl, policy_repo, "2026-09-16")
    assert result.code == 1
    assert (
        f"error: policy/privacy.zh.md (commit {changed[:7]}): commit {changed[:7]} changes the text of "
        "version 1.0, published 2026-09-01, without a new version"
    ) in result.out


def test_the_source_language_keeps_its_urls_and_a_translation_lives_under_its_code():
    assert [urls.home(), urls.updates(), urls.document("privacy"), urls.archive("privacy")] == [
        "",
        "updates/",
        "privacy/",
        "privacy/versions/",
    ]
    assert (
        urls.version("privacy", "2.0")
        == urls.version("privacy", "2.0", language=None)
        == "privacy/versions/2.0/"
    )
    assert [
        urls.home(language="zh"),
        urls.updates(language="zh"),
        urls.document("privacy", language="zh"),
        urls.archive("privacy", language="zh"),
        urls.version("privacy", "2.0", language="zh"),
        urls.changes("privacy", "1.0", "2.0", language="zh"),
    ] == [
        "zh/",
        "zh/updates/",
        "zh/privacy/",
        "zh/privacy/versions/",
        "zh/privacy/versions/2.0/",
        "zh/privacy/changes/1.0-to-2.0/",
    ]
    assert (
        urls.relative(urls.version("privacy", "2.0", language="zh"), urls.home(language="zh")) == "../../../"
    )


def test_a_chinese_source_with_an_english_translation_keeps_chinese_at_the_root(policy_repo, policyctl):
    policy_repo.write("mkdocs.yml", TWO_LANGUAGES.replace("[en, zh]", "[zh, en]"))
    policy_repo.write(PRIVACY, ZH_V1.replace('version: "1.0"', 'version: "1.0"\npublished: 2026-09-01'))
    policy_repo.write("policy/privacy.en.md", policy_file(BASE_POLICY, version="1.0"))
    policy_repo.commit("2026-09-01T10:00:00+08:00")

    result = check(policyctl, policy_repo, "2026-09-02")
    assert result.code == 0, result.out + result.err
    [document] = history_of(policy_repo).documents
    english = document.in_language("en").version("1.0")
    assert document.title == "隐私政策" and english is not None and english.title == "Privacy Policy"
    assert urls.document("privacy", language=document.translation_language) == "privacy/"
    assert urls.document("privacy", language=english.translation_language) == "en/privacy/"


def test_a_document_renamed_with_its_translation_keeps_both_histories(policy_repo, policyctl):
    two_languages(policy_repo)
    policy_repo.write(PRIVACY, EN_V2)
    policy_repo.write(PRIVACY_ZH, ZH_V2)
    policy_repo.commit("2026-09-30T09:00:00+08:00")
    policy_repo.git("mv", PRIVACY, "policy/data-privacy.md")
    policy_repo.git("mv", PRIVACY_ZH, "policy/data-privacy.zh.md")
    policy_repo.commit("2026-10-20T09:00:00+08:00", "Rename the privacy policy")

    result = check(policyctl, policy_repo, "2026-10-21")
    assert result.code == 0, result.out + result.err
    assert result.out == "data-privacy: 2 versions; in force 2.0 since 2026-10-16\n"
    [document] = history_of(policy_repo).documents
    assert [v.languages for v in document.versions] == [("en", "zh"), ("en", "zh")]
    assert document.in_language("zh").path == "policy/data-privacy.zh.md"


def test_a_translation_present_but_not_committed_is_named_as_not_committed(policy_repo, policyctl):
    """Issue 23: with `privacy.zh.md` in the working tree but not committed, `check` says
    so and what to do (as it does for a stamped source), not that there is no translation."""
    policy_repo.write("mkdocs.yml", TWO_LANGUAGES)
    policy_repo.publish(PRIVACY, EN_V1, "2026-09-01T10:00:00+08:00")
    policy_repo.write(PRIVACY_ZH, ZH_V1)

    result = check(policyctl, policy_repo, "2026-09-02")
    assert result.code == 1, result.out + result.err
    assert (
        "error: policy/privacy.zh.md: policy/privacy.zh.md is in the working tree but not committed: the "
        "branch has no zh translation of policy/privacy.md (version 1.0)" in result.out
    )
    assert "-> commit it (`git add policy/privacy.zh.md`)" in result.out
    assert "there is no zh translation" not in result.out
    status = policyctl("status", "--repo", policy_repo.path, "--as-of", "2026-09-02")
    assert "zh: policy/privacy.zh.md is not committed, the source is at 1.0" in status.out
    # Without the file, the message it always gave.
    (policy_repo.path / PRIVACY_ZH).unlink()
    assert (
        "there is no zh translation of policy/privacy.md (version 1.0)"
        in check(policyctl, policy_repo, "2026-09-02").out
    )


def preview_of(repo: PolicyRepo, day: int):
    return read_history(
        repo.path, load_settings(repo.path), drafts_at=dt.datetime(2026, 10, day, 9, tzinfo=SHANGHAI)
    ).documents[0]


def test_a_translation_written_for_a_committed_revision_is_previewed_before_it_is_committed(
    policy_repo, policyctl
):
    """Issue 23: `serve --drafts` previews a translation-only edit. 2.0 is committed in
    English only (held back); the Chinese 2.0 is being written in the working tree."""
    two_languages(policy_repo)
    policy_repo.publish(PRIVACY, EN_V2, "2026-09-30T10:00:00+08:00", "2.0 in English")
    assert [v.version for v in preview_of(policy_repo, 1).versions] == ["1.0"]
    policy_repo.write(PRIVACY_ZH, ZH_V2)

    document = preview_of(policy_repo, 1)
    assert [(v.version, v.draft) for v in document.versions] == [("1.0", False), ("2.0", True)]
    chinese = document.in_language("zh").version("2.0")
    assert chinese is not None and chinese.draft and "共享" in chinese.text
    # Its window counts from the preview, as it would from a merge that day.
    assert chinese.published.date() == dt.date(2026, 10, 1)
    # Committed history is what it was: 2.0 is held back.
    assert [v.version for v in history_of(policy_repo).documents[0].versions] == ["1.0"]


def test_an_edit_of_a_translation_alone_is_previewed_as_a_draft_of_its_version(policy_repo, policyctl):
    two_languages(policy_repo)
    policy_repo.write(PRIVACY_ZH, ZH_V1.replace("本政策的引言。", "本政策的引言（已修订）。"))

    document = preview_of(policy_repo, 2)
    [version] = document.versions
    assert not version.draft and version.published.date() == dt.date(2026, 9, 1)
    chinese = document.in_language("zh").version("1.0")
    assert chinese is not None and chinese.draft and "本政策的引言（已修订）。" in chinese.text
    assert chinese.published == version.published
    assert check(policyctl, policy_repo, "2026-09-02").code == 0

"""Compare with the version in force (issue 19, item 6): every earlier version has a
redline to the version in force, linked from its version page and the archive ("What
changed since this version"), and, during a publicity window, one to the pending
revision; in every language the site speaks; never for a scheduled version or a draft,
nor for a version that never took effect.

History (English, Chinese from 2.0 on): 1.0 published 5 January 2026 (English only);
2.0 on 2 March (adds "phone number", a core-rights change); 3.0 on 1 June (the contact
address becomes dpo@); 4.0 on 30 September, effective 16 October 2026 (adds "birthday");
5.0 committed on 30 September but published only on 20 November (scheduled). The site is
built as of 5 October 2026 (3.0 in force, 4.0's window open) and as of 20 October (4.0
in force). A second history has a version replaced on its day (never in force).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from browser_support import build_site
from tests_support import BASE_POLICY, PolicyRepo, build, policy_file

from generator.core.dates import parse_instant
from generator.policies import read_history
from generator.settings import load_settings
from generator.site.model import build_model

PRIVACY, PRIVACY_ZH = "policy/privacy.md", "policy/privacy.zh.md"
MKDOCS_YML = (
    "site_name: Shop\nsite_url: https://shop.example/\nplugins:\n  - policy:\n      languages: [en, zh]\n"
)

EN = {
    "2.0": BASE_POLICY.replace("2. Order data: address.", "2. Order data: address, phone number."),
}
EN["3.0"] = EN["2.0"].replace("privacy@example.com", "dpo@example.com")
EN["4.0"] = EN["3.0"].replace("name and email address", "name, email address and birthday")
EN["5.0"] = EN["4.0"].replace("applies to the Website.", "applies to the Website and the Zanzibar app.")
ZH = {
    "2.0": """\
本政策的引言。

## 一、适用范围 {#scope}

本政策适用于本网站。

## 二、个人信息的收集 {#collection .core-rights}

我们收集您的姓名和电子邮件地址。

### （一）您提供的信息 {#information-you-provide}

1. 账户数据：姓名、电子邮件。
2. 订单数据：地址、电话号码。

## 三、联系我们 {#contact}

请写信至 privacy@example.com。
""",
}
ZH["3.0"] = ZH["2.0"].replace("privacy@example.com", "dpo@example.com")
ZH["4.0"] = ZH["3.0"].replace("姓名和电子邮件地址", "姓名、电子邮件地址和生日")
ZH["5.0"] = ZH["4.0"].replace("本网站。", "本网站和桑给巴尔应用。")
PUBLISHED = {"2.0": "2026-03-02", "3.0": "2026-06-01", "4.0": "2026-09-30", "5.0": "2026-11-20"}
COMMITTED = {
    "2.0": "2026-03-02T10:00:00+08:00",
    "3.0": "2026-06-01T10:00:00+08:00",
    "4.0": "2026-09-30T10:00:00+08:00",
    "5.0": "2026-09-30T12:00:00+08:00",
}
EFFECTIVE = {"4.0": "2026-10-16", "5.0": "2026-12-10"}
SUMMARIES = {"2.0": "Phone numbers.", "3.0": "New contact.", "4.0": "Birthdays.", "5.0": "Zanzibar app."}


def write_history(repo: PolicyRepo) -> PolicyRepo:
    """The module's history (see its docstring) in `repo`, an empty git repository."""
    repo.write("mkdocs.yml", MKDOCS_YML)
    repo.publish(PRIVACY, policy_file(version="1.0", published="2026-01-05"), "2026-01-05T10:00:00+08:00")
    for version in ("2.0", "3.0", "4.0", "5.0"):
        repo.write(
            PRIVACY,
            policy_file(
                EN[version],
                version=version,
                published=PUBLISHED[version],
                effective=EFFECTIVE.get(version),
                summary=SUMMARIES[version],
            ),
        )
        repo.write(PRIVACY_ZH, policy_file(ZH[version], version=version, title="隐私政策", summary="摘要。"))
        repo.commit(COMMITTED[version], f"Privacy policy {version}")
    return repo


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> PolicyRepo:
    repo = PolicyRepo.create(tmp_path_factory.mktemp("compare") / "repo")
    return write_history(repo)


@pytest.fixture(scope="module")
def window(repo: PolicyRepo, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site as of 5 October 2026: 3.0 in force, 4.0 pending, 5.0 scheduled."""
    return build_site(repo.path, "2026-10-05", tmp_path_factory.mktemp("window") / "site")


def page(site: Path, url: str) -> str:
    return (site / url / "index.html").read_text(encoding="utf-8")


def redlines(site: Path, prefix: str = "privacy") -> list[str]:
    """The redline pages of the document, as `<old>-to-<new>`."""
    return sorted(p.parent.name for p in (site / prefix / "changes").glob("*/index.html"))


def since_links(html: str) -> list[str]:
    return re.findall(r'<a href="([^"]+)">What changed since this version</a>', html)


def archive_rows(html: str, since_word: str = "Since this version") -> dict[str, str | None]:
    """Version -> the link of its "Since this version" cell (None: a dash)."""
    table = html[html.index('<table class="policy-archive"') :]
    table = table[: table.index("</table>")]
    rows = {}
    for row in table.split("<tr>")[2:]:
        version = re.search(r'<a href="[^"]+"(?: hreflang="[^"]+")?>([^<]+)</a>', row)
        assert version is not None, row
        cell = row[row.index(f'<span class="policy-cell-label">{since_word}') :]
        link = re.search(r'<a href="([^"]+)">', cell)
        rows[version.group(1)] = link.group(1) if link else None
    return rows


def redline_text(html: str) -> str:
    """The redline's markup with the screen reader's "[inserted: …]" words left out."""
    body = html[html.index('<div class="policy-redline">') :]
    return re.sub(r'<span class="sr-only">[^<]*</span>', "", body)


def test_every_earlier_version_links_what_changed_since_it(window):
    archive = page(window, "privacy/versions")
    assert archive_rows(archive) == {
        "4.0": None,  # pending: later than the version in force
        "3.0": None,  # the version in force itself
        "2.0": "../changes/2.0-to-3.0/",  # its neighbour: the same page as the archive's 2.0 → 3.0
        "1.0": "../changes/1.0-to-3.0/",
    }
    assert "<th>Since this version</th>" in archive
    one = page(window, "privacy/versions/1.0")
    assert since_links(one) == ["../../changes/1.0-to-3.0/"]
    assert since_links(page(window, "privacy/versions/2.0")) == ["../../changes/2.0-to-3.0/"]
    assert since_links(page(window, "privacy/versions/3.0")) == []
    assert since_links(page(window, "privacy/versions/4.0")) == []
    # The links change as versions take effect: never in a version's PDF.
    assert '<p class="policy-compare policy-screen-only">' in one
    assert one.index("policy-compare") < one.index("policy-text-start")


def test_the_redline_since_an_old_version_compares_its_text_with_the_one_in_force(window):
    html = page(window, "privacy/changes/1.0-to-3.0")
    assert "Privacy Policy: changes from version 1.0 to 3.0" in html
    assert "Status of version 3.0</dt><dd>In force" in html
    redline = redline_text(html)
    # What 2.0 added and what 3.0 changed, both, in one page.
    assert "Order data: address<ins>, phone number</ins>." in redline
    assert "Write to <del>privacy</del><ins>dpo</ins>@example.com." in redline
    assert "birthday" not in redline  # 4.0 is not in force yet
    neighbour = redline_text(page(window, "privacy/changes/2.0-to-3.0"))
    assert "<ins>, phone number</ins>" not in neighbour and "address, phone number." in neighbour


def test_during_a_window_every_earlier_version_has_a_redline_to_the_pending_revision(window):
    assert redlines(window) == [
        "1.0-to-2.0",
        "1.0-to-3.0",
        "1.0-to-4.0",
        "2.0-to-3.0",
        "2.0-to-4.0",
        "3.0-to-4.0",
    ]
    one = page(window, "privacy/versions/1.0")
    assert '<a href="../../changes/1.0-to-4.0/">What version 4.0 changes since this version</a>' in one
    in_force = page(window, "privacy/versions/3.0")
    assert '<a href="../../changes/3.0-to-4.0/">What version 4.0 changes since this version</a>' in in_force
    pending = redline_text(page(window, "privacy/changes/1.0-to-4.0"))
    assert "<ins>, phone number</ins>" in pending
    assert "<del>privacy</del><ins>dpo</ins>" in pending
    assert "We collect your name <del>and</del><ins>,</ins> email address <ins>and birthday</ins>." in pending
    assert "Status of version 4.0</dt><dd>Pending" in page(window, "privacy/changes/2.0-to-4.0")


def test_a_scheduled_version_has_no_redline_and_is_named_nowhere(window):
    assert not [name for name in redlines(window) + redlines(window, "zh/privacy") if "5.0" in name]
    for html in window.rglob("*.html"):
        text = html.read_text(encoding="utf-8")
        assert "Zanzibar" not in text and "桑给巴尔" not in text, html


def test_the_chinese_pages_compare_the_chinese_texts(window):
    # The Chinese site carries 2.0 on: no Chinese redline from 1.0, which has no Chinese
    # text; its archive links the English one.
    assert redlines(window, "zh/privacy") == ["2.0-to-3.0", "2.0-to-4.0", "3.0-to-4.0"]
    archive = page(window, "zh/privacy/versions")
    assert "<th>自此版本以来</th>" in archive
    assert archive_rows(archive, "自此版本以来") == {
        "4.0": None,
        "3.0": None,
        "2.0": "../changes/2.0-to-3.0/",
        "1.0": "../../../privacy/changes/1.0-to-3.0/",
    }
    two = page(window, "zh/privacy/versions/2.0")
    assert '<a href="../../changes/2.0-to-3.0/">自此版本以来的变更</a>' in two
    assert '<a href="../../changes/2.0-to-4.0/">版本 4.0 相对此版本的变更</a>' in two
    redline = redline_text(page(window, "zh/privacy/changes/2.0-to-4.0"))
    assert "<del>privacy</del><ins>dpo</ins>" in redline
    assert "我们收集您的姓名<del>和</del><ins>、</ins>电子邮件地址<ins>和生日</ins>。" in redline
    assert "隐私政策：从版本 2.0 到版本 4.0 的变更" in page(window, "zh/privacy/changes/2.0-to-4.0")


def test_once_the_revision_takes_effect_the_redlines_lead_to_it(repo, tmp_path):
    site = build_site(repo.path, "2026-10-20", tmp_path / "site")
    assert archive_rows(page(site, "privacy/versions")) == {
        "4.0": None,
        "3.0": "../changes/3.0-to-4.0/",
        "2.0": "../changes/2.0-to-4.0/",
        "1.0": "../changes/1.0-to-4.0/",
    }
    assert redlines(site) == ["1.0-to-2.0", "1.0-to-4.0", "2.0-to-3.0", "2.0-to-4.0", "3.0-to-4.0"]
    assert "What version 4.0 changes" not in page(site, "privacy/versions/1.0")
    assert "Status of version 4.0</dt><dd>In force" in page(site, "privacy/changes/1.0-to-4.0")


def test_the_model_lists_each_redline_once_in_every_language_and_none_for_drafts(repo):
    settings = load_settings(repo.path)
    history = read_history(repo.path, settings)
    as_of = parse_instant("2026-10-05", settings.zone)
    for language in ("en", "zh"):
        model = build_model(history, settings, as_of, language=language)
        (doc,) = model.documents
        seen = [r.url for r in doc.redlines]
        assert len(seen) == len(set(seen)), seen
        for redline in doc.redlines:
            assert redline.url.endswith(f"changes/{redline.old.version}-to-{redline.new.version}/")
            assert redline.old.language == redline.new.language == language
    # An editor's preview shows the scheduled 5.0 (and its neighbour redline, as before),
    # but compares nothing with it, and nothing from it.
    preview = build_model(history, settings, as_of, drafts=True)
    (doc,) = preview.documents
    scheduled = next(e for e in doc.entries if e.version.version == "5.0")
    assert scheduled.draft and scheduled.since_url is None and scheduled.pending_urls == ()
    assert [
        (r.old.version, r.new.version) for r in doc.redlines if "5.0" in (r.old.version, r.new.version)
    ] == [("4.0", "5.0")]
    assert [(v.version, url) for v, url in doc.entries[0].pending_urls] == [
        ("4.0", "privacy/changes/1.0-to-4.0/")
    ]


NEVER_DAY = ["2024-04-17", "2024-04-17-2"]


def test_a_version_that_never_took_effect_is_compared_with_nothing(policy_repo, policyctl, tmp_path):
    """Two commits on 17 April 2024 of a file without front matter: versions 2024-04-17
    and 2024-04-17-2 share one effective instant, so the first never took effect. It
    governed nobody: no "What changed since this version", no redline to the version in
    force; its page names the version that replaced it (issue 18)."""

    def text(words: str) -> str:
        return f"Intro paragraph.\n\n## I. Scope {{#scope}}\n\nText number {words}.\n"

    policy_repo.publish(PRIVACY, text("zero"), "2024-03-01T10:00:00+08:00")
    policy_repo.publish(PRIVACY, text("april one"), "2024-04-17T09:00:00+08:00")
    policy_repo.publish(PRIVACY, text("april two"), "2024-04-17T10:00:00+08:00")
    policy_repo.publish(PRIVACY, text("june"), "2024-06-14T10:00:00+08:00")
    site = tmp_path / "site"
    build(policyctl, policy_repo, "2024-08-01", site)
    assert archive_rows(page(site, "privacy/versions")) == {
        "2024-06-14": None,
        "2024-04-17-2": "../changes/2024-04-17-2-to-2024-06-14/",
        "2024-04-17": None,
        "2024-03-01": "../changes/2024-03-01-to-2024-06-14/",
    }
    never = page(site, "privacy/versions/2024-04-17")
    assert since_links(never) == [] and "Never took effect" in never
    assert not (site / "privacy/changes/2024-04-17-to-2024-06-14").exists()
    assert redlines(site) == [
        "2024-03-01-to-2024-04-17",
        "2024-03-01-to-2024-06-14",
        "2024-04-17-2-to-2024-06-14",
        "2024-04-17-to-2024-04-17-2",
    ]
    redline = redline_text(page(site, "privacy/changes/2024-03-01-to-2024-06-14"))
    assert "Text number <del>zero</del><ins>june</ins>." in redline


def test_a_comparison_a_notice_linked_keeps_its_address_once_a_later_version_is_in_force(
    repo: PolicyRepo, tmp_path: Path
):
    """4.0 changed core rights: during its window, a user governed by 1.0 was sent
    /privacy/changes/1.0-to-4.0/. Once 5.0 is in force that comparison is no longer
    rendered; its address still answers, says so, and links the comparison from 1.0 to
    the version in force and 4.0's text (in Chinese under /zh/ too)."""
    site = build_site(repo.path, "2026-12-11", tmp_path / "site")
    retired = page(site, "privacy/changes/1.0-to-4.0")
    assert "policy-redline" not in retired  # not a rendered redline any more
    assert "<title>Privacy Policy: changes from version 1.0 to 4.0</title>" in retired
    assert "Version 4.0 is no longer the version in force, so this comparison is no longer kept." in retired
    assert (
        '<a href="../1.0-to-5.0/">What changed from version 1.0 to the version in force, 5.0</a>' in retired
    )
    assert '<a href="../../versions/4.0/">The text of version 4.0</a>' in retired
    assert (site / "privacy" / "changes" / "1.0-to-5.0" / "index.html").is_file()
    assert (site / "privacy" / "versions" / "4.0" / "index.html").is_file()
    # 3.0 -> 4.0 is the neighbours' redline: still the real page.
    assert 'class="policy-redline"' in page(site, "privacy/changes/3.0-to-4.0")
    chinese = page(site, "zh/privacy/changes/2.0-to-4.0")
    assert '<html lang="zh" dir="ltr">' in chinese and "版本 4.0 已不再是现行有效的版本" in chinese
    # No Chinese address of a comparison from 1.0, which has no Chinese text: the English one stays.
    assert not (site / "zh" / "privacy" / "changes" / "1.0-to-4.0").exists()
    assert '<a href="../2.0-to-5.0/">从版本 2.0 到现行有效版本 5.0 的变更</a>' in chinese
    # Not in the search index or the sitemap: no page of the site's navigation.
    assert "1.0-to-4.0" not in (site / "sitemap.xml").read_text(encoding="utf-8")


def test_a_comparison_spanning_several_revisions_lists_what_each_one_changed(window: Path):
    spanning = page(window, "privacy/changes/1.0-to-4.0")
    assert "This comparison spans several revisions. What each one changed:" in spanning
    items = re.findall(r'<li><a href="([^"]+)">version ([^<]+)</a>: ([^<]+)</li>', spanning)
    assert items == [
        ("../../versions/2.0/", "2.0", "Phone numbers."),
        ("../../versions/3.0/", "3.0", "New contact."),
        ("../../versions/4.0/", "4.0", "Birthdays."),
    ]
    neighbours = page(window, "privacy/changes/3.0-to-4.0")
    assert "spans several revisions" not in neighbours
    assert "<strong>Summary:</strong> Birthdays." in neighbours
    chinese = page(window, "zh/privacy/changes/2.0-to-4.0")
    assert "此对比跨越多次修订。各次修订的变更：" in chinese

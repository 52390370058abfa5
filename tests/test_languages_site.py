"""Every language in step (issue 14), what a visitor sees: a site built from a real git
history with English and Chinese files, its /zh/ pages, the language switcher, the data
files in both languages, and notice.js in the shop page's language.

History: 1.0 in English and Chinese, published 1 September 2026; 2.0 in both, published
30 September 2026: it appends the core-rights "Sharing" section, changes "Collection",
removes "Scope", moves "Contact" to the top and changes its source only (an escaped full
stop), so that its redline says every word of its own. The site is built as of
8 October 2026, in 2.0's publicity window (it takes effect on 16 October 2026). One site
and one Chromium serve the whole module; provisional dates are read on the staged pages
of a second history (no second site build).
"""

from __future__ import annotations

import dataclasses
import html as html_lib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin
from xml.etree import ElementTree as ET

import pytest
from browser_support import build_site, search_results, serving
from playwright.sync_api import Page, expect
from test_accessibility import axe_findings
from test_translations import EN_V1, EN_V2, PRIVACY, PRIVACY_ZH, ZH_REVISION, ZH_V1, ZH_V2
from tests_support import INSERTED_SECTION_REVISION, PolicyRepo, engine_under_test, policy_file, search_index

from generator.core.dates import parse_instant
from generator.core.diff import ENGLISH_REDLINE
from generator.policies import read_history
from generator.settings import load_settings
from generator.site.model import build_models
from generator.site.pages import render_site
from generator.site.words import words as words_of

MKDOCS_YML = """\
site_name: Shop
theme:
  name: material
plugins:
  - search
  - policy:
      languages: [en, zh]
"""

REARRANGED_EN = """\
Intro paragraph of the policy.

## I. Contact {#contact}

Write to privacy@example\\.com.

## II. Collection of Personal Information {#collection .core-rights}

We collect your name, email address and phone number.

### (I) Information You Provide

1. Account data: name, email.
2. Order data: address.

## III. Sharing {#sharing .core-rights}

We share your address with the carrier.
"""

REARRANGED_ZH = """\
本政策的引言。

## 一、联系我们 {#contact}

请写信至 privacy@example\\.com。

## 二、个人信息的收集 {#collection .core-rights}

我们收集您的姓名、电子邮件地址和电话号码。

### （一）您提供的信息 {#information-you-provide}

1. 账户数据：姓名、电子邮件。
2. 订单数据：地址。

## 三、共享 {#sharing .core-rights}

我们与承运人共享您的地址。
"""

SUMMARY_EN = "We now share your address with the carrier."
SUMMARY_ZH = "我们现在与承运人共享您的地址。"
EN_REARRANGED = policy_file(
    REARRANGED_EN, version="2.0", published="2026-09-30", effective="2026-10-16", summary=SUMMARY_EN
)
ZH_REARRANGED = policy_file(REARRANGED_ZH, version="2.0", title="隐私政策", summary=SUMMARY_ZH)

SHOP_PAGE = """\
<!doctype html>
<html lang="{lang}">
<head><meta charset="utf-8"><title>示例商店</title>
<script src="{notice_js}"{data_lang} defer></script></head>
<body><h1>示例商店</h1><p>手工茶壶，全球发货。</p></body>
</html>
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The two-language site during 2.0's publicity window."""
    root = tmp_path_factory.mktemp("languages")
    repo = PolicyRepo.create(root / "repo")
    repo.write("mkdocs.yml", MKDOCS_YML)
    repo.write(PRIVACY, EN_V1)
    repo.write(PRIVACY_ZH, ZH_V1)
    repo.commit("2026-09-01T10:00:00+08:00", "Privacy policy 1.0 in English and Chinese")
    repo.write(PRIVACY, EN_REARRANGED)
    repo.write(PRIVACY_ZH, ZH_REARRANGED)
    repo.commit("2026-09-30T10:00:00+08:00", "Privacy policy 2.0 in English and Chinese")
    return build_site(repo.path, "2026-10-08", root / "site")


def html(site: Path, url: str) -> str:
    return (site / url / "index.html").read_text(encoding="utf-8")


def text_of(markup: str) -> str:
    """The page's words, as a visitor reads them (tags and scripts left out)."""
    markup = re.sub(r"<script.*?</script>", " ", markup, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", markup).split())


def json_of(site: Path, name: str) -> dict:
    return json.loads((site / name).read_text(encoding="utf-8"))


# ------------------------------------------------------------------ the built files


def test_the_chinese_policy_lives_under_zh_in_chinese_with_chinese_dates(site):
    page = html(site, "zh/privacy")
    assert '<html lang="zh"' in page
    words = text_of(page)
    assert "我们收集您的姓名和电子邮件地址。" in words  # 1.0 is in force
    assert "修订版本将于2026年10月16日生效" in words  # the callout for 2.0
    assert "版本 2.0 已于2026年9月30日发布。" in words
    assert "生效日期 2026年9月1日" in words
    assert "16 October 2026" not in words and "Privacy Policy" not in words
    # The source language keeps its address and its words.
    english = html(site, "privacy")
    assert '<html lang="en"' in english
    assert "A revised version takes effect on 16 October 2026" in text_of(english)
    assert "隐私政策" not in text_of(english)


@pytest.mark.parametrize(
    ("url", "zh_url"),
    [
        ("", "zh/"),
        ("privacy/", "zh/privacy/"),
        ("privacy/versions/", "zh/privacy/versions/"),
        ("privacy/versions/1.0/", "zh/privacy/versions/1.0/"),
        ("privacy/changes/1.0-to-2.0/", "zh/privacy/changes/1.0-to-2.0/"),
        ("updates/", "zh/updates/"),
    ],
)
def test_each_page_names_itself_in_the_other_language_with_hreflang(site, url, zh_url):
    for page_url in (url, zh_url):
        links = {
            hreflang: urljoin(f"https://shop.example/{page_url}", href)
            for href, hreflang in re.findall(
                r'<link rel="alternate " href="([^"]*)" hreflang="([^"]*)">', html(site, page_url)
            )
        }
        assert links == {"en": f"https://shop.example/{url}", "zh": f"https://shop.example/{zh_url}"}, (
            page_url
        )


def test_the_archive_status_words_and_the_updates_page_are_chinese(site):
    archive = text_of(html(site, "zh/privacy/versions"))
    assert "隐私政策：所有版本" in archive
    assert "状态： 待生效" in archive and "状态： 现行有效" in archive
    assert "发布日期： 2026年9月30日" in archive
    updates = text_of(html(site, "zh/updates"))
    assert "隐私政策（版本 2.0）" in updates
    assert "2026年9月30日发布 · 2026年10月16日生效 · 待生效" in updates
    assert "我们现在与承运人共享您的地址。" in updates


def redline_of(page: str) -> str:
    """The redline itself: what the page's "Redline" heading introduces."""
    found = re.search(r'<div class="policy-redline">.*?</div>\s*</article>', page, re.S)
    assert found, "no redline"
    return found.group(0)


def test_the_chinese_redline_compares_the_chinese_texts(site):
    page = html(site, "zh/privacy/changes/1.0-to-2.0")
    # Inserted words, with what a screen reader says about them, in Chinese.
    assert '<ins><span class="sr-only">[新增：</span>和电话号码<span class="sr-only">]</span></ins>' in page
    words = text_of(page)
    assert "隐私政策：从版本 1.0 到版本 2.0 的变更" in words
    assert "三、共享 ] 新增章节 核心权利" in words  # the heading, inserted whole
    assert "本次修订涉及您的核心权利 涉及核心权利的章节：个人信息的收集、共享。" in words
    assert "carrier" not in words


def test_the_chinese_redline_says_its_own_words_in_chinese_and_none_in_english(site):
    redline = redline_of(html(site, "zh/privacy/changes/1.0-to-2.0"))
    words = text_of(redline)  # the screen reader's words included
    assert "引言 （未变更）" in words  # the preamble, collapsed
    assert "[删除： 一、适用范围 ] 删除章节" in words
    assert "三、共享 ] 新增章节 核心权利" in words
    assert "个人信息的收集 修改 核心权利" in words
    assert (
        "一、联系我们 移动 修改 已移动：此章节原位于“（一）您提供的信息”之后。 "
        "仅 Markdown 源文本有改动：文字读来相同。"
    ) in words
    assert '<span class="sr-only">[新增：</span>' in redline
    # Not one of the redline's English words is left (badges, notes, screen reader),
    # but the closing "]" both languages say.
    chinese = words_of("zh").redline
    for field in dataclasses.fields(ENGLISH_REDLINE):
        english = getattr(ENGLISH_REDLINE, field.name)
        if isinstance(english, str) and english != getattr(chinese, field.name):
            assert english.split("{")[0].strip() not in words, field.name
    assert "Preamble" not in words


def test_the_english_redline_of_the_same_revision_keeps_its_english_words(site):
    words = text_of(redline_of(html(site, "privacy/changes/1.0-to-2.0")))
    assert "Preamble (unchanged)" in words
    assert "[deleted: I. Scope of Application ] section removed" in words
    assert "III. Sharing ] new section core rights" in words
    assert (
        "I. Contact moved changed Moved: this section was previously after “(I) Information You Provide”. "
        "Changed in the Markdown source only: the text reads the same."
    ) in words
    assert not re.search(r"[\u4e00-\u9fff]", words)


def addresses(markup: str, base: str) -> set[str]:
    """Where the links of `markup` lead, resolved against the page's address `base`."""
    return {urljoin(base, html_lib.unescape(href)) for href in re.findall(r'href="([^"]*)"', markup)}


def test_the_banner_on_chinese_pages_is_chinese_and_links_chinese_pages(site):
    page = html(site, "zh/privacy/versions")
    banner = re.search(r'<div class="policy-banner".*?</div>\s*<button', page, re.S)
    assert banner, "no banner"
    words = text_of(banner.group(0))
    assert "政策更新： 隐私政策将于 2026年10月16日 变更（版本 2.0），涉及您的核心权利。 查看变更内容" in words
    # The addresses the links lead to (Zensical writes "./../…" and "&#x2f;" for "/").
    here = "https://site.invalid/zh/privacy/versions/"
    assert "https://site.invalid/zh/privacy/changes/1.0-to-2.0/" in addresses(banner.group(0), here)
    assert "政策更新：隐私政策将于2026年10月16日变更" in text_of(page)  # the footer link
    assert "https://site.invalid/zh/updates/" in addresses(page, here)


def test_data_files_of_each_language_under_its_prefix(site):
    zh = json_of(site, "zh/versions.json")
    [document] = zh["documents"]
    assert (document["id"], document["title"], document["url"]) == ("privacy", "隐私政策", "zh/privacy/")
    assert [(v["version"], v["url"], v["summary"]) for v in document["versions"]] == [
        ("1.0", "zh/privacy/versions/1.0/", None),
        ("2.0", "zh/privacy/versions/2.0/", "我们现在与承运人共享您的地址。"),
    ]
    # The source language's file keeps its shape and its words.
    en = json_of(site, "versions.json")
    assert en["documents"][0]["title"] == "Privacy Policy"
    assert en["documents"][0]["versions"][1]["url"] == "privacy/versions/2.0/"

    notices = json_of(site, "zh/notices.json")
    assert notices["language"] == "zh"
    assert notices["updates_url"] == "zh/updates/"
    [notice] = notices["notices"]
    assert (notice["title"], notice["url"], notice["changes_url"]) == (
        "隐私政策",
        "zh/privacy/versions/2.0/",
        "zh/privacy/changes/1.0-to-2.0/",
    )
    assert notices["words"]["banner_lead"] == "政策更新："
    assert json_of(site, "notices.json")["languages"] == {"en": "notices.json", "zh": "zh/notices.json"}

    feed = ET.parse(site / "zh" / "feed.xml").getroot()
    atom = "{http://www.w3.org/2005/Atom}"
    titles = [e.findtext(f"{atom}title") for e in feed.iter(f"{atom}entry")]
    assert titles == ["隐私政策（版本 2.0）", "隐私政策（版本 1.0）"]
    summary = next(feed.iter(f"{atom}entry")).findtext(f"{atom}summary")
    assert summary == "我们现在与承运人共享您的地址。2026年10月16日生效。涉及核心权利的章节有变更。"


def test_each_language_has_its_own_search_index(site):
    zh = search_index(site, "zh")
    en = search_index(site)
    assert {d["location"] for d in zh["docs"]} >= {"", "privacy/", "updates/"}
    assert all("Privacy Policy" not in d["text"] for d in zh["docs"])
    # Chinese text split into words (jieba marks where with zero-width spaces).
    assert any("我们收集您的姓名" in d["text"].replace("\u200b", "") for d in zh["docs"])
    if engine_under_test() == "mkdocs":  # Zensical's index keeps the text whole (docs/site.md "Engines")
        assert any("\u200b收集\u200b" in d["text"] for d in zh["docs"])
    assert not any(d["location"].startswith("zh/") for d in en["docs"])
    assert all("隐私" not in d["text"] for d in en["docs"])
    if engine_under_test() == "mkdocs":  # Zensical's search splits words its own way
        assert "、" in zh["config"]["separator"]  # Chinese punctuation separates words


# ------------------------------------------------------------------ in Chromium


@pytest.fixture(scope="module")
def server(site: Path) -> Iterator[str]:
    with serving(site) as served:
        yield served.url


def switch_language(page: Page, name: str) -> None:
    page.locator(".md-header__option .md-select").hover()
    page.locator(".md-select__link", has_text=name).click()


def test_the_switcher_leads_from_privacy_to_zh_privacy_and_back(visitor, server):
    visitor.goto(server + "privacy/")
    expect(visitor.locator("html")).to_have_attribute("lang", "en")
    switch_language(visitor, "中文")
    expect(visitor).to_have_url(server + "zh/privacy/")
    expect(visitor.locator("html")).to_have_attribute("lang", "zh")
    expect(visitor.locator("h1")).to_have_text(re.compile(r"^隐私政策"))
    # The theme's own words are Chinese too: the search field and the skip link.
    if engine_under_test() == "zensical":  # its search button (its dialog's own words are English)
        expect(visitor.locator(".md-search__button")).to_have_text("查找")
    else:
        expect(visitor.locator(".md-search__input")).to_have_attribute("placeholder", "搜索")
    expect(visitor.locator(".md-skip")).to_have_text("跳转至")
    expect(visitor.locator(".md-nav--primary")).to_contain_text("隐私政策：所有版本")
    switch_language(visitor, "English")
    expect(visitor).to_have_url(server + "privacy/")
    expect(visitor.locator("h1")).to_have_text(re.compile(r"^Privacy Policy"))


def test_the_chinese_home_page_pops_up_the_revision_in_chinese(visitor, server):
    visitor.goto(server + "zh/")
    dialog = visitor.get_by_role("dialog", name="政策即将变更")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("将于2026年10月16日生效。在此之前，现行版本继续适用。")
    dialog.get_by_role("link", name="查看变更内容").click()
    expect(visitor).to_have_url(server + "zh/privacy/changes/1.0-to-2.0/")


def test_searching_the_chinese_site_finds_chinese_pages(visitor, server):
    visitor.goto(server + "zh/privacy/")
    if engine_under_test() == "zensical":  # its own dialog (browser_support.search_results)
        results = search_results(visitor, "收集")
        expect(results.first).to_be_visible()
        assert results.first.evaluate("a => a.href").startswith(server + "zh/privacy/")
        expect(visitor.get_by_role("listbox", name="Search results")).to_contain_text("个人信息的收集")
        expect(visitor.get_by_role("listbox", name="Search results")).not_to_contain_text("Privacy Policy")
        return
    visitor.keyboard.press("/")
    # Material's own words, in Chinese, once the Chinese index is loaded: "type to search".
    expect(visitor.locator(".md-search-result__meta")).to_have_text("键入以开始搜索")
    # One word of a sentence ("collect"). Typed Chinese arrives as text input, without
    # keys; the key that ends it, as after an input method, is what Material listens to.
    visitor.keyboard.type("收集")
    visitor.keyboard.press("End")
    result = visitor.locator(".md-search-result__item a").first
    expect(result).to_be_visible()
    expect(result).to_have_attribute("href", re.compile(r"/zh/privacy/"))
    expect(visitor.locator(".md-search-result")).to_contain_text("个人信息的收集")
    expect(visitor.locator(".md-search-result")).not_to_contain_text("Privacy Policy")


def test_a_chinese_page_has_no_serious_axe_finding(visitor, server):
    visitor.goto(server + "zh/privacy/")
    expect(visitor.locator("[data-md-component=announce] .policy-banner")).to_be_visible()
    assert axe_findings(visitor) == []


def shop(folder: Path, notice_js: str, *, lang: str, data_lang: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    attribute = f' data-lang="{data_lang}"' if data_lang else ""
    page = SHOP_PAGE.format(lang=lang, notice_js=notice_js, data_lang=attribute)
    (folder / "index.html").write_text(page, encoding="utf-8")
    return folder


def test_notice_js_speaks_chinese_on_a_chinese_shop_page(visitor, server, tmp_path):
    with serving(shop(tmp_path / "shop", server + "notice.js", lang="zh-CN")) as shop_server:
        visitor.goto(shop_server.url)
        region = visitor.get_by_role("region", name="政策更新")
        expect(region).to_contain_text(
            "政策更新： 隐私政策将于2026年10月16日变更（版本 2.0），涉及您的核心权利。"
        )
        expect(region.get_by_role("link", name="查看变更内容")).to_have_attribute(
            "href", server + "zh/privacy/changes/1.0-to-2.0/"
        )
        dialog = visitor.get_by_role("dialog", name="政策即将变更")
        expect(dialog).to_contain_text("隐私政策（版本 2.0）")
        expect(dialog.get_by_role("button", name="关闭")).to_be_focused()


def test_notice_js_follows_data_lang_over_the_pages_language(visitor, server, tmp_path):
    notice_js = server + "notice.js"
    with serving(shop(tmp_path / "shop", notice_js, lang="zh", data_lang="en")) as shop_server:
        visitor.goto(shop_server.url)
        region = visitor.get_by_role("region", name="Policy update")
        expect(region).to_contain_text("the Privacy Policy changes on 16 October 2026 (version 2.0)")
        expect(region.get_by_role("link", name="See what changes")).to_have_attribute(
            "href", server + "privacy/changes/1.0-to-2.0/"
        )
    # A language the policy site lacks: the source language.
    with serving(shop(tmp_path / "fr", notice_js, lang="fr")) as shop_server:
        visitor.goto(shop_server.url)
        expect(visitor.get_by_role("region", name="Policy update")).to_be_visible()


def provisional_history(tmp_path: Path) -> PolicyRepo:
    """1.0 in English and Chinese; 2.0 in both, published on Monday 28 December 2026: its
    window reaches 2027, whose holiday schedule is not known yet."""
    repo = PolicyRepo.create(tmp_path / "repo")
    repo.write("mkdocs.yml", MKDOCS_YML)
    repo.write(PRIVACY, EN_V1)
    repo.write(PRIVACY_ZH, ZH_V1)
    repo.commit("2026-09-01T10:00:00+08:00", "Privacy policy 1.0 in English and Chinese")
    repo.write(
        PRIVACY,
        policy_file(INSERTED_SECTION_REVISION, version="2.0", published="2026-12-28", summary=SUMMARY_EN),
    )
    repo.write(PRIVACY_ZH, policy_file(ZH_REVISION, version="2.0", title="隐私政策", summary=SUMMARY_ZH))
    repo.commit("2026-12-28T10:00:00+08:00", "Privacy policy 2.0 in English and Chinese")
    return repo


def test_a_provisional_date_says_why_in_the_pages_language(tmp_path):
    """2.0 published on Monday 28 December 2026: its window reaches 2027, whose holiday
    schedule is not known yet (the staged pages of the version and the document)."""
    repo = provisional_history(tmp_path)
    settings = load_settings(repo.path)
    models = build_models(
        read_history(repo.path, settings), settings, parse_instant("2026-12-29", settings.zone)
    )
    pages = {page.url: page.body for page in render_site(models)}
    for url in ("zh/privacy/versions/2.0/", "zh/privacy/"):
        words = text_of(pages[url])
        assert "此日期为暂定日期：2027年的节假日安排尚未公布，因此仍可能变化。" in words, url
        assert "holiday schedule" not in pages[url], url
    assert 'title="暂定：2027年的节假日安排尚未公布"' in pages["zh/privacy/versions/2.0/"]
    # The English pages say what they said before.
    english = "This date is provisional: the 2027 holiday schedule is not known yet, so it may still change."
    for url in ("privacy/versions/2.0/", "privacy/"):
        assert english in text_of(pages[url]), url
    assert 'title="Provisional: the 2027 holiday schedule is not known yet"' in pages["privacy/versions/2.0/"]


def test_a_version_older_than_its_translation_switches_to_the_documents_chinese_page(tmp_path):
    """1.0 was published in English only; the Chinese file came with 2.0. /zh/ has no 1.0,
    so 1.0's switcher leads to the Chinese policy (no site build: the staged pages)."""
    repo = PolicyRepo.create(tmp_path / "repo")
    repo.write("mkdocs.yml", MKDOCS_YML)
    repo.write(PRIVACY, EN_V1)
    repo.commit("2026-09-01T10:00:00+08:00", "Privacy policy 1.0 in English")
    repo.write(PRIVACY, EN_V2)
    repo.write(PRIVACY_ZH, ZH_V2)
    repo.commit("2026-09-30T10:00:00+08:00", "Privacy policy 2.0 in English and Chinese")
    settings = load_settings(repo.path)
    models = build_models(
        read_history(repo.path, settings), settings, parse_instant("2026-10-20", settings.zone)
    )
    alternates = {page.url: page.front["policy"]["alternates"] for page in render_site(models)}
    assert "zh/privacy/versions/1.0/" not in alternates
    assert alternates["privacy/versions/1.0/"] == {"en": "privacy/versions/1.0/", "zh": "zh/privacy/"}
    assert alternates["zh/privacy/versions/2.0/"] == {
        "en": "privacy/versions/2.0/",
        "zh": "zh/privacy/versions/2.0/",
    }
    # No Chinese redline from a version that has no Chinese text.
    assert "privacy/changes/1.0-to-2.0/" in alternates
    assert alternates["privacy/changes/1.0-to-2.0/"]["zh"] == "zh/privacy/"


def test_status_json_says_why_a_date_is_provisional_in_each_language(tmp_path, policyctl):
    """The same reason the pages give, for tools that show it to readers of each language."""
    repo = provisional_history(tmp_path)
    result = policyctl("status", "--repo", repo.path, "--as-of", "2026-12-29", "--json")
    [pending] = json.loads(result.out)["documents"][0]["pending"]
    assert pending["provisional_reasons"] == {
        "en": "the 2027 holiday schedule is not known yet",
        "zh": "2027年的节假日安排尚未公布",
    }

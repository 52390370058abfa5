"""Every language in step (issue 14), what a visitor sees: a site built from a real git
history with English and Chinese files, its /zh/ pages, the language switcher, the data
files in both languages, and notice.js in the shop page's language.

History: 1.0 in English and Chinese, published 1 September 2026; 2.0 in both, published
30 September 2026 (inserts the core-rights "Sharing" section). The site is built as of
8 October 2026, in 2.0's publicity window (it takes effect on 16 October 2026). One site
and one Chromium serve the whole module.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin
from xml.etree import ElementTree as ET

import pytest
from browser_support import build_site, chromium, new_visitor, serving
from playwright.sync_api import Browser, Page, expect
from test_accessibility import axe_findings
from test_translations import EN_V1, EN_V2, PRIVACY, PRIVACY_ZH, ZH_V1, ZH_V2
from tests_support import PolicyRepo

from generator.core.dates import parse_instant
from generator.policies import read_history
from generator.settings import load_settings
from generator.site.model import build_models
from generator.site.pages import render_site

MKDOCS_YML = """\
site_name: Shop
theme:
  name: material
plugins:
  - search
  - policy:
      languages: [en, zh]
"""

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
    repo = PolicyRepo(root / "repo")
    repo.path.mkdir()
    repo.git("init", "-q", "-b", "main")
    repo.write("mkdocs.yml", MKDOCS_YML)
    repo.write(PRIVACY, EN_V1)
    repo.write(PRIVACY_ZH, ZH_V1)
    repo.commit("2026-09-01T10:00:00+08:00", "Privacy policy 1.0 in English and Chinese")
    repo.write(PRIVACY, EN_V2)
    repo.write(PRIVACY_ZH, ZH_V2)
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
                r'<link rel="alternate" href="([^"]*)" hreflang="([^"]*)">', html(site, page_url)
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


def test_the_chinese_redline_compares_the_chinese_texts(site):
    page = html(site, "zh/privacy/changes/1.0-to-2.0")
    # Inserted words, with what a screen reader says about them, in Chinese.
    assert '<ins><span class="sr-only">[新增：</span>和电话号码<span class="sr-only">]</span></ins>' in page
    words = text_of(page)
    assert "隐私政策：从版本 1.0 到版本 2.0 的变更" in words
    assert "三、共享 ] 新增章节 核心权利" in words  # the heading, inserted whole
    assert "本次修订涉及您的核心权利 涉及核心权利的章节：个人信息的收集、共享。" in words
    assert "carrier" not in words


def test_the_banner_on_chinese_pages_is_chinese_and_links_chinese_pages(site):
    page = html(site, "zh/privacy/versions")
    banner = re.search(r'<div class="policy-banner".*?</div>\s*<button', page, re.S)
    assert banner, "no banner"
    words = text_of(banner.group(0))
    assert "政策更新： 隐私政策将于 2026年10月16日 变更（版本 2.0），涉及您的核心权利。 查看变更内容" in words
    assert 'href="../changes/1.0-to-2.0/"' in banner.group(0)  # /zh/privacy/changes/...
    assert "政策更新：隐私政策将于2026年10月16日变更" in text_of(page)  # the footer link
    assert 'href="../../updates/"' in page  # /zh/updates/


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
    zh = json_of(site, "zh/search/search_index.json")
    en = json_of(site, "search/search_index.json")
    assert {d["location"] for d in zh["docs"]} >= {"", "privacy/", "updates/"}
    assert all("Privacy Policy" not in d["text"] for d in zh["docs"])
    # Chinese text split into words (jieba marks where with zero-width spaces).
    assert any("我们收集您的姓名" in d["text"].replace("\u200b", "") for d in zh["docs"])
    assert any("\u200b收集\u200b" in d["text"] for d in zh["docs"])
    assert not any(d["location"].startswith("zh/") for d in en["docs"])
    assert all("隐私" not in d["text"] for d in en["docs"])
    assert "、" in zh["config"]["separator"]  # Chinese punctuation separates words


# ------------------------------------------------------------------ in Chromium


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as browser:
        yield browser


@pytest.fixture(scope="module")
def server(site: Path) -> Iterator[str]:
    with serving(site) as served:
        yield served.url


@pytest.fixture
def visitor(browser: Browser) -> Iterator[Page]:
    context = new_visitor(browser)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert not errors, f"script errors on the page: {errors}"


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


def test_a_version_older_than_its_translation_switches_to_the_documents_chinese_page(tmp_path):
    """1.0 was published in English only; the Chinese file came with 2.0. /zh/ has no 1.0,
    so 1.0's switcher leads to the Chinese policy (no site build: the staged pages)."""
    repo = PolicyRepo(tmp_path / "repo")
    repo.path.mkdir()
    repo.git("init", "-q", "-b", "main")
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

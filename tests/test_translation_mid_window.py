"""A translation that arrives during a publicity window (issue 23, item 1): no language's
site ever presents a pending text as the policy in force.

History, as docs/editors.md has an editor work: 1.0 is published in English only on
1 September 2026 and is in force; 2.0 is published in English on 30 September (its window
is 8-15 October: in force from 16 October); on 10 October, mid-window, the editor adds
the Chinese translation of 2.0 (the first Chinese file) and `languages: [en, zh]`. The
site is built on 12 October (2.0 pending) and on 20 October (2.0 in force), and visited
in Chromium.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin

import pytest
from browser_support import build_site, serving
from playwright.sync_api import Page, expect
from test_accessibility import axe_findings
from test_languages_site import MKDOCS_YML
from test_translations import EN_V1, EN_V2, PRIVACY, PRIVACY_ZH, ZH_V2
from tests_support import PolicyRepo

ENGLISH_ONLY = MKDOCS_YML.replace("  - policy:\n      languages: [en, zh]\n", "  - policy\n")


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> PolicyRepo:
    repo = PolicyRepo.create(tmp_path_factory.mktemp("mid-window") / "repo")
    repo.write("mkdocs.yml", ENGLISH_ONLY)
    repo.write(PRIVACY, EN_V1)
    repo.commit("2026-09-01T10:00:00+08:00", "Privacy policy 1.0")
    repo.write(PRIVACY, EN_V2)
    repo.commit("2026-09-30T10:00:00+08:00", "Privacy policy 2.0")
    repo.write("mkdocs.yml", MKDOCS_YML)
    repo.write(PRIVACY_ZH, ZH_V2)
    repo.commit("2026-10-10T10:00:00+08:00", "Chinese translation of 2.0")
    return repo


@pytest.fixture(scope="module")
def pending(repo: PolicyRepo, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_site(repo.path, "2026-10-12", tmp_path_factory.mktemp("pending") / "site")


@pytest.fixture(scope="module")
def in_force(repo: PolicyRepo, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_site(repo.path, "2026-10-20", tmp_path_factory.mktemp("in-force") / "site")


def page(site: Path, url: str) -> str:
    return (site / url / "index.html").read_text(encoding="utf-8")


def article(markup: str) -> str:
    found = re.search(r'<article class="md-content__inner md-typeset">(.*?)</article>', markup, re.S)
    assert found, "no article"
    return found.group(1)


def words(markup: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", markup).split())


# ------------------------------------------------------------------ the built files


def test_the_chinese_policy_page_shows_the_english_text_in_force_with_a_note_in_chinese(pending):
    zh = article(page(pending, "zh/privacy"))
    # The text that applies is 1.0, in English, marked as English, with the reason in Chinese.
    assert "版本 1.0 尚无中文文本，以下英语原文即为适用的文本。" in words(zh)
    assert re.search(r'<div class="policy-untranslated-text" lang="en">', zh)
    assert "We collect your name and email address." in words(zh)
    assert "电话号码" not in zh.split("policy-untranslated-text")[1]  # not 2.0's text
    # Its status is in force, not pending.
    header = zh.split("policy-callout")[0]
    assert "现行有效" in words(header) and "待生效" not in words(header)


def test_the_pending_chinese_revision_is_announced_as_pending_with_the_redline_that_exists(pending):
    zh = article(page(pending, "zh/privacy"))
    callout = zh.split("policy-callout", 1)[1].split("</div>", 1)[0]
    assert 'href="versions/2.0/"' in callout
    # No Chinese 1.0 exists to compare with: the English redline, never the full text.
    assert 'href="../../privacy/changes/1.0-to-2.0/"' in callout
    # Compared in English, but the changed sections are named by their Chinese titles.
    assert "个人信息的收集" in callout and "共享" in callout
    assert "Collection of Personal Information" not in callout
    version = article(page(pending, "zh/privacy/versions/2.0"))
    assert "待生效" in words(version)
    # "Until then, version 1.0 applies": the link leads to the page that shows 1.0.
    assert re.search(r'在此之前，<a href="../../">版本 1\.0</a>继续适用', version)


def test_no_chinese_page_or_redline_is_made_of_a_text_that_has_no_chinese(pending):
    assert not (pending / "zh/privacy/versions/1.0").exists()
    assert not (pending / "zh/privacy/changes").exists()
    assert (pending / "privacy/changes/1.0-to-2.0/index.html").is_file()


def test_the_chinese_archive_lists_the_english_version_as_english(pending):
    archive = article(page(pending, "zh/privacy/versions"))
    row = next(r for r in archive.split("<tr>") if ">1.0</a>" in r)
    assert 'href="../../../privacy/versions/1.0/" hreflang="en"' in row
    assert "（英语原文）" in row
    assert "现行" in words(row)


def test_the_switcher_maps_each_page_to_the_same_version_or_the_documents_page(pending):
    def alternates(url: str) -> dict[str, str]:
        found = re.findall(r'<link rel="alternate " href="([^"]*)" hreflang="([^"]*)">', page(pending, url))
        return {hreflang: urljoin(f"https://shop.example/{url}/", href) for href, hreflang in found}

    english_1 = alternates("privacy/versions/1.0")
    assert english_1["zh"] == "https://shop.example/zh/privacy/"
    assert alternates("privacy/versions/2.0")["zh"] == "https://shop.example/zh/privacy/versions/2.0/"
    assert alternates("zh/privacy")["en"] == "https://shop.example/privacy/"


def test_the_chinese_data_files_say_1_0_is_in_force(pending):
    versions = json.loads((pending / "zh/versions.json").read_text(encoding="utf-8"))
    [document] = versions["documents"]
    status = {v["version"]: v["status"] for v in document["versions"]}
    assert status == {"1.0": "in-force", "2.0": "pending"}
    notices = json.loads((pending / "zh/notices.json").read_text(encoding="utf-8"))["notices"]
    assert [n["version"] for n in notices] == ["2.0"]


def test_once_2_0_takes_effect_the_chinese_page_is_chinese(in_force):
    zh = article(page(in_force, "zh/privacy"))
    assert "policy-untranslated" not in zh
    assert "电话号码" in zh
    archive = article(page(in_force, "zh/privacy/versions"))
    assert "（英语原文）" in archive  # 1.0 stays English, now superseded


# ------------------------------------------------------------------ in Chromium


@pytest.fixture(scope="module")
def server(pending: Path) -> Iterator[str]:
    with serving(pending) as running:
        yield running.url


def test_a_visitor_of_the_chinese_policy_reads_the_note_and_reaches_both_texts(visitor: Page, server: str):
    visitor.goto(server + "/zh/privacy/")
    note = visitor.locator(".policy-untranslated")
    expect(note).to_be_visible()
    expect(note).to_contain_text("尚无中文文本")
    expect(visitor.locator(".policy-untranslated-text")).to_have_attribute("lang", "en")
    visitor.get_by_role("link", name="查看变更内容").first.click()
    expect(visitor).to_have_url(re.compile(r"/privacy/changes/1\.0-to-2\.0/$"))
    visitor.goto(server + "/zh/privacy/")
    assert axe_findings(visitor) == []

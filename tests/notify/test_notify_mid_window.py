"""A translation that arrives during a publicity window (issue 23, item 1), as a
registered user who reads Chinese is told of it: the notice is in Chinese, and every link
opens a page the site built, the redline in English where Chinese has no earlier text.

History: 1.0 in English only (1 September 2026, in force); 2.0 in English (30 September,
a core-rights change to "Collection", in force from 16 October); the Chinese translation
of 2.0, the first Chinese file, on 10 October. The site and the campaign run on 12 October.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from browser_support import build_site
from notify_support import smtp_campaign
from test_notify_languages import (
    EN_BODY,
    EN_V2,
    MKDOCS_YML,
    PRIVACY,
    PRIVACY_ZH,
    SECRET,
    SITE,
    ZH_V2,
    page_of,
    site_links,
    text_of,
)
from tests_support import PolicyRepo, policy_file

from generator.commands.notify import translated_compared_urls
from generator.core.dates import parse_instant
from generator.policies import read_history
from generator.settings import load_settings

ENGLISH_ONLY = MKDOCS_YML.replace("      languages: [en, zh]\n", "")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("notify-mid-window")
    repo = PolicyRepo.create(root / "repo")
    repo.write("mkdocs.yml", ENGLISH_ONLY)
    repo.write(PRIVACY, policy_file(EN_BODY, version="1.0", published="2026-09-01"))
    repo.commit("2026-09-01T10:00:00+08:00", "Privacy policy 1.0")
    repo.write(PRIVACY, EN_V2)
    repo.commit("2026-09-30T10:00:00+08:00", "Privacy policy 2.0")
    repo.write("mkdocs.yml", MKDOCS_YML)
    repo.write(PRIVACY_ZH, ZH_V2)
    repo.commit("2026-10-10T10:00:00+08:00", "Chinese translation of 2.0")
    repo.write("users.csv", "id,email,name,locale\nu-zh,chen@example.com,陈,zh-CN\n")
    site = build_site(repo.path, "2026-10-12", root / "site")

    code, said, messages = smtp_campaign(repo.path, "2026-10-12", secret=SECRET)
    assert code == 0, said
    return {"repo": repo, "site": site, "messages": messages}


def test_the_chinese_notice_links_only_pages_the_site_built(world: dict):
    chen = world["messages"]["chen@example.com"]
    text = text_of(chen)
    assert "我们现在收集您的电话号码。" in text and "个人信息的收集" in text
    links = site_links(chen)
    # 2.0 in Chinese; the comparison with 1.0, which has no Chinese text, in English.
    assert f"{SITE}zh/privacy/versions/2.0/" in links
    assert f"{SITE}privacy/changes/1.0-to-2.0/" in links
    assert f"{SITE}zh/privacy/changes/1.0-to-2.0/" not in links
    site: Path = world["site"]
    for link in links:
        page_of(site, link)  # every link opens a built page (and its anchor exists there)


def test_the_comparisons_a_chinese_reader_is_offered_are_pages_the_site_built(world: dict):
    """The redlines from each earlier version (for a user still governed by one, see
    notify.answers.rule) lead to built pages: the English one where 1.0 has no Chinese."""
    repo = world["repo"]
    settings = load_settings(repo.path)
    [document] = read_history(repo.path, settings).documents
    as_of = parse_instant("2026-10-12", settings.zone)
    compared = translated_compared_urls(document, document.version("2.0"), as_of, SITE)
    assert compared == {"zh": (("1.0", f"{SITE}privacy/changes/1.0-to-2.0/"),)}
    for _, link in compared["zh"]:
        page_of(world["site"], link)
